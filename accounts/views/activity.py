"""The Activity tabs: the audit trail of an organization and of a project, newest first, filtered by event type,
person and date range, 50 a page, in the viewer's time zone (accounts.signin.middleware.TimeZoneMiddleware)."""

from datetime import datetime, time, timedelta

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.urls import path
from django.utils import timezone

from .. import selectors
from ..audit import event_types
from ..models import AuditEvent
from .pages import paginate, render_page

# What an event is about, by its target_type, as the page names it.
TARGET_KINDS = {
    "user": "person",
    "invitation": "invitation",
    "team": "team",
    "project": "project",
    "organization": "organization",
    "cluster": "cluster",
    "api_key": "API key",
    "monitoringUser": "monitoring user",
    "monitoringGroup": "monitoring group",
}


# Targets named by a person's email address (the person filter matches them).
PERSON_TARGETS = ("user", "invitation")


def event_label(event_type: str) -> str:
    return event_types.label(event_type)


def _event_type_choices():
    """Every registered type, grouped as the apps registered them (read when the form is made)."""
    return [("", "Every event"), *event_types.groups()]


class ActivityFilterForm(forms.Form):
    """The filter of an activity page (GET). A field that does not validate is left out of the filter and says
    why next to itself; the others still apply."""

    event_type = forms.ChoiceField(label="Event type", required=False, choices=_event_type_choices)
    person = forms.CharField(
        label="Person",
        required=False,
        max_length=254,
        help_text="Who acted or whom it was about: part of a name or email address.",
    )
    date_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text="YYYY-MM-DD"
    )
    date_to = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text="YYYY-MM-DD"
    )

    def clean_person(self):
        return "".join(ch for ch in self.cleaned_data["person"] if ch.isprintable()).strip()

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
            data.pop("date_to", None)
        return data

    def filters(self) -> dict:
        """The fields that validated (all of them once ``is_valid()`` has run, or the good ones)."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}


def _local_midnight(day):
    """The start of ``day`` in the viewer's time zone, as an aware datetime; None past the calendar's end (the
    filter then leaves that bound out)."""
    try:
        return timezone.make_aware(datetime.combine(day, time.min))
    except (OverflowError, ValueError):
        return None


def filter_events(events, filters: dict):
    """``events`` narrowed by the filter form's valid fields: type, person (actor or target), dates in the
    viewer's zone (``date_to`` is the whole day)."""
    if event_type := filters.get("event_type"):
        events = events.filter(event_type=event_type)
    if person := filters.get("person"):
        events = events.filter(
            Q(actor_email__icontains=person)
            | Q(actor__first_name__icontains=person)
            | Q(actor__last_name__icontains=person)
            | Q(target_type__in=PERSON_TARGETS, target_name__icontains=person)
        )
    if (start := filters.get("date_from")) and (since := _local_midnight(start)) is not None:
        events = events.filter(created_at__gte=since)
    if end := filters.get("date_to"):
        try:
            until = _local_midnight(end + timedelta(days=1))
        except OverflowError:
            until = None
        if until is not None:
            events = events.filter(created_at__lt=until)
    return events


def organization_events(organization, actor):
    """The organization's own events and those of the projects ``actor`` may open."""
    projects = selectors.projects_for_user(actor, organization=organization).values("pk")
    return AuditEvent.objects.filter(
        Q(project__isnull=True) | Q(project__in=projects), organization=organization
    )


def project_events(project):
    return AuditEvent.objects.filter(project=project)


def _activity_page(request, events, *, organization=None, project=None):
    form = ActivityFilterForm(request.GET or None)
    filters = form.filters() if request.GET else {}
    events = (
        filter_events(events, filters)
        .select_related("actor", "project")
        .only(
            "public_id",
            "event_type",
            "created_at",
            "actor_email",
            "actor__first_name",
            "actor__last_name",
            "actor__email",
            "target_type",
            "target_name",
            "client_ip",
            "project__name",
            "project__public_id",
        )
        .order_by("-created_at", "-id")
    )
    page = paginate(request, events)
    rows = [
        {
            "event": event,
            "label": event_label(event.event_type),
            "by": _actor_name(event),  # (name, email)
            "target_kind": TARGET_KINDS.get(event.target_type, ""),
        }
        for event in page
    ]
    return render_page(
        request,
        "accounts/activity.html",
        {
            "organization": organization or project.organization,
            "project": project,
            "form": form,
            "page": page,
            "rows": rows,
            "filtered": bool(filters),
        },
        organization=organization,
        project=project,
        tab="activity",
        status=400 if request.GET and form.errors else 200,
    )


def _actor_name(event) -> tuple[str, str]:
    """Who acted, as (name, email): the person's name when they have one, their email address (as the event
    recorded it), or "the system"."""
    actor = event.actor
    email = event.actor_email or (actor.email if actor is not None else "")
    name = f"{actor.first_name} {actor.last_name}".strip() if actor is not None else ""
    if name:
        return name, email
    return email or "the system", ""


@login_required
def organization_activity(request, org_id):
    organization = selectors.access_organization(actor=request.user, organization_id=org_id)
    return _activity_page(request, organization_events(organization, request.user), organization=organization)


@login_required
def project_activity(request, project_id):
    project = selectors.access_project(actor=request.user, project_id=project_id)
    return _activity_page(request, project_events(project), project=project)


urlpatterns = [
    path("orgs/<str:org_id>/activity/", organization_activity, name="organization_activity"),
    path("projects/<str:project_id>/activity/", project_activity, name="project_activity"),
]

"""The Activity tabs: the audit trail of an organization and of a project, newest first, filtered by event type,
person and date range, 50 a page, in the viewer's time zone (accounts.signin.middleware.TimeZoneMiddleware)."""

from datetime import datetime, time, timedelta

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.urls import path
from django.utils import timezone

from .. import selectors
from ..models import AuditEvent
from .pages import paginate, render_page

Type = AuditEvent.Type

# Every event type with its human name, grouped as the filter offers them (a test holds it equal to AuditEvent.Type).
EVENT_GROUPS = [
    (
        "Organization",
        [
            (Type.ORG_CREATED, "Organization created"),
            (Type.ORG_RENAMED, "Organization renamed"),
            (Type.ORG_DELETED, "Organization deleted"),
            (Type.JOINED_ORG, "Joined the organization"),
            (Type.REMOVED_FROM_ORG, "Removed from the organization"),
            (Type.USER_ROLES_CHANGED, "Roles changed"),
            (Type.ORG_SETTINGS_CHANGED, "Organization settings changed"),
        ],
    ),
    (
        "Projects",
        [
            (Type.GROUP_CREATED, "Project created"),
            (Type.GROUP_RENAMED, "Project renamed"),
            (Type.GROUP_DELETED, "Project deleted"),
            (Type.JOINED_GROUP, "Joined the project"),
            (Type.REMOVED_FROM_GROUP, "Removed from the project"),
        ],
    ),
    (
        "Teams",
        [
            (Type.TEAM_CREATED, "Team created"),
            (Type.TEAM_DELETED, "Team deleted"),
            (Type.TEAM_NAME_CHANGED, "Team renamed"),
            (Type.JOINED_TEAM, "Joined a team"),
            (Type.REMOVED_FROM_TEAM, "Removed from a team"),
            (Type.TEAM_ADDED_TO_GROUP, "Team added to a project"),
            (Type.TEAM_REMOVED_FROM_GROUP, "Team removed from a project"),
            (Type.TEAM_ROLES_MODIFIED, "Team's project roles changed"),
        ],
    ),
    (
        "Invitations and requests to join",
        [
            (Type.INVITED_TO_ORG, "Invited to the organization"),
            (Type.INVITED_TO_GROUP, "Invited to a project"),
            (Type.ORG_INVITATION_UPDATED, "Organization invitation changed"),
            (Type.GROUP_INVITATION_UPDATED, "Project invitation changed"),
            (Type.ORG_INVITATION_RESENT, "Organization invitation resent"),
            (Type.GROUP_INVITATION_RESENT, "Project invitation resent"),
            (Type.ORG_INVITATION_DELETED, "Organization invitation revoked"),
            (Type.GROUP_INVITATION_DELETED, "Project invitation revoked"),
            (Type.ORG_INVITATION_EXPIRED, "Organization invitation expired"),
            (Type.GROUP_INVITATION_EXPIRED, "Project invitation expired"),
            (Type.INVITATION_ACCEPT_REFUSED, "Invitation acceptance refused"),
            (Type.INVITATION_EMAIL_BOUNCED, "Invitation email bounced"),
            (Type.REQUESTED_TO_JOIN_GROUP, "Asked to join a project"),
            (Type.JOIN_GROUP_REQUEST_APPROVED, "Request to join approved"),
            (Type.JOIN_GROUP_REQUEST_DENIED, "Request to join denied"),
        ],
    ),
    (
        "API keys",
        [
            (Type.API_KEY_CREATED, "API key created"),
            (Type.API_KEY_DELETED, "API key deleted"),
            (Type.API_KEY_ROLES_CHANGED, "API key's roles changed"),
            (Type.API_KEY_DESCRIPTION_CHANGED, "API key's description changed"),
            (Type.API_KEY_ACCESS_LIST_ENTRY_ADDED, "API key access list entry added"),
            (Type.API_KEY_ACCESS_LIST_ENTRY_DELETED, "API key access list entry removed"),
            (Type.API_KEY_ADDED_TO_GROUP, "API key added to a project"),
            (Type.API_KEY_REMOVED_FROM_GROUP, "API key removed from a project"),
            (Type.API_KEY_GROUP_ROLES_CHANGED, "API key's project roles changed"),
            (Type.API_KEY_AUTHENTICATION_FAILED, "API key sign-in failed"),
            (Type.API_KEY_ACCESS_LIST_REFUSED, "API key refused by its access list"),
            (Type.API_KEY_DISABLED, "API key disabled by provider staff"),
            (Type.API_KEY_ENABLED, "API key enabled again by provider staff"),
        ],
    ),
    (
        "Service accounts",
        [
            (Type.SERVICE_ACCOUNT_CREATED, "Service account created"),
            (Type.SERVICE_ACCOUNT_DELETED, "Service account deleted"),
            (Type.SERVICE_ACCOUNT_DETAILS_CHANGED, "Service account's name or description changed"),
            (Type.SERVICE_ACCOUNT_ROLES_CHANGED, "Service account's roles changed"),
            (Type.SERVICE_ACCOUNT_SECRET_ADDED, "Service account secret made"),
            (Type.SERVICE_ACCOUNT_SECRET_DELETED, "Service account secret deleted"),
            (Type.SERVICE_ACCOUNT_ACCESS_LIST_ENTRY_ADDED, "Service account access list entry added"),
            (Type.SERVICE_ACCOUNT_ACCESS_LIST_ENTRY_DELETED, "Service account access list entry removed"),
            (Type.SERVICE_ACCOUNT_ADDED_TO_GROUP, "Service account added to a project"),
            (Type.SERVICE_ACCOUNT_REMOVED_FROM_GROUP, "Service account removed from a project"),
            (Type.SERVICE_ACCOUNT_GROUP_ROLES_CHANGED, "Service account's project roles changed"),
            (Type.SERVICE_ACCOUNT_TOKEN_ISSUED, "Service account token issued"),
            (Type.SERVICE_ACCOUNT_TOKEN_REVOKED, "Service account token revoked"),
            (Type.SERVICE_ACCOUNT_AUTHENTICATION_FAILED, "Service account sign-in failed"),
            (Type.SERVICE_ACCOUNT_ACCESS_LIST_REFUSED, "Service account refused by its access list"),
        ],
    ),
    (
        "Clusters",
        [
            (Type.CLUSTER_CREATED, "Cluster created"),
            (Type.CLUSTER_UPDATED, "Cluster changed"),
            (Type.CLUSTER_DELETED, "Cluster deleted"),
        ],
    ),
    (
        "Support access",
        [
            (Type.ORG_EMPLOYEE_ACCESS_RESTRICTED, "Support access blocked"),
            (Type.ORG_EMPLOYEE_ACCESS_UNRESTRICTED, "Support access unblocked"),
            (Type.EMPLOYEE_ACCESS_GRANTED, "Support access granted"),
            (Type.EMPLOYEE_ACCESS_REVOKED, "Support access revoked"),
            (Type.EMPLOYEE_ACCESS_EXPIRED, "Support access expired"),
            (Type.EMPLOYEE_ACCESS_REPLACED, "Support access replaced by a new grant"),
        ],
    ),
    (
        "Monitoring",
        [
            (Type.MONITORING_USER_ATTACHED, "Monitoring user attached"),
            (Type.MONITORING_USER_DETACHED, "Monitoring user detached"),
            (Type.MONITORING_GROUP_CREATED, "Monitoring group created"),
            (Type.MONITORING_GROUP_DELETED, "Monitoring group deleted"),
            (Type.MONITORING_GROUP_MEMBER_ADDED, "Added to a monitoring group"),
            (Type.MONITORING_GROUP_MEMBER_REMOVED, "Removed from a monitoring group"),
            (Type.USER_OFFBOARDED, "Person offboarded"),
        ],
    ),
    (
        "Sign-in and security",
        [
            (Type.ORG_TWO_FACTOR_AUTH_REQUIRED, "Two-factor authentication required"),
            (Type.ORG_TWO_FACTOR_AUTH_OPTIONAL, "Two-factor authentication made optional"),
            (Type.TWO_FACTOR_AUTH_ENABLED, "Two-factor authentication turned on"),
            (Type.TWO_FACTOR_AUTH_DISABLED, "Two-factor authentication turned off"),
            (Type.TWO_FACTOR_RECOVERY_CODE_USED, "Recovery code used"),
            (Type.TWO_FACTOR_RECOVERY_CODES_REGENERATED, "Recovery codes made anew"),
            (Type.SIGN_IN_LOCKED_OUT, "Sign-in locked out"),
        ],
    ),
    (
        "Staff",
        [
            (Type.USER_DEACTIVATED, "Account deactivated"),
            (Type.USER_REACTIVATED, "Account reactivated"),
            (Type.USER_STAFF_STATUS_CHANGED, "Staff status changed"),
            (Type.USER_STAFF_GROUPS_CHANGED, "Staff groups changed"),
            (Type.USER_PERMISSIONS_CHANGED, "Permissions changed"),
            (Type.STAFF_GROUP_CREATED, "Staff group created"),
            (Type.STAFF_GROUP_CHANGED, "Staff group changed"),
            (Type.STAFF_GROUP_DELETED, "Staff group deleted"),
            (Type.RECORDS_EXPORTED, "Records exported"),
            (Type.PERMISSIONS_REBUILT, "Permissions rebuilt"),
            (Type.SIGN_IN_UNLOCKED, "Sign-in unlocked"),
        ],
    ),
]
EVENT_LABELS = {value: label for _, choices in EVENT_GROUPS for value, label in choices}

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
    return EVENT_LABELS.get(event_type, event_type)


class ActivityFilterForm(forms.Form):
    """The filter of an activity page (GET). A field that does not validate is left out of the filter and says
    why next to itself; the others still apply."""

    event_type = forms.ChoiceField(
        label="Event type", required=False, choices=[("", "Every event"), *EVENT_GROUPS]
    )
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

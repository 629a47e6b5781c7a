"""The top of an organization's, a project's or a team's admin page: its owners, its counts (each a link to the
list filtered to it) and its settings, instead of every row inline. An inline of more than ``INLINE_LIMIT`` rows
is left out (the count links to its list), so a change page costs the same whatever the size."""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import admin
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from .. import roles
from ..models import (
    ApiKey,
    Cluster,
    Invitation,
    Organization,
    OrganizationMembership,
    Project,
    ProjectMembership,
    Team,
    TeamMembership,
    TeamProjectAssignment,
)

INLINE_LIMIT = 50
OWNERS_SHOWN = 10

# Other apps' lines and settings on an organization's page (monitoring users, the support block):
# ``facts(organization) -> (lines, settings)``, a query or two each.
ORGANIZATION_FACTS = []


def register_organization_facts(facts):
    if facts not in ORGANIZATION_FACTS:
        ORGANIZATION_FACTS.append(facts)
    return facts


@dataclass(frozen=True)
class Line:
    label: str
    count: int
    url: str


def changelist(model, **query) -> str:
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    return f"{url}?{urlencode(query)}" if query else url


def _people(memberships):
    return memberships.filter(user__is_service_account=False)


def organization_lines(organization) -> list[Line]:
    pk = organization.pk
    pending = Invitation.objects.filter(
        organization=organization, status=Invitation.Status.PENDING, expires_at__gt=timezone.now()
    )
    return [
        Line(
            "members",
            _people(OrganizationMembership.objects.filter(organization=organization)).count(),
            changelist(OrganizationMembership, organization__id__exact=pk),
        ),
        Line(
            "teams",
            Team.objects.filter(organization=organization).count(),
            changelist(Team, organization__id__exact=pk),
        ),
        Line(
            "API keys",
            ApiKey.objects.filter(organization=organization).count(),
            changelist(ApiKey, organization__id__exact=pk),
        ),
        Line(
            "projects",
            Project.objects.filter(organization=organization).count(),
            changelist(Project, organization__id__exact=pk),
        ),
        Line(
            "clusters",
            Cluster.objects.filter(project__organization=organization).count(),
            changelist(Cluster, project__organization__id__exact=pk),
        ),
        Line(
            "pending invitations",
            pending.count(),
            changelist(Invitation, organization__id__exact=pk, state="pending"),
        ),
    ]


def project_lines(project) -> list[Line]:
    pk = project.pk
    memberships = ProjectMembership.objects.filter(project=project)
    pending = Invitation.objects.filter(
        project=project, status=Invitation.Status.PENDING, expires_at__gt=timezone.now()
    )
    return [
        Line(
            "members (individually)",
            _people(memberships).count(),
            changelist(ProjectMembership, project__id__exact=pk),
        ),
        Line(
            "teams",
            TeamProjectAssignment.objects.filter(project=project).count(),
            changelist(Team, project=project.public_id),
        ),
        Line(
            "API keys",
            memberships.filter(user__is_service_account=True).count(),
            changelist(ApiKey, project=project.public_id),
        ),
        Line(
            "clusters",
            Cluster.objects.filter(project=project).count(),
            changelist(Cluster, project__id__exact=pk),
        ),
        Line(
            "pending invitations",
            pending.count(),
            changelist(Invitation, project__id__exact=pk, state="pending"),
        ),
    ]


def team_lines(team) -> list[Line]:
    return [
        Line(
            "members",
            TeamMembership.objects.filter(team=team).count(),
            changelist(
                OrganizationMembership, organization__id__exact=team.organization_id, team=team.public_id
            ),
        ),
        Line(
            "projects",
            TeamProjectAssignment.objects.filter(team=team).count(),
            changelist(Project, team=team.public_id),
        ),
    ]


def organization_owners(organization) -> tuple[list, int, str]:
    """The first owners by email, how many there are, and the link to all of them (two queries)."""
    owners = _people(OrganizationMembership.objects.filter(organization=organization)).filter(
        roles__name=roles.ORGANIZATION_OWNER_ROLE
    )
    shown = [m.user for m in owners.select_related("user").order_by("user__email")[:OWNERS_SHOWN]]
    url = changelist(
        OrganizationMembership, organization__id__exact=organization.pk, roles__name__exact=roles.ORG_OWNER
    )
    return shown, owners.count(), url


def project_owners(project) -> tuple[list, int, str]:
    owners = _people(ProjectMembership.objects.filter(project=project)).filter(
        roles__name=roles.PROJECT_OWNER_ROLE
    )
    shown = [m.user for m in owners.select_related("user").order_by("user__email")[:OWNERS_SHOWN]]
    url = changelist(ProjectMembership, project__id__exact=project.pk, roles__name__exact=roles.GROUP_OWNER)
    return shown, owners.count(), url


def render_overview(
    *, lines, owners=None, owners_label="owners", owners_note="", settings=(), left_out=()
) -> str:
    context = {
        "lines": lines,
        "settings": settings,
        "owners_label": owners_label,
        "owners_note": owners_note,
        "left_out": left_out,
    }
    if owners is not None:
        context["owners"], context["owner_count"], context["owners_url"] = owners
    return render_to_string("admin/staff/overview.html", context)  # already safe: autoescaped


class BoundedInlinesMixin:
    """A ModelAdmin whose inlines are left out once they would show more than ``INLINE_LIMIT`` rows: the
    overview's count links to the filtered list instead. ``inline_counts(obj)`` says how many rows each
    inline model has (one query each, asked once per page)."""

    inline_limit = INLINE_LIMIT

    def inline_counts(self, obj) -> dict:
        raise NotImplementedError

    def _inline_counts(self, obj) -> dict:
        if not hasattr(obj, "_staff_inline_counts"):
            obj._staff_inline_counts = self.inline_counts(obj)
        return obj._staff_inline_counts

    def get_inlines(self, request, obj):
        inlines = super().get_inlines(request, obj)
        if obj is None:
            return inlines
        counts = self._inline_counts(obj)
        return [inline for inline in inlines if counts.get(inline.model, 0) <= self.inline_limit]

    def inlines_left_out(self, obj) -> list[str]:
        counts = self._inline_counts(obj)
        return [
            str(inline.verbose_name_plural or inline.model._meta.verbose_name_plural)
            for inline in self.inlines
            if counts.get(inline.model, 0) > self.inline_limit
        ]


class ObjectFilter(admin.SimpleListFilter):
    """Filter a list to the rows of one object named by its public id (``?project=<id>``), as the overviews'
    links do: it shows only the object chosen (never a list of every object in the database)."""

    model = None
    lookup = ""

    def lookups(self, request, model_admin):
        chosen = self.value()
        if not chosen:
            return []
        found = self.model._default_manager.filter(public_id=chosen).first()
        return [(chosen, str(found) if found else chosen)]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{self.lookup: self.value()}).distinct()
        return queryset


class OrganizationFilter(ObjectFilter):
    title = "organization"
    parameter_name = "organization"
    model = Organization


class ProjectFilter(ObjectFilter):
    title = "project"
    parameter_name = "project"
    model = Project


class TeamFilter(ObjectFilter):
    title = "team"
    parameter_name = "team"
    model = Team


def object_filter(base, lookup):
    """``base`` (ProjectFilter, TeamFilter) filtering through ``lookup`` (e.g. "user__project_memberships__
    project__public_id")."""
    return type(f"{base.__name__}By{lookup.title().replace('_', '')}", (base,), {"lookup": lookup})

"""Organizations, projects, clusters, teams and the lists of members."""

from django.contrib import admin, messages
from django.db.models import Count, Q
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from .. import services
from ..models import (
    Cluster,
    Organization,
    OrganizationMembership,
    Project,
    ProjectMembership,
    Team,
    TeamMembership,
    TeamProjectAssignment,
)
from ..services import staff as services_staff
from .base import (
    ORGANIZATION_MEMBERS,
    PROJECT_MEMBERS,
    OrganizationMemberInline,
    ProjectMemberInline,
    RowServices,
    ServiceAdmin,
    TeamAssignmentInline,
    TeamMemberInline,
    people_only,
    role_list,
    stored,
)
from .confirm import confirm_first
from .explain import explain_cluster
from .exports import ExportMixin
from .filters import OwnersFilter
from .forms import (
    OrganizationAddForm,
    OrganizationMemberForm,
    ProjectAddForm,
    ProjectMemberForm,
)
from .overview import (
    ORGANIZATION_FACTS,
    BoundedInlinesMixin,
    ProjectFilter,
    TeamFilter,
    object_filter,
    organization_lines,
    organization_owners,
    project_lines,
    project_owners,
    render_overview,
    team_lines,
)

# ---- organizations, projects, clusters, teams ------------------------------------------------------------------


@admin.register(Organization)
class OrganizationAdmin(BoundedInlinesMixin, ServiceAdmin):
    list_display = ("name", "public_id", "member_count", "created_at")
    list_filter = (OwnersFilter,)
    search_fields = ("name", "=public_id")
    ordering = ("name",)
    fields = ("name", "public_id", "created_at", "overview")
    readonly_fields = ("public_id", "created_at", "overview")
    add_form = OrganizationAddForm
    add_fields = ("name", "owner")
    inlines = (OrganizationMemberInline,)

    def get_queryset(self, request):
        people = Q(memberships__user__is_service_account=False)
        return super().get_queryset(request).annotate(member_count=Count("memberships", filter=people))

    @admin.display(description="members", ordering="member_count")
    def member_count(self, organization):
        return organization.member_count

    def inline_counts(self, organization):
        return {OrganizationMembership: organization.member_count}

    actions = ("rebuild_permissions",)

    @admin.action(description="Rebuild the derived permissions of selected organizations", permissions=["change"])
    @confirm_first("Each organization's object permissions are computed again from its roles; what differs is fixed.")
    def rebuild_permissions(self, request, queryset):
        for organization in queryset.order_by("pk"):
            counts = services_staff.organization_permissions_rebuild(organization=organization, actor=request.user)
            self.message_user(
                request,
                f"{organization.name}: {counts['added']} permission(s) added, {counts['removed']} removed.",
                messages.SUCCESS,
            )

    @admin.display(description="at a glance")
    def overview(self, organization):
        """Owners, counts linking to the filtered lists, settings (a fixed number of queries)."""
        lines = organization_lines(organization)
        settings = [
            ("API keys need an IP access list", organization.api_access_list_required),
            ("two-factor authentication required", organization.multi_factor_auth_required),
        ]
        for facts in ORGANIZATION_FACTS:
            more_lines, more_settings = facts(organization)
            lines, settings = [*lines, *more_lines], [*settings, *more_settings]
        return render_overview(
            lines=lines,
            owners=organization_owners(organization),
            owners_label="organization owners",
            owners_note="They hold owner power on every project of the organization.",
            settings=settings,
            left_out=self.inlines_left_out(organization),
        )

    class Media:
        css = {"all": ("staff/admin.css",)}

    def create(self, request, form):
        return services.organization_create(
            name=form.cleaned_data["name"], owner=form.cleaned_data["owner"], actor=request.user
        )

    def update(self, request, organization, form):
        if "name" in form.changed_data:
            services.organization_rename(
                organization=stored(organization), name=form.cleaned_data["name"], actor=request.user
            )

    def remove(self, request, organization):
        services.organization_delete(organization=organization, actor=request.user)


@admin.register(Project)
class ProjectAdmin(BoundedInlinesMixin, ServiceAdmin):
    list_display = ("name", "organization", "public_id", "created_at")
    list_filter = ("organization", object_filter(TeamFilter, "team_assignments__team__public_id"))
    search_fields = ("name", "=public_id", "organization__name")
    ordering = ("organization__name", "name")
    fields = ("organization", "name", "public_id", "created_at", "overview")
    readonly_fields = ("organization", "public_id", "created_at", "overview")
    autocomplete_fields = ("organization",)
    add_form = ProjectAddForm
    add_fields = ("organization", "name", "owner")
    inlines = (ProjectMemberInline, TeamAssignmentInline)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("organization")

    def inline_counts(self, project):
        return {
            ProjectMembership: people_only(ProjectMembership.objects.filter(project=project)).count(),
            TeamProjectAssignment: TeamProjectAssignment.objects.filter(project=project).count(),
        }

    @admin.display(description="at a glance")
    def overview(self, project):
        return render_overview(
            lines=project_lines(project),
            owners=project_owners(project),
            owners_label="project owners (individually)",
            owners_note="The organization's owners, and teams with Project Owner, own it too.",
            left_out=self.inlines_left_out(project),
        )

    class Media:
        css = {"all": ("staff/admin.css",)}

    def create(self, request, form):
        return services.project_create(
            organization=form.cleaned_data["organization"],
            name=form.cleaned_data["name"],
            owner=form.cleaned_data["owner"],
            actor=request.user,
        )

    def update(self, request, project, form):
        if "name" in form.changed_data:
            services.project_rename(
                project=stored(project), name=form.cleaned_data["name"], actor=request.user
            )

    def remove(self, request, project):
        services.project_delete(project=project, actor=request.user)


# A cluster's description as Atlas's clients read it (accounts.services.clusters.DESCRIPTION_FIELDS).
DESCRIPTION = ("provider_name", "region_name", "instance_size", "mongodb_version", "paused")


@admin.register(Cluster)
class ClusterAdmin(ServiceAdmin):
    list_display = ("name", "project", "organization", "tier", "sync_enabled", "created_at")
    list_filter = ("tier", "sync_enabled", "project__organization")
    search_fields = ("name", "=public_id", "project__name", "project__organization__name")
    ordering = ("project__organization__name", "project__name", "name")
    fields = (
        "project",
        "name",
        "tier",
        "sync_enabled",
        *DESCRIPTION,
        "public_id",
        "created_at",
        "reached_by",
    )
    readonly_fields = ("project", "name", "public_id", "created_at", "reached_by")
    autocomplete_fields = ("project",)
    add_fields = ("project", "name", "tier", "sync_enabled", *DESCRIPTION)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("project__organization")

    @admin.display(ordering="project__organization__name")
    def organization(self, cluster):
        return cluster.project.organization

    @admin.display(description="who can reach it, and why")
    def reached_by(self, cluster):
        """People, teams, API keys, monitoring users and support engineers (computed from roles)."""
        return explain_cluster(cluster) if cluster.pk else "—"

    class Media:
        css = {"all": ("staff/admin.css",)}

    def create(self, request, form):
        data = form.cleaned_data
        return services.cluster_create(
            project=data["project"],
            name=data["name"],
            tier=data["tier"],
            sync_enabled=data["sync_enabled"],
            actor=request.user,
            **{field: data[field] for field in DESCRIPTION},
        )

    def update(self, request, cluster, form):
        services.cluster_update(
            cluster=stored(cluster),
            tier=form.cleaned_data["tier"],
            sync_enabled=form.cleaned_data["sync_enabled"],
            actor=request.user,
            **{field: form.cleaned_data[field] for field in DESCRIPTION},
        )

    def remove(self, request, cluster):
        services.cluster_delete(cluster=cluster, actor=request.user)


@admin.register(Team)
class TeamAdmin(BoundedInlinesMixin, ServiceAdmin):
    list_display = ("name", "organization", "member_count", "created_at")
    list_filter = ("organization", object_filter(ProjectFilter, "project_assignments__project__public_id"))
    search_fields = ("name", "=public_id", "organization__name")
    ordering = ("organization__name", "name")
    fields = ("organization", "name", "public_id", "overview", "project_access", "created_at")
    readonly_fields = ("organization", "public_id", "overview", "project_access", "created_at")
    autocomplete_fields = ("organization",)
    add_fields = ("organization", "name")
    inlines = (TeamMemberInline,)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("organization")
            .annotate(member_count=Count("memberships"))
        )

    @admin.display(description="members", ordering="member_count")
    def member_count(self, team):
        return team.member_count

    def inline_counts(self, team):
        return {TeamMembership: team.member_count}

    @admin.display(description="at a glance")
    def overview(self, team):
        return render_overview(lines=team_lines(team), left_out=self.inlines_left_out(team))

    class Media:
        css = {"all": ("staff/admin.css",)}

    @admin.display(description="projects")
    def project_access(self, team):
        assignments = team.project_assignments.select_related("project").prefetch_related("roles")
        rows = ((a.project.name, ", ".join(a.role_names)) for a in assignments.order_by("project__name"))
        return format_html_join(mark_safe("<br>"), "{} ({})", rows) or "—"  # nosec B308  # a constant separator

    def create(self, request, form):
        return services.team_create(
            organization=form.cleaned_data["organization"], name=form.cleaned_data["name"], actor=request.user
        )

    def update(self, request, team, form):
        if "name" in form.changed_data:
            services.team_rename(team=stored(team), name=form.cleaned_data["name"], actor=request.user)

    def remove(self, request, team):
        services.team_delete(team=team, actor=request.user)


# ---- the lists of members -------------------------------------------------------------------------------------


class MembershipAdmin(ExportMixin, ServiceAdmin):
    """The list of one kind of membership, its rows written through ``rows`` (accounts.admin.base); the page's
    fields name the membership's parent (``rows.parent``), and ``related`` is what a row shows of it."""

    rows: RowServices
    related: tuple[str, ...]
    scope_columns: tuple = ()
    search_fields = ("user__email", "user__first_name", "user__last_name")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        scope = cls.rows.parent
        cls.fields = (scope, "user", "roles", "created_at")
        cls.readonly_fields = (scope, "user", "created_at")
        cls.autocomplete_fields = (scope,)
        cls.add_fields = (scope, "email", "roles")
        cls.export_columns = (
            *cls.scope_columns,
            ("user", lambda m: m.user.email),
            ("roles", lambda m: " ".join(r.name for r in m.roles.all())),
            ("since", lambda m: m.created_at),
        )

    def get_queryset(self, request):
        memberships = people_only(super().get_queryset(request))
        return memberships.select_related(*self.related).prefetch_related("roles")

    @admin.display(description="user", ordering="user__email")
    def user_email(self, membership):
        return membership.user.email

    @admin.display(description="roles")
    def roles_held(self, membership):
        return role_list(membership)

    def create(self, request, form):
        data, rows = form.cleaned_data, self.rows
        return rows.call(rows.add, data[rows.parent], data["email"], roles=data["roles"], actor=request.user)

    def update(self, request, membership, form):
        if "roles" in form.changed_data:
            self._call(self.rows.roles_set, membership, roles=form.cleaned_data["roles"], actor=request.user)

    def remove(self, request, membership):
        self._call(self.rows.remove, membership, actor=request.user)

    def _call(self, service, membership, **kwargs):
        parent, holder = getattr(membership, self.rows.parent), getattr(membership, self.rows.holder)
        return self.rows.call(service, parent, holder, **kwargs)


@admin.register(OrganizationMembership)
class OrganizationMembershipAdmin(MembershipAdmin):
    rows = ORGANIZATION_MEMBERS
    related = ("user", "organization")
    form = OrganizationMemberForm
    list_display = ("user_email", "organization", "roles_held", "created_at")
    list_filter = ("organization", "roles__name", object_filter(TeamFilter, "user__team_memberships__team__public_id"))
    scope_columns = (
        ("organization", lambda m: m.organization.name),
        ("organization_id", lambda m: m.organization.public_id),
    )


@admin.register(ProjectMembership)
class ProjectMembershipAdmin(MembershipAdmin):
    rows = PROJECT_MEMBERS
    related = ("user", "project__organization")
    form = ProjectMemberForm
    list_display = ("user_email", "project", "organization", "roles_held", "created_at")
    list_filter = ("project__organization", "roles__name")
    search_fields = (*MembershipAdmin.search_fields, "project__name")
    scope_columns = (
        ("organization", lambda m: m.project.organization.name),
        ("project", lambda m: m.project.name),
        ("project_id", lambda m: m.project.public_id),
    )

    @admin.display(ordering="project__organization__name")
    def organization(self, membership):
        return membership.project.organization

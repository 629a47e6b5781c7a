"""The Django admin for tenancy and people. Every change that has a rule goes through ``accounts.services``, so
the rules hold here too; a refusal rolls the whole request back and comes back as a message on the form."""

from contextlib import contextmanager

from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.db import router, transaction
from django.db.models import Count, Prefetch, Q
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from . import roles as catalogue
from . import services
from .errors import ServiceError
from .forms import (
    OrganizationAddForm,
    OrganizationMemberForm,
    ProjectAddForm,
    ProjectMemberForm,
    ServiceModelForm,
    TeamAssignmentForm,
    TeamAssignmentFormSet,
    TeamMemberForm,
    UserChangeForm,
    UserCreationForm,
    pin_refusal,
    showing_refusal,
)
from .models import (
    ApiKey,
    ApiKeyAccessListEntry,
    AuditEvent,
    Cluster,
    Invitation,
    JoinRequest,
    Organization,
    OrganizationMembership,
    Project,
    ProjectMembership,
    Team,
    TeamMembership,
    TeamProjectAssignment,
    User,
)
from .services import api_keys as api_key_services
from .services import invitations as invitation_services
from .services import join_requests as join_request_services


def _adopt(obj, saved) -> None:
    """The admin goes on with the instance its form built (to log and redirect): make it the row the service
    created."""
    for field in obj._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding = False
    obj._state.db = saved._state.db


def _stored(obj):
    """``obj`` as stored: the form has already written the new values onto the admin's instance, and a service
    must see the old ones (to compare, and to record "from")."""
    return type(obj)._default_manager.get(pk=obj.pk)


def _people(memberships):
    """Memberships of people. An API key's (its service account's) are shown and changed on the API key, through
    the API key services."""
    return memberships.filter(user__is_service_account=False)


def _role_list(membership) -> str:
    return ", ".join(role.name for role in membership.roles.all())  # prefetched by the admin's queryset


class ServiceAdmin(admin.ModelAdmin):
    """A ModelAdmin whose saves and deletions are service calls (``create``, ``update``, ``remove``), and whose
    inlines save row by row through their own services.

    A ServiceError raised anywhere in a save leaves Django's ``transaction.atomic`` (so nothing of the request
    stays) and is shown as a message; a form is re-rendered with the person's input and the reason on the form
    or inline row it came from. The same holds for the delete page and the changelist's actions."""

    form = ServiceModelForm
    add_form = None
    add_fields = None

    def create(self, request, form):
        raise NotImplementedError

    def update(self, request, obj, form):
        raise NotImplementedError

    def remove(self, request, obj):
        raise NotImplementedError

    # ---- add and change pages differ: different fields, no inlines until the object exists

    def get_fields(self, request, obj=None):
        if obj is None and self.add_fields is not None:
            return list(self.add_fields)
        return super().get_fields(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return super().get_readonly_fields(request, obj) if obj is not None else ()

    def get_form(self, request, obj=None, **kwargs):
        if obj is None and self.add_form is not None:
            kwargs.setdefault("form", self.add_form)
        return super().get_form(request, obj, **kwargs)

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else ()

    # ---- writes are services

    def save_model(self, request, obj, form, change):
        if change:
            self.update(request, obj, form)
        else:
            _adopt(obj, self.create(request, form))

    def save_formset(self, request, form, formset, change):
        formset.admin_inline.save_rows(request, formset)

    def delete_model(self, request, obj):
        self.remove(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.remove(request, obj)

    # ---- refusals

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceError as error:
            refusal = error
        messages.error(request, f"Nothing was saved. {refusal.message}")
        with showing_refusal(refusal):
            try:
                return super().changeform_view(request, object_id, form_url, extra_context)
            except ServiceError:  # no form took the refusal (it cannot happen, but never answer 500)
                return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ServiceError as error:
            messages.error(request, f"Nothing was deleted. {error.message}")
        opts = self.opts
        return HttpResponseRedirect(
            reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change",
                args=[object_id],
                current_app=self.admin_site.name,
            )
        )

    def changelist_view(self, request, extra_context=None):
        if request.method != "POST":
            return super().changelist_view(request, extra_context)
        # Django runs actions outside any transaction: one refused object must undo the ones before it.
        try:
            with transaction.atomic(using=router.db_for_write(self.model)):
                return super().changelist_view(request, extra_context)
        except ServiceError as error:
            messages.error(request, f"Nothing was changed. {error.message}")
            return HttpResponseRedirect(request.get_full_path())


# ---- inlines ----------------------------------------------------------------------------------------------------


@contextmanager
def _row(form):
    """Pin a refusal to the inline row it came from (None: the page's main form)."""
    try:
        yield
    except ServiceError as error:
        pin_refusal(error, form.prefix if form is not None else None)
        raise


def _rows(formset):
    """(new, kept, removed) forms of a valid inline formset."""
    deleted = set(formset.deleted_forms)
    new = [form for form in formset.extra_forms if form.has_changed() and form not in deleted]
    kept = [form for form in formset.initial_forms if form not in deleted]
    removed = [form for form in formset.initial_forms if form in deleted]
    return new, kept, removed


def _with_changed_roles(forms, owner_role):
    """The rows whose roles changed, those that grant the owner role first: so that handing ownership over
    (promote one, demote the other) works in one save."""
    changed = [form for form in forms if "roles" in form.changed_data]
    return sorted(changed, key=lambda form: owner_role not in form.cleaned_data["roles"])


def _record(formset, new=(), changed=(), removed=()):
    """What the admin's change message reads (``formset.save()`` would have set it)."""
    formset.new_objects = list(new)
    formset.changed_objects = [(form.instance, ["roles"]) for form in changed]
    formset.deleted_objects = [form.instance for form in removed]


class ServiceInline(admin.TabularInline):
    extra = 1

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.admin_inline = self
        return formset

    def save_rows(self, request, formset):
        raise NotImplementedError

    @admin.display(description="since")
    def since(self, row):
        return formats.localize(timezone.template_localtime(row.created_at)) if row.pk else "—"


class OrganizationMemberInline(ServiceInline):
    model = OrganizationMembership
    form = OrganizationMemberForm
    fields = ("email", "roles", "since")
    readonly_fields = ("since",)
    verbose_name = "member"
    verbose_name_plural = "members"

    def get_queryset(self, request):
        return (
            _people(super().get_queryset(request))
            .select_related("user", "organization")
            .prefetch_related("roles")
        )

    def save_rows(self, request, formset):
        organization, actor = formset.instance, request.user
        new, kept, removed = _rows(formset)
        added = []
        for form in new:
            with _row(form):
                added.append(
                    services.organization_member_add(
                        organization=organization,
                        user=form.cleaned_data["email"],
                        roles=form.cleaned_data["roles"],
                        actor=actor,
                    )
                )
        changed = _with_changed_roles(kept, catalogue.ORGANIZATION_OWNER_ROLE)
        for form in changed:
            with _row(form):
                services.organization_member_roles_set(
                    organization=organization,
                    user=form.instance.user,
                    roles=form.cleaned_data["roles"],
                    actor=actor,
                )
        for form in removed:
            with _row(None):
                services.organization_member_remove(
                    organization=organization, user=form.instance.user, actor=actor
                )
        _record(formset, added, changed, removed)


class ProjectMemberInline(ServiceInline):
    model = ProjectMembership
    form = ProjectMemberForm
    fields = ("email", "roles", "since")
    readonly_fields = ("since",)
    verbose_name = "member"
    verbose_name_plural = "members (individual; organization owners and teams reach the project too)"

    def get_queryset(self, request):
        return (
            _people(super().get_queryset(request)).select_related("user", "project").prefetch_related("roles")
        )

    def save_rows(self, request, formset):
        project, actor = formset.instance, request.user
        new, kept, removed = _rows(formset)
        added = []
        for form in new:
            with _row(form):
                added.append(
                    services.project_member_add(
                        project=project,
                        user=form.cleaned_data["email"],
                        roles=form.cleaned_data["roles"],
                        actor=actor,
                    )
                )
        changed = _with_changed_roles(kept, catalogue.PROJECT_OWNER_ROLE)
        for form in changed:
            with _row(form):
                services.project_member_roles_set(
                    project=project, user=form.instance.user, roles=form.cleaned_data["roles"], actor=actor
                )
        for form in removed:
            with _row(None):
                services.project_member_remove(project=project, user=form.instance.user, actor=actor)
        _record(formset, added, changed, removed)


class TeamAssignmentInline(ServiceInline):
    model = TeamProjectAssignment
    form = TeamAssignmentForm
    formset = TeamAssignmentFormSet
    fields = ("team", "roles", "since")
    readonly_fields = ("since",)
    verbose_name = "team"
    verbose_name_plural = "teams (every member of a team holds its roles here)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("team", "project").prefetch_related("roles")

    def save_rows(self, request, formset):
        project, actor = formset.instance, request.user
        new, kept, removed = _rows(formset)
        added = []
        for form in new:
            with _row(form):
                added.append(
                    services.team_project_assign(
                        team=form.cleaned_data["team"],
                        project=project,
                        roles=form.cleaned_data["roles"],
                        actor=actor,
                    )
                )
        changed = _with_changed_roles(kept, catalogue.PROJECT_OWNER_ROLE)
        for form in changed:
            with _row(form):
                services.team_project_roles_set(
                    team=form.instance.team, project=project, roles=form.cleaned_data["roles"], actor=actor
                )
        for form in removed:
            with _row(None):
                services.team_project_unassign(team=form.instance.team, project=project, actor=actor)
        _record(formset, added, changed, removed)


class TeamMemberInline(ServiceInline):
    model = TeamMembership
    form = TeamMemberForm
    fields = ("email", "since")
    readonly_fields = ("since",)
    verbose_name = "member"
    verbose_name_plural = "members (organization members only)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "team")

    def save_rows(self, request, formset):
        team, actor = formset.instance, request.user
        new, _, removed = _rows(formset)
        added = []
        for form in new:
            with _row(form):
                added.append(
                    services.team_member_add(team=team, user=form.cleaned_data["email"], actor=actor)
                )
        for form in removed:
            with _row(None):
                services.team_member_remove(team=team, user=form.instance.user, actor=actor)
        _record(formset, added, (), removed)


# ---- organizations, projects, clusters, teams ------------------------------------------------------------------


@admin.register(Organization)
class OrganizationAdmin(ServiceAdmin):
    list_display = ("name", "public_id", "member_count", "created_at")
    search_fields = ("name", "=public_id")
    ordering = ("name",)
    fields = ("name", "public_id", "created_at")
    readonly_fields = ("public_id", "created_at")
    add_form = OrganizationAddForm
    add_fields = ("name", "owner")
    inlines = (OrganizationMemberInline,)

    def get_queryset(self, request):
        people = Q(memberships__user__is_service_account=False)
        return super().get_queryset(request).annotate(member_count=Count("memberships", filter=people))

    @admin.display(description="members", ordering="member_count")
    def member_count(self, organization):
        return organization.member_count

    def create(self, request, form):
        return services.organization_create(
            name=form.cleaned_data["name"], owner=form.cleaned_data["owner"], actor=request.user
        )

    def update(self, request, organization, form):
        if "name" in form.changed_data:
            services.organization_rename(
                organization=_stored(organization), name=form.cleaned_data["name"], actor=request.user
            )

    def remove(self, request, organization):
        services.organization_delete(organization=organization, actor=request.user)


@admin.register(Project)
class ProjectAdmin(ServiceAdmin):
    list_display = ("name", "organization", "public_id", "created_at")
    list_filter = ("organization",)
    search_fields = ("name", "=public_id", "organization__name")
    ordering = ("organization__name", "name")
    fields = ("organization", "name", "public_id", "created_at")
    readonly_fields = ("organization", "public_id", "created_at")
    autocomplete_fields = ("organization",)
    add_form = ProjectAddForm
    add_fields = ("organization", "name", "owner")
    inlines = (ProjectMemberInline, TeamAssignmentInline)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("organization")

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
                project=_stored(project), name=form.cleaned_data["name"], actor=request.user
            )

    def remove(self, request, project):
        services.project_delete(project=project, actor=request.user)


@admin.register(Cluster)
class ClusterAdmin(ServiceAdmin):
    list_display = ("name", "project", "organization", "tier", "sync_enabled", "created_at")
    list_filter = ("tier", "sync_enabled", "project__organization")
    search_fields = ("name", "=public_id", "project__name", "project__organization__name")
    ordering = ("project__organization__name", "project__name", "name")
    fields = ("project", "name", "tier", "sync_enabled", "public_id", "created_at")
    readonly_fields = ("project", "name", "public_id", "created_at")
    autocomplete_fields = ("project",)
    add_fields = ("project", "name", "tier", "sync_enabled")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("project__organization")

    @admin.display(ordering="project__organization__name")
    def organization(self, cluster):
        return cluster.project.organization

    def create(self, request, form):
        data = form.cleaned_data
        return services.cluster_create(
            project=data["project"],
            name=data["name"],
            tier=data["tier"],
            sync_enabled=data["sync_enabled"],
            actor=request.user,
        )

    def update(self, request, cluster, form):
        services.cluster_update(
            cluster=_stored(cluster),
            tier=form.cleaned_data["tier"],
            sync_enabled=form.cleaned_data["sync_enabled"],
            actor=request.user,
        )

    def remove(self, request, cluster):
        services.cluster_delete(cluster=cluster, actor=request.user)


@admin.register(Team)
class TeamAdmin(ServiceAdmin):
    list_display = ("name", "organization", "member_count", "created_at")
    list_filter = ("organization",)
    search_fields = ("name", "=public_id", "organization__name")
    ordering = ("organization__name", "name")
    fields = ("organization", "name", "public_id", "project_access", "created_at")
    readonly_fields = ("organization", "public_id", "project_access", "created_at")
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

    @admin.display(description="projects")
    def project_access(self, team):
        assignments = team.project_assignments.select_related("project").prefetch_related("roles")
        rows = ((a.project.name, ", ".join(a.role_names)) for a in assignments.order_by("project__name"))
        return format_html_join(mark_safe("<br>"), "{} ({})", rows) or "—"

    def create(self, request, form):
        return services.team_create(
            organization=form.cleaned_data["organization"], name=form.cleaned_data["name"], actor=request.user
        )

    def update(self, request, team, form):
        if "name" in form.changed_data:
            services.team_rename(team=_stored(team), name=form.cleaned_data["name"], actor=request.user)

    def remove(self, request, team):
        services.team_delete(team=team, actor=request.user)


# ---- the lists of members -------------------------------------------------------------------------------------


@admin.register(OrganizationMembership)
class OrganizationMembershipAdmin(ServiceAdmin):
    list_display = ("user_email", "organization", "roles_held", "created_at")
    list_filter = ("organization",)
    search_fields = ("user__email", "user__first_name", "user__last_name")
    form = OrganizationMemberForm
    fields = ("organization", "user", "roles", "created_at")
    readonly_fields = ("organization", "user", "created_at")
    autocomplete_fields = ("organization",)
    add_fields = ("organization", "email", "roles")

    def get_queryset(self, request):
        return (
            _people(super().get_queryset(request))
            .select_related("user", "organization")
            .prefetch_related("roles")
        )

    @admin.display(description="user", ordering="user__email")
    def user_email(self, membership):
        return membership.user.email

    @admin.display(description="roles")
    def roles_held(self, membership):
        return _role_list(membership)

    def create(self, request, form):
        return services.organization_member_add(
            organization=form.cleaned_data["organization"],
            user=form.cleaned_data["email"],
            roles=form.cleaned_data["roles"],
            actor=request.user,
        )

    def update(self, request, membership, form):
        if "roles" in form.changed_data:
            services.organization_member_roles_set(
                organization=membership.organization,
                user=membership.user,
                roles=form.cleaned_data["roles"],
                actor=request.user,
            )

    def remove(self, request, membership):
        services.organization_member_remove(
            organization=membership.organization, user=membership.user, actor=request.user
        )


@admin.register(ProjectMembership)
class ProjectMembershipAdmin(ServiceAdmin):
    list_display = ("user_email", "project", "organization", "roles_held", "created_at")
    list_filter = ("project__organization",)
    search_fields = ("user__email", "user__first_name", "user__last_name", "project__name")
    form = ProjectMemberForm
    fields = ("project", "user", "roles", "created_at")
    readonly_fields = ("project", "user", "created_at")
    autocomplete_fields = ("project",)
    add_fields = ("project", "email", "roles")

    def get_queryset(self, request):
        return (
            _people(super().get_queryset(request))
            .select_related("user", "project__organization")
            .prefetch_related("roles")
        )

    @admin.display(description="user", ordering="user__email")
    def user_email(self, membership):
        return membership.user.email

    @admin.display(ordering="project__organization__name")
    def organization(self, membership):
        return membership.project.organization

    @admin.display(description="roles")
    def roles_held(self, membership):
        return _role_list(membership)

    def create(self, request, form):
        return services.project_member_add(
            project=form.cleaned_data["project"],
            user=form.cleaned_data["email"],
            roles=form.cleaned_data["roles"],
            actor=request.user,
        )

    def update(self, request, membership, form):
        if "roles" in form.changed_data:
            services.project_member_roles_set(
                project=membership.project,
                user=membership.user,
                roles=form.cleaned_data["roles"],
                actor=request.user,
            )

    def remove(self, request, membership):
        services.project_member_remove(project=membership.project, user=membership.user, actor=request.user)


# ---- invitations, requests to join, API keys: read here, changed by their services' actions --------------------


class ActionOnlyAdmin(ServiceAdmin):
    """Records that staff read and act on (resend, revoke, approve, ...) but never edit field by field. The
    actions need the model's "change" permission; each is a service call, and one refusal undoes the whole
    action (ServiceAdmin.changelist_view)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_act_permission(self, request):
        return super().has_change_permission(request)


@admin.register(Invitation)
class InvitationAdmin(ActionOnlyAdmin):
    list_display = (
        "email",
        "organization",
        "project",
        "roles_offered",
        "state",
        "inviter_email",
        "sent_at",
        "expires_at",
    )
    list_filter = ("status", "organization")
    search_fields = ("email", "inviter_email", "organization__name", "project__name")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    fields = (
        "email",
        "organization",
        "project",
        "roles",
        "teams",
        "group_role_assignments",
        "state",
        "inviter_email",
        "created_at",
        "sent_at",
        "expires_at",
        "accepted_at",
        "accepted_by",
        "revoked_at",
    )
    actions = ("resend", "revoke")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("organization", "project")

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the trail of who was invited stays

    @admin.display(description="roles")
    def roles_offered(self, invitation):
        return ", ".join(invitation.roles)

    @admin.display(description="status", ordering="status")
    def state(self, invitation):
        return invitation.effective_status  # past expires_at is expired, whatever the tasks have done

    @admin.action(description="Resend selected invitations (a new link, 30 more days)", permissions=["act"])
    def resend(self, request, queryset):
        for invitation in queryset:
            invitation_services.invitation_resend(invitation=invitation, actor=request.user)
        self.message_user(request, f"Resent {len(queryset)} invitation(s).", messages.SUCCESS)

    @admin.action(description="Revoke selected invitations", permissions=["act"])
    def revoke(self, request, queryset):
        for invitation in queryset:
            invitation_services.invitation_revoke(invitation=invitation, actor=request.user)
        self.message_user(request, f"Revoked {len(queryset)} invitation(s).", messages.SUCCESS)


@admin.register(JoinRequest)
class JoinRequestAdmin(ActionOnlyAdmin):
    list_display = ("user_email", "project", "organization", "status", "created_at", "decided_at")
    list_filter = ("status", "project__organization")
    search_fields = ("user__email", "project__name")
    ordering = ("-created_at",)
    fields = ("user", "project", "message", "status", "created_at", "decided_at", "decided_by")
    actions = ("approve", "deny")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "project__organization", "decided_by")

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="user", ordering="user__email")
    def user_email(self, join_request):
        return join_request.user.email

    @admin.display(ordering="project__organization__name")
    def organization(self, join_request):
        return join_request.project.organization

    @admin.action(
        description="Approve selected requests (the user joins as Project Read Only)", permissions=["act"]
    )
    def approve(self, request, queryset):
        for join_request in queryset:
            join_request_services.join_request_approve(join_request=join_request, actor=request.user)
        self.message_user(request, f"Approved {len(queryset)} request(s).", messages.SUCCESS)

    @admin.action(description="Deny selected requests", permissions=["act"])
    def deny(self, request, queryset):
        for join_request in queryset:
            join_request_services.join_request_deny(join_request=join_request, actor=request.user)
        self.message_user(request, f"Denied {len(queryset)} request(s).", messages.SUCCESS)


class AccessListInline(admin.TabularInline):
    model = ApiKeyAccessListEntry
    fields = ("cidr_block", "access_count", "last_used_at", "last_used_address", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "access list (requests from elsewhere are refused; empty: from anywhere)"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ApiKey)
class ApiKeyAdmin(ActionOnlyAdmin):
    """API keys are read here and can be deleted (through the service: the key leaves every project and its
    service account goes with it). The private key is never stored, and what Digest needs is never shown."""

    list_display = ("public_key", "description", "organization", "roles_held", "created_at", "last_used_at")
    list_filter = ("organization",)
    search_fields = ("public_key", "description", "organization__name")
    ordering = ("organization__name", "public_key")
    fields = (
        "public_key",
        "description",
        "organization",
        "roles_held",
        "project_access",
        "created_by",
        "created_at",
        "last_used_at",
        "last_used_address",
    )
    inlines = (AccessListInline,)

    def get_queryset(self, request):
        roles_here = OrganizationMembership.objects.prefetch_related("roles")
        return (
            super()
            .get_queryset(request)
            .select_related("organization", "user", "created_by")
            .prefetch_related(Prefetch("user__organization_memberships", queryset=roles_here))
        )

    @admin.display(description="organization roles")
    def roles_held(self, api_key):
        return ", ".join(_role_list(m) for m in api_key.user.organization_memberships.all())

    @admin.display(description="projects")
    def project_access(self, api_key):
        memberships = api_key.user.project_memberships.select_related("project").prefetch_related("roles")
        rows = ((m.project.name, _role_list(m)) for m in memberships.order_by("project__name"))
        return format_html_join(mark_safe("<br>"), "{} ({})", rows) or "—"

    def remove(self, request, api_key):
        api_key_services.api_key_delete(api_key=api_key, actor=request.user)


# ---- the audit trail ------------------------------------------------------------------------------------------


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail is append-only (the database refuses UPDATE and DELETE as well)."""

    list_display = (
        "created_at",
        "event_type",
        "actor_label",
        "target_type",
        "target_name",
        "organization",
        "project",
        "client_ip",
    )
    list_filter = ("event_type", "created_at")
    search_fields = ("actor_email", "target_name")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("organization", "project")

    @admin.display(description="actor", ordering="actor_email")
    def actor_label(self, event):
        return event.actor_email or "system"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# ---- users and staff groups -------------------------------------------------------------------------------------


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Users sign in with their email address. They are never deleted here (that would bypass the last-owner
    rules and orphan what they own): deactivate them instead."""

    form = UserChangeForm
    add_form = UserCreationForm
    list_display = ("email", "first_name", "last_name", "is_staff", "is_active", "last_login")
    list_filter = ("is_staff", "is_active", "is_superuser", "is_service_account")
    search_fields = ("email", "first_name", "last_name", "=public_id")
    ordering = ("email",)
    readonly_fields = (
        "public_id",
        "is_service_account",
        "organizations",
        "projects",
        "teams",
        "last_login",
        "date_joined",
    )
    filter_horizontal = ("user_permissions",)
    fieldsets = (
        (None, {"fields": ("email", "password", "public_id", "is_service_account")}),
        ("Personal info", {"fields": ("first_name", "last_name")}),
        ("Access", {"fields": ("organizations", "projects", "teams")}),
        ("Staff permissions", {"fields": ("is_active", "is_staff", "is_superuser", "user_permissions")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "first_name", "last_name", "usable_password", "password1", "password2"),
            },
        ),
    )
    actions = ("deactivate",)

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        """An API key's service account is read-only: it changes with its key (a password or staff status
        would let it sign in)."""
        if obj is not None and obj.is_service_account:
            return False
        return super().has_change_permission(request, obj)

    @admin.action(description="Deactivate selected users", permissions=["change"])
    def deactivate(self, request, queryset):
        count = queryset.filter(is_active=True).exclude(pk=request.user.pk).update(is_active=False)
        self.message_user(request, f"Deactivated {count} user(s); they can no longer sign in or act.")

    @admin.display(description="organizations")
    def organizations(self, user):
        memberships = user.organization_memberships.select_related("organization").prefetch_related("roles")
        rows = ((m.organization.name, _role_list(m)) for m in memberships.order_by("organization__name"))
        return format_html_join(mark_safe("<br>"), "{} ({})", rows) or "—"

    @admin.display(description="projects (individually)")
    def projects(self, user):
        memberships = user.project_memberships.select_related("project__organization").prefetch_related(
            "roles"
        )
        rows = (
            (m.project.organization.name, m.project.name, _role_list(m))
            for m in memberships.order_by("project__organization__name", "project__name")
        )
        return format_html_join(mark_safe("<br>"), "{} / {} ({})", rows) or "—"

    @admin.display(description="teams")
    def teams(self, user):
        memberships = user.team_memberships.select_related("team__organization")
        rows = ((m.team.organization.name, m.team.name) for m in memberships.order_by("team__name"))
        return format_html_join(mark_safe("<br>"), "{} / {}", rows) or "—"


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(DjangoGroupAdmin):
    """Staff groups only. A team's group mirrors the team's members and project roles; it changes only through
    the team services, so it is not listed here."""

    def get_queryset(self, request):
        return super().get_queryset(request).filter(team__isnull=True)

"""Shared by every admin page of accounts: changes go through the services, refusals roll back and show."""

from contextlib import contextmanager
from dataclasses import dataclass

from django.contrib import admin, messages
from django.db import router, transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import formats, timezone

from .. import roles as catalogue
from .. import services
from ..errors import ServiceError
from ..models import (
    OrganizationMembership,
    ProjectMembership,
    TeamMembership,
    TeamProjectAssignment,
)
from .forms import (
    OrganizationMemberForm,
    ProjectMemberForm,
    ServiceModelForm,
    TeamAssignmentForm,
    TeamAssignmentFormSet,
    TeamMemberForm,
    pin_refusal,
    showing_refusal,
)


def _adopt(obj, saved) -> None:
    """The admin goes on with the instance its form built (to log and redirect): make it the row the service
    created."""
    for field in obj._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding = False
    obj._state.db = saved._state.db


def stored(obj):
    """``obj`` as stored: the form has already written the new values onto the admin's instance, and a service
    must see the old ones (to compare, and to record "from")."""
    return type(obj)._default_manager.get(pk=obj.pk)


def people_only(memberships):
    """Memberships of people. An API key's (its service account's) are shown and changed on the API key, through
    the API key services."""
    return memberships.filter(user__is_service_account=False)


def role_list(membership) -> str:
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


class _LabelledRows:
    """A tabular inline's inputs have no <label> of their own (the column header is not one): name each for
    assistive technology, with its row."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        row = "new row" if index is None else f"row {index + 1}"
        for name, field in form.fields.items():
            if not field.widget.is_hidden:
                field.widget.attrs.setdefault("aria-label", f"{field.label or name} ({row})")


class ServiceInline(admin.TabularInline):
    extra = 1

    def get_formset(self, request, obj=None, **kwargs):
        formset = type("LabelledFormSet", (_LabelledRows, super().get_formset(request, obj, **kwargs)), {})
        formset.admin_inline = self
        return formset

    def save_rows(self, request, formset):
        raise NotImplementedError

    @admin.display(description="since")
    def since(self, row):
        return formats.localize(timezone.template_localtime(row.created_at)) if row.pk else "—"


@dataclass(frozen=True)
class RowServices:
    """The services that write one kind of row putting someone somewhere (a membership, a team's assignment to a
    project, a team member), by their names in accounts.services: ``add``, ``remove`` and, where the rows hold
    roles, ``roles_set``. Each is called with the row's ``parent`` (the keyword naming the organization, project
    or team it is in) and its ``holder`` (the keyword naming the user or team), as the services spell them."""

    parent: str
    holder: str
    add: str
    remove: str
    roles_set: str | None = None

    @property
    def owner_role(self) -> str:
        """The role the last-owner rule keeps, in this parent's catalogue."""
        if self.parent == "organization":
            return catalogue.ORGANIZATION_OWNER_ROLE
        return catalogue.PROJECT_OWNER_ROLE

    def call(self, service: str, parent, holder, **kwargs):
        return getattr(services, service)(**{self.parent: parent, self.holder: holder}, **kwargs)


class RowServicesInline(ServiceInline):
    """An inline of such rows, saved row by row through ``rows``: new rows added (the holder from the form's
    ``holder_field``), changed roles set (those that grant the owner role first), deleted rows removed."""

    rows: RowServices
    holder_field = "email"

    def save_rows(self, request, formset):
        rows, parent, actor = self.rows, formset.instance, request.user
        new, kept, removed = _rows(formset)
        added = []
        for form in new:
            with _row(form):
                roles = {"roles": form.cleaned_data["roles"]} if rows.roles_set else {}
                holder = form.cleaned_data[self.holder_field]
                added.append(rows.call(rows.add, parent, holder, **roles, actor=actor))
        changed = _with_changed_roles(kept, rows.owner_role) if rows.roles_set else []
        for form in changed:
            with _row(form):
                holder = getattr(form.instance, rows.holder)
                rows.call(rows.roles_set, parent, holder, roles=form.cleaned_data["roles"], actor=actor)
        for form in removed:
            with _row(None):
                rows.call(rows.remove, parent, getattr(form.instance, rows.holder), actor=actor)
        _record(formset, added, changed, removed)


def member_services(parent: str) -> RowServices:
    """The services of an organization's or a project's members: ``<parent>_member_add``, and so on."""
    return RowServices(
        parent=parent,
        holder="user",
        add=f"{parent}_member_add",
        roles_set=f"{parent}_member_roles_set",
        remove=f"{parent}_member_remove",
    )


ORGANIZATION_MEMBERS = member_services("organization")
PROJECT_MEMBERS = member_services("project")
PROJECT_TEAMS = RowServices(
    parent="project",
    holder="team",
    add="team_project_assign",
    roles_set="team_project_roles_set",
    remove="team_project_unassign",
)
TEAM_MEMBERS = RowServices(parent="team", holder="user", add="team_member_add", remove="team_member_remove")


class MemberInline(RowServicesInline):
    """The people in an organization or a project, with their roles (API keys' accounts are not people)."""

    fields = ("email", "roles", "since")
    readonly_fields = ("since",)
    verbose_name = "member"

    def get_queryset(self, request):
        memberships = people_only(super().get_queryset(request))
        return memberships.select_related("user", self.rows.parent).prefetch_related("roles")


class OrganizationMemberInline(MemberInline):
    model = OrganizationMembership
    rows = ORGANIZATION_MEMBERS
    form = OrganizationMemberForm
    verbose_name_plural = "members"


class ProjectMemberInline(MemberInline):
    model = ProjectMembership
    rows = PROJECT_MEMBERS
    form = ProjectMemberForm
    verbose_name_plural = "members (individual; organization owners and teams reach the project too)"


class TeamAssignmentInline(RowServicesInline):
    model = TeamProjectAssignment
    rows = PROJECT_TEAMS
    holder_field = "team"
    form = TeamAssignmentForm
    formset = TeamAssignmentFormSet
    fields = ("team", "roles", "since")
    readonly_fields = ("since",)
    verbose_name = "team"
    verbose_name_plural = "teams (every member of a team holds its roles here)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("team", "project").prefetch_related("roles")


class TeamMemberInline(RowServicesInline):
    model = TeamMembership
    rows = TEAM_MEMBERS
    form = TeamMemberForm
    fields = ("email", "since")
    readonly_fields = ("since",)
    verbose_name = "member"
    verbose_name_plural = "members (organization members only)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "team")

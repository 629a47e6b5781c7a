"""The audit trail, users and staff groups."""

import json

from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.db import router, transaction
from django.http import HttpResponseRedirect
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from ..audit import event_types
from ..errors import ServiceError
from ..models import (
    AuditEvent,
    User,
    staff_groups,
)
from ..services import staff as staff_services
from .base import role_list
from .confirm import confirm_first
from .explain import explain_user
from .exports import ExportMixin
from .forms import (
    UserChangeForm,
    UserCreationForm,
)

# ---- the audit trail ------------------------------------------------------------------------------------------


class EventTypeFilter(admin.SimpleListFilter):
    """By event type, as the apps registered them (the column is free text: it has no choices of its own)."""

    title = "event type"
    parameter_name = "event_type__exact"  # the address the field filter had, which links and exports keep

    def lookups(self, request, model_admin):
        return [choice for _, choices in event_types.groups() for choice in choices]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(event_type=self.value())
        return queryset


@admin.register(AuditEvent)
class AuditEventAdmin(ExportMixin, admin.ModelAdmin):
    """Read-only: the trail is append-only (the database refuses UPDATE and DELETE as well)."""

    list_display = (
        "created_at",
        "event_type_label",
        "actor_label",
        "target_type",
        "target_name",
        "organization",
        "project",
        "client_ip",
    )
    list_filter = (EventTypeFilter, "created_at")
    search_fields = ("actor_email", "target_name")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    export_columns = (
        ("created_at", lambda e: e.created_at),
        ("event_type", lambda e: e.event_type),
        ("actor", lambda e: e.actor_email or "system"),
        ("target_type", lambda e: e.target_type),
        ("target_id", lambda e: e.target_id),
        ("target_name", lambda e: e.target_name),
        ("organization", lambda e: e.organization.name if e.organization else ""),
        ("project", lambda e: e.project.name if e.project else ""),
        ("client_ip", lambda e: e.client_ip),
        ("details", lambda e: json.dumps(e.details, sort_keys=True)),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("organization", "project")

    @admin.display(description="event type", ordering="event_type")
    def event_type_label(self, event):
        return event_types.label(event.event_type)

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


class _RefusalsShown:
    """A ServiceError anywhere in a save, a deletion or an action rolls the request back and is shown."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceError as error:
            messages.error(request, f"Nothing was saved. {error.message}")
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ServiceError as error:
            messages.error(request, f"Nothing was deleted. {error.message}")
            return HttpResponseRedirect(request.get_full_path())

    def changelist_view(self, request, extra_context=None):
        if request.method != "POST":
            return super().changelist_view(request, extra_context)
        try:
            with transaction.atomic(using=router.db_for_write(self.model)):
                return super().changelist_view(request, extra_context)
        except ServiceError as error:
            messages.error(request, f"Nothing was changed. {error.message}")
            return HttpResponseRedirect(request.get_full_path())


_ACCESS_FLAGS = ("is_active", "is_staff", "is_superuser")


@admin.register(User)
class UserAdmin(_RefusalsShown, DjangoUserAdmin):
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
        "access_explained",
        "last_login",
        "date_joined",
    )
    # Plain multiple selects: Django's two-box widget sets inline styles, which the CSP ('self' only) blocks.
    filter_horizontal = ()
    fieldsets = (
        (None, {"fields": ("email", "password", "public_id", "is_service_account")}),
        ("Personal info", {"fields": ("first_name", "last_name")}),
        ("Access", {"fields": ("organizations", "projects", "teams")}),
        ("What they reach, and why", {"fields": ("access_explained",)}),
        (
            "Staff permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
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

    class Media:
        css = {"all": ("staff/admin.css",)}

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        """An API key's service account is read-only: it changes with its key (a password or staff status
        would let it sign in)."""
        if obj is not None and obj.is_service_account:
            return False
        return super().has_change_permission(request, obj)

    @admin.action(description="Deactivate selected users", permissions=["change"])
    @confirm_first(
        "They can no longer sign in or act; their pending invitations are revoked; memberships stay."
    )
    def deactivate(self, request, queryset):
        """Through the service, one by one in one transaction: the last active owner of an organization or a
        project is refused (and nothing is changed), as on every other path."""
        users = list(queryset.filter(is_active=True).exclude(pk=request.user.pk).order_by("pk"))
        for user in users:
            staff_services.user_deactivate(user=user, actor=request.user)
        self.message_user(request, f"Deactivated {len(users)} user(s); they can no longer sign in or act.")

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups":  # staff groups (Support, ...); a team's group follows its team
            kwargs["queryset"] = staff_groups().order_by("name")
            kwargs["help_text"] = (
                "Staff groups, such as Support (support engineers). Teams and organization roles are not listed here."
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        """Active, staff and superuser status go through the staff service (audited, checked); the rest is
        saved as the form has it."""
        if not change:
            return super().save_model(request, obj, form, change)
        stored = User.objects.get(pk=obj.pk)
        for flag in _ACCESS_FLAGS:
            setattr(obj, flag, getattr(stored, flag))
        obj.save()
        staff_services.user_staff_access_update(
            user=obj,
            actor=request.user,
            **{flag: form.cleaned_data[flag] for flag in _ACCESS_FLAGS if flag in form.changed_data},
        )
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        """Staff groups and model-wide permissions through the staff service, never straight from the form."""
        if not change:
            return super().save_related(request, form, formsets, change)
        changed = {
            "staff_groups": form.cleaned_data["groups"] if "groups" in form.changed_data else None,
            "permissions": form.cleaned_data["user_permissions"]
            if "user_permissions" in form.changed_data
            else None,
        }
        staff_services.user_staff_access_update(user=form.instance, actor=request.user, **changed)
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    @admin.display(description="reaches")
    def access_explained(self, user):
        """Every organization, project and cluster, with the chain that gives it (computed from roles)."""
        return explain_user(user) if user.pk else "—"

    @admin.display(description="organizations")
    def organizations(self, user):
        memberships = user.organization_memberships.select_related("organization").prefetch_related("roles")
        rows = ((m.organization.name, role_list(m)) for m in memberships.order_by("organization__name"))
        return format_html_join(mark_safe("<br>"), "{} ({})", rows) or "—"  # nosec B308  # a constant separator

    @admin.display(description="projects (individually)")
    def projects(self, user):
        memberships = user.project_memberships.select_related("project__organization").prefetch_related(
            "roles"
        )
        rows = (
            (m.project.organization.name, m.project.name, role_list(m))
            for m in memberships.order_by("project__organization__name", "project__name")
        )
        return format_html_join(mark_safe("<br>"), "{} / {} ({})", rows) or "—"  # nosec B308  # a constant separator

    @admin.display(description="teams")
    def teams(self, user):
        memberships = user.team_memberships.select_related("team__organization")
        rows = ((m.team.organization.name, m.team.name) for m in memberships.order_by("team__name"))
        return format_html_join(mark_safe("<br>"), "{} / {}", rows) or "—"  # nosec B308  # a constant separator


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(_RefusalsShown, DjangoGroupAdmin):
    """Staff groups only. A team's group mirrors the team's members and project roles; it changes only through
    the team services, so it is not listed here. A staff group's model-wide permissions change through the staff
    service (audited; nobody grants what they do not hold); members are given groups on the user's page."""

    filter_horizontal = ()  # as on the user's page: the two-box widget's inline styles are blocked by the CSP

    def get_queryset(self, request):
        return staff_groups(super().get_queryset(request))

    def save_model(self, request, obj, form, change):
        group = staff_services.staff_group_save(
            group=obj if change else None,
            name=form.cleaned_data["name"],
            permissions=form.cleaned_data["permissions"],
            actor=request.user,
        )
        obj.pk = group.pk
        obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        """The permissions were set by the service in save_model."""

    def delete_model(self, request, obj):
        staff_services.staff_group_delete(group=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for group in queryset:
            staff_services.staff_group_delete(group=group, actor=request.user)

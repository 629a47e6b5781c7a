"""The audit trail, users and staff groups."""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from ..models import (
    AuditEvent,
    User,
)
from .base import role_list
from .forms import (
    UserChangeForm,
    UserCreationForm,
)

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
        rows = ((m.organization.name, role_list(m)) for m in memberships.order_by("organization__name"))
        return format_html_join(mark_safe("<br>"), "{} ({})", rows) or "—"

    @admin.display(description="projects (individually)")
    def projects(self, user):
        memberships = user.project_memberships.select_related("project__organization").prefetch_related(
            "roles"
        )
        rows = (
            (m.project.organization.name, m.project.name, role_list(m))
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

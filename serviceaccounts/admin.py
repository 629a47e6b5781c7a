"""Service accounts in the admin: read, searchable, deletable through the service (secrets are never shown)."""

from django.contrib import admin
from django.db.models import Prefetch
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from accounts.admin.access import ActionOnlyAdmin
from accounts.admin.base import role_list
from accounts.models import OrganizationMembership
from accounts.selectors.explain import register_cluster_reach_source

from .models import ServiceAccount, ServiceAccountAccessListEntry, ServiceAccountSecret
from .reach import cluster_service_account_reach
from .services import accounts as services

register_cluster_reach_source(cluster_service_account_reach)  # "who can reach this cluster" in the admin


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class SecretInline(_ReadOnlyInline):
    model = ServiceAccountSecret
    fields = ("public_id", "masked_value", "created_at", "expires_at", "last_used_at")
    readonly_fields = fields
    verbose_name_plural = "secrets (kept only as their hash)"


class AccessListInline(_ReadOnlyInline):
    model = ServiceAccountAccessListEntry
    fields = ("cidr_block", "access_count", "last_used_at", "last_used_address", "created_at")
    readonly_fields = fields
    verbose_name_plural = "access list (requests from elsewhere are refused; empty: from anywhere)"


@admin.register(ServiceAccount)
class ServiceAccountAdmin(ActionOnlyAdmin):
    list_display = ("client_id", "name", "organization", "roles_held", "created_at", "last_used_at")
    list_filter = ("organization",)
    search_fields = ("client_id", "name", "description", "organization__name")
    ordering = ("organization__name", "name")
    fields = (
        "client_id",
        "name",
        "description",
        "organization",
        "roles_held",
        "project_access",
        "created_by",
        "created_at",
        "last_used_at",
        "last_used_address",
    )
    inlines = (SecretInline, AccessListInline)

    def get_queryset(self, request):
        roles_here = OrganizationMembership.objects.prefetch_related("roles")
        return (
            super()
            .get_queryset(request)
            .select_related("organization", "user", "created_by")
            .prefetch_related(Prefetch("user__organization_memberships", queryset=roles_here))
        )

    @admin.display(description="organization roles")
    def roles_held(self, service_account):
        return ", ".join(role_list(m) for m in service_account.user.organization_memberships.all())

    @admin.display(description="projects")
    def project_access(self, service_account):
        memberships = service_account.user.project_memberships.select_related("project").prefetch_related(
            "roles"
        )
        rows = ((m.project.name, role_list(m)) for m in memberships.order_by("project__name"))
        return format_html_join(mark_safe("<br>"), "{} ({})", rows) or "—"  # nosec B308  # a constant separator

    def remove(self, request, service_account):
        services.service_account_delete(service_account=service_account, actor=request.user)

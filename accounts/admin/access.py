"""Invitations, requests to join and API keys: read here, changed by their services' actions."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Prefetch
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from ..models import (
    ApiKey,
    ApiKeyAccessListEntry,
    Invitation,
    JoinRequest,
    OrganizationMembership,
    OutboundEmail,
)
from ..services import api_keys as api_key_services
from ..services import invitations as invitation_services
from ..services import join_requests as join_request_services
from ..services import staff as staff_services
from .base import ServiceAdmin, role_list
from .confirm import confirm_first
from .exports import ExportMixin
from .filters import EmailWaitingFilter, InvitationStateFilter
from .overview import ProjectFilter, object_filter

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
        "bounced",
    )
    list_filter = (
        InvitationStateFilter,
        "status",
        ("bounced_at", admin.EmptyFieldListFilter),
        "organization",
    )
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

    @admin.display(boolean=True, description="email bounced")
    def bounced(self, invitation):
        return invitation.bounced_at is not None

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
    @confirm_first("Each invitee gets a new email with a new link; the old link stops working; 30 more days.")
    def resend(self, request, queryset):
        for invitation in queryset:
            invitation_services.invitation_resend(invitation=invitation, actor=request.user)
        self.message_user(request, f"Resent {len(queryset)} invitation(s).", messages.SUCCESS)

    @admin.action(description="Revoke selected invitations", permissions=["act"])
    @confirm_first("The links stop working at once; nobody joins through them. The invitations stay, revoked.")
    def revoke(self, request, queryset):
        for invitation in queryset:
            invitation_services.invitation_revoke(invitation=invitation, actor=request.user)
        self.message_user(request, f"Revoked {len(queryset)} invitation(s).", messages.SUCCESS)


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    """Every message the portal sent or tried to: read-only (the tasks and the ESP's webhooks write it)."""

    list_display = (
        "to",
        "subject",
        "status",
        "attempts",
        "last_event",
        "created_at",
        "sent_at",
        "bounced_at",
    )
    list_filter = ("status", EmailWaitingFilter, "template")
    search_fields = ("to", "subject", "esp_message_id")
    date_hierarchy = "created_at"
    # Not even the encrypted secret (an accept link) is shown.
    readonly_fields = [f.name for f in OutboundEmail._meta.fields if f.name != "secret_context_encrypted"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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


def _organization_roles(api_key) -> list[str]:
    return [name for m in api_key.user.organization_memberships.all() for name in m.role_names]  # prefetched


class DisableReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=staff_services.DISABLE_REASON_MAX,
        help_text="Recorded in the audit trail and shown to the organization's owners on the key's page.",
    )


class EnableReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason (optional)",
        max_length=staff_services.DISABLE_REASON_MAX,
        required=False,
        help_text="Recorded in the audit trail.",
    )


@admin.register(ApiKey)
class ApiKeyAdmin(ExportMixin, ActionOnlyAdmin):
    """API keys are read here, disabled and enabled again (staff who may change API keys), and can be deleted
    (through the service: the key leaves every project and its service account goes with it). The private key
    is never stored, and what Digest needs is never shown."""

    list_display = (
        "public_key",
        "description",
        "organization",
        "roles_held",
        "state",
        "created_at",
        "last_used_at",
    )
    list_filter = (
        "organization",
        object_filter(ProjectFilter, "user__project_memberships__project__public_id"),
        ("disabled_at", admin.EmptyFieldListFilter),
    )
    search_fields = ("public_key", "description", "organization__name")
    ordering = ("organization__name", "public_key")
    fields = (
        "public_key",
        "description",
        "organization",
        "state",
        "disabled_at",
        "disabled_by",
        "disabled_reason",
        "roles_held",
        "project_access",
        "created_by",
        "created_at",
        "last_used_at",
        "last_used_address",
    )
    actions = ("disable", "enable")
    inlines = (AccessListInline,)
    # Never the private key nor what Digest verifies it with.
    export_columns = (
        ("public_key", lambda k: k.public_key),
        ("description", lambda k: k.description),
        ("organization", lambda k: k.organization.name),
        ("organization_roles", lambda k: " ".join(_organization_roles(k))),
        ("created_by", lambda k: k.created_by.email if k.created_by else ""),
        ("created_at", lambda k: k.created_at),
        ("last_used_at", lambda k: k.last_used_at),
        ("last_used_address", lambda k: k.last_used_address),
        ("disabled_at", lambda k: k.disabled_at or ""),
        ("disabled_reason", lambda k: k.disabled_reason),
    )

    def get_queryset(self, request):
        roles_here = OrganizationMembership.objects.prefetch_related("roles")
        return (
            super()
            .get_queryset(request)
            .select_related("organization", "user", "created_by", "disabled_by")
            .prefetch_related(Prefetch("user__organization_memberships", queryset=roles_here))
        )

    @admin.display(description="state", ordering="disabled_at")
    def state(self, api_key):
        return "disabled by staff" if api_key.is_disabled else "active"

    @admin.action(description="Disable selected API keys", permissions=["act"])
    @confirm_first(
        "Every request signed with these keys is refused (401) from the next one on, until they are enabled "
        "again; their roles, projects and access lists stay. Their pending invitations are revoked. The "
        "organizations' owners see the key disabled, with your reason.",
        form=DisableReasonForm,
    )
    def disable(self, request, queryset, reason):
        """Through the service, one by one in one transaction (one refusal undoes all). Keys disabled already
        are left as they are, and said so."""
        keys = list(queryset.filter(disabled_at__isnull=True).select_related("organization").order_by("pk"))
        for api_key in keys:
            staff_services.api_key_disable(api_key=api_key, actor=request.user, reason=reason)
        skipped = queryset.count() - len(keys)
        note = f"; {skipped} disabled already were left as they are" if skipped else ""
        self.message_user(request, f"Disabled {len(keys)} API key(s){note}.", messages.SUCCESS)

    @admin.action(description="Enable selected API keys again", permissions=["act"])
    @confirm_first(
        "Requests signed with these keys are accepted again from the next one on, with the roles, projects and "
        "access lists they had. Invitations revoked when they were disabled stay revoked.",
        form=EnableReasonForm,
    )
    def enable(self, request, queryset, reason):
        keys = list(queryset.filter(disabled_at__isnull=False).select_related("organization").order_by("pk"))
        for api_key in keys:
            staff_services.api_key_enable(api_key=api_key, actor=request.user, reason=reason)
        skipped = queryset.count() - len(keys)
        note = f"; {skipped} not disabled were left as they are" if skipped else ""
        self.message_user(request, f"Enabled {len(keys)} API key(s){note}.", messages.SUCCESS)

    @admin.display(description="organization roles")
    def roles_held(self, api_key):
        return ", ".join(role_list(m) for m in api_key.user.organization_memberships.all())

    @admin.display(description="projects")
    def project_access(self, api_key):
        memberships = api_key.user.project_memberships.select_related("project").prefetch_related("roles")
        rows = ((m.project.name, role_list(m)) for m in memberships.order_by("project__name"))
        return format_html_join(mark_safe("<br>"), "{} ({})", rows) or "—"  # nosec B308  # a constant separator

    def remove(self, request, api_key):
        api_key_services.api_key_delete(api_key=api_key, actor=request.user)

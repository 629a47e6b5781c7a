"""The Django admin for monitoring: monitoring users, their attachments (attach, detach), groups and members.
Every change goes through monitoring.services, so the rules hold here too; a refusal undoes the whole request
and comes back as a message."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count

from accounts.admin.base import ServiceAdmin
from accounts.admin.confirm import confirm_first
from accounts.admin.forms import ServiceModelForm, user_by_email
from accounts.admin.overview import Line, changelist, register_organization_facts
from accounts.selectors.explain import register_cluster_reach_source

from . import services
from .models import (
    GroupRole,
    MonitoringGroup,
    MonitoringGroupMembership,
    MonitoringUser,
    MonitoringUserAttachment,
)
from .reach import cluster_monitoring_reach

# The cluster's page in the admin explains who reaches it; monitoring users through its group are part of that.
register_cluster_reach_source(cluster_monitoring_reach)


@register_organization_facts
def _organization_monitoring(organization):
    """The organization's page in the admin: how many monitoring users are attached (a link to them)."""
    attached = MonitoringUserAttachment.objects.filter(organization=organization).count()
    url = changelist(MonitoringUserAttachment, organization__id__exact=organization.pk)
    return [Line("monitoring users attached", attached, url)], []

# ---- forms ------------------------------------------------------------------------------------------------------


class AttachForm(ServiceModelForm):
    username = forms.CharField(label="Monitoring user name", max_length=254)
    email = forms.EmailField(
        label="Email address",
        required=False,
        help_text="Needed for a new monitoring user (unless its user name is an email address).",
    )
    linked_user = forms.EmailField(
        label="Portal user (email)",
        required=False,
        help_text="The organization member this monitoring user belongs to (offboarding removes both).",
    )

    class Meta:
        model = MonitoringUserAttachment
        fields = ("organization", "group_role")

    def clean_linked_user(self):
        email = self.cleaned_data["linked_user"]
        return user_by_email(email) if email else None


class GroupAddForm(ServiceModelForm):
    class Meta:
        model = MonitoringGroup
        fields = ("project", "name")


class MemberAddForm(ServiceModelForm):
    username = forms.CharField(label="Monitoring user name", max_length=254)
    email = forms.EmailField(label="Email address", required=False)

    class Meta:
        model = MonitoringGroupMembership
        fields = ("group", "role")


# ---- read-only inlines ------------------------------------------------------------------------------------------


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AttachmentInline(ReadOnlyInline):
    model = MonitoringUserAttachment
    fields = ("organization", "group_role", "linked_user", "attached_by_email", "created_at")
    readonly_fields = fields
    verbose_name_plural = "attached to organizations"


class MembershipInline(ReadOnlyInline):
    model = MonitoringGroupMembership
    readonly_fields = ("monitoring_user", "group", "role", "source", "admins_notified_at", "created_at")
    fields = readonly_fields
    verbose_name_plural = "group memberships"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("monitoring_user", "group")


# ---- monitoring users and their attachments ----------------------------------------------------------------------


@admin.register(MonitoringUser)
class MonitoringUserAdmin(admin.ModelAdmin):
    """Monitoring users are made by attaching them (or adding them to a group); read here."""

    list_display = ("username", "email", "organization", "attached", "created_at")
    list_filter = ("organization",)
    search_fields = ("username", "email", "=public_id", "organization__name")
    ordering = ("username",)
    fields = ("username", "email", "organization", "public_id", "created_at")
    readonly_fields = fields
    inlines = (AttachmentInline, MembershipInline)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("organization")
            .annotate(attachment_count=Count("attachments"))
        )

    @admin.display(description="attached", boolean=True, ordering="attachment_count")
    def attached(self, monitoring_user):
        return bool(monitoring_user.attachment_count)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(MonitoringUserAttachment)
class MonitoringUserAttachmentAdmin(ServiceAdmin):
    """Attach (the add page) and detach (the action, or delete): both through the services, so attaching fills
    every eligible cluster's group and detaching empties every group the attachment filled."""

    list_display = (
        "username",
        "email",
        "organization",
        "group_role",
        "group_count",
        "linked_user",
        "attached_by_email",
        "created_at",
    )
    list_filter = ("group_role", "organization")
    search_fields = ("monitoring_user__username", "monitoring_user__email", "organization__name")
    ordering = ("organization__name", "monitoring_user__username")
    add_form = AttachForm
    add_fields = ("organization", "username", "email", "group_role", "linked_user")
    fields = (
        "organization",
        "monitoring_user",
        "group_role",
        "linked_user",
        "attached_by_email",
        "created_at",
    )
    readonly_fields = fields
    autocomplete_fields = ("organization",)
    actions = ("detach",)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("organization", "monitoring_user", "linked_user")
            .annotate(group_count=Count("memberships"))
        )

    @admin.display(ordering="monitoring_user__username")
    def username(self, attachment):
        return attachment.monitoring_user.username

    @admin.display(ordering="monitoring_user__email")
    def email(self, attachment):
        return attachment.monitoring_user.email

    @admin.display(description="groups", ordering="group_count")
    def group_count(self, attachment):
        return attachment.group_count

    def create(self, request, form):
        data = form.cleaned_data
        return services.monitoring_user_attach(
            organization=data["organization"],
            username=data["username"],
            email=data["email"] or None,
            group_role=data["group_role"] or GroupRole.MEMBER,
            linked_user=data["linked_user"],
            actor=request.user,
        )

    def update(self, request, attachment, form):
        pass  # nothing is edited: detach and attach again to change the role

    def remove(self, request, attachment):
        services.monitoring_user_detach(attachment=attachment, actor=request.user)

    @admin.action(
        description="Detach selected monitoring users (removes each from every group)", permissions=["delete"]
    )
    @confirm_first("Each monitoring user leaves every group of the organization that its attachment filled.")
    def detach(self, request, queryset):
        attachments = list(queryset.select_related("organization", "monitoring_user"))
        groups = 0
        for attachment in attachments:
            groups += len(
                services.monitoring_user_detach(attachment=attachment, actor=request.user)["groups"]
            )
        self.message_user(
            request,
            f"Detached {len(attachments)} monitoring user(s); {groups} group membership(s) removed.",
            messages.SUCCESS,
        )


# ---- groups and members -----------------------------------------------------------------------------------------


class SystemGroupFilter(admin.SimpleListFilter):
    title = "managed by"
    parameter_name = "managed_by"

    def lookups(self, request, model_admin):
        return [("system", "the system (mongolab_)"), ("project", "the project")]

    def queryset(self, request, queryset):
        if self.value() == "system":
            return queryset.filter(cluster__isnull=False)
        if self.value() == "project":
            return queryset.filter(cluster__isnull=True)
        return queryset


@admin.register(MonitoringGroup)
class MonitoringGroupAdmin(ServiceAdmin):
    """Groups: the system's follow clusters (``manage.py monitoring_reconcile`` repairs them); a project's own
    are created here under any name but the reserved prefix, and deleted."""

    list_display = ("name", "project", "organization", "cluster", "system", "member_count", "created_at")
    list_filter = (SystemGroupFilter, "project__organization")
    search_fields = ("name", "=public_id", "cluster__name", "project__name", "project__organization__name")
    ordering = ("project__organization__name", "project__name", "name")
    add_form = GroupAddForm
    add_fields = ("project", "name")
    fields = ("name", "project", "cluster", "public_id", "created_at")
    readonly_fields = fields
    autocomplete_fields = ("project",)
    inlines = (MembershipInline,)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("project__organization", "cluster")
            .annotate(member_count=Count("memberships"))
        )

    @admin.display(ordering="project__organization__name")
    def organization(self, group):
        return group.project.organization

    @admin.display(boolean=True, description="system")
    def system(self, group):
        return group.is_system

    @admin.display(description="members", ordering="member_count")
    def member_count(self, group):
        return group.member_count

    def create(self, request, form):
        return services.monitoring_group_create(
            project=form.cleaned_data["project"], name=form.cleaned_data["name"], actor=request.user
        )

    def update(self, request, group, form):
        pass

    def remove(self, request, group):
        services.monitoring_group_delete(group=group, actor=request.user)


@admin.register(MonitoringGroupMembership)
class MonitoringGroupMembershipAdmin(ServiceAdmin):
    """Members by hand: staff may add one to any group (superusers also to a system group); removing one from
    a group leaves the organization's attached list as it was."""

    list_display = ("username", "group", "role", "source", "admins_notified_at", "created_at")
    list_filter = ("source", "role", "group__project__organization")
    search_fields = ("monitoring_user__username", "monitoring_user__email", "group__name")
    ordering = ("group__name", "monitoring_user__username")
    add_form = MemberAddForm
    add_fields = ("group", "username", "email", "role")
    fields = ("group", "monitoring_user", "role", "source", "attachment", "admins_notified_at", "created_at")
    readonly_fields = fields
    autocomplete_fields = ("group",)
    actions = ("remove_by_hand",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("group__project__organization", "monitoring_user")

    @admin.display(ordering="monitoring_user__username")
    def username(self, membership):
        return membership.monitoring_user.username

    def create(self, request, form):
        data = form.cleaned_data
        return services.monitoring_group_member_add(
            group=data["group"],
            username=data["username"],
            email=data["email"] or None,
            role=data["role"] or GroupRole.MEMBER,
            actor=request.user,
        )

    def update(self, request, membership, form):
        pass

    def remove(self, request, membership):
        services.monitoring_group_member_remove(
            group=membership.group, monitoring_user=membership.monitoring_user, actor=request.user
        )

    @admin.action(
        description="Remove selected members from their group (attached lists unchanged)", permissions=["delete"]
    )
    @confirm_first(
        "Each leaves this one group; still attached, it stays in its other groups and joins new clusters' groups."
    )
    def remove_by_hand(self, request, queryset):
        memberships = list(queryset.select_related("group__project__organization", "monitoring_user"))
        still_attached = 0
        for membership in memberships:
            removal = services.monitoring_group_member_remove(
                group=membership.group, monitoring_user=membership.monitoring_user, actor=request.user
            )
            still_attached += removal.still_attached
        self.message_user(
            request,
            f"Removed {len(memberships)} member(s) from their groups. {still_attached} of them are still attached "
            "to their organization: they keep their other groups and join the groups of clusters created later.",
            messages.SUCCESS,
        )

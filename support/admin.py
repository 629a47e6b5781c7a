"""The Django admin of support access: grants (with a revoke action, through the service), the decision log and
the organizations' settings read-only, and for a support engineer the clusters they may reach now and until
when, with the one way to try to reach one (``support_access_decide``)."""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils import timezone

from accounts.admin.access import ActionOnlyAdmin
from accounts.admin.confirm import confirm_first
from accounts.admin.dashboard import DashboardItem, register_dashboard_item
from accounts.admin.exports import ExportMixin
from accounts.admin.overview import (
    Line,
    OrganizationFilter,
    changelist,
    object_filter,
    register_organization_facts,
)
from accounts.models import Cluster
from accounts.selectors.explain import register_cluster_reach_source, register_user_reach_source

from . import selectors, services
from .models import SupportAccessDecision, SupportAccessGrant, SupportAccessSetting, SupportReach
from .reach import cluster_support_reach, user_support_reach
from .templatetags.support_grants import time_left

# The cluster's page in the admin explains who reaches it; support engineers are part of that.
register_cluster_reach_source(cluster_support_reach)
register_user_reach_source(user_support_reach)


@register_organization_facts
def _organization_support(organization):
    """The organization's page in the admin: whether it blocks support staff, and its grants in force."""
    grants = selectors.active_grants().filter(cluster__project__organization=organization).count()
    url = changelist(SupportAccessGrant, state="active", organization=organization.public_id)
    blocked = selectors.support_access_restricted(organization)
    return [Line("support grants in force", grants, url)], [
        ("support access to infrastructure blocked", blocked)
    ]


# A grant "expiring soon" on the dashboard: within the hour.
GRANT_EXPIRING_WITHIN = timedelta(hours=1)


class GrantInForceFilter(admin.SimpleListFilter):
    """By the status in force: ACTIVE past ``expires_at`` is dead, whatever the tasks have done."""

    title = "in force"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", "active now"), ("expiring", "active, expiring within the hour")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "active":
            return queryset.filter(pk__in=selectors.active_grants(now).values("pk"))
        if self.value() == "expiring":
            expiring = selectors.active_grants(now).filter(expires_at__lte=now + GRANT_EXPIRING_WITHIN)
            return queryset.filter(pk__in=expiring.values("pk"))
        return queryset


register_dashboard_item(
    DashboardItem(
        "Support access",
        "grants active",
        SupportAccessGrant,
        lambda now: selectors.active_grants(now).count(),
        {"state": "active"},
        alarming=False,
    )
)
register_dashboard_item(
    DashboardItem(
        "Support access",
        "grants expiring within the hour",
        SupportAccessGrant,
        lambda now: selectors.active_grants(now).filter(expires_at__lte=now + GRANT_EXPIRING_WITHIN).count(),
        {"state": "expiring"},
        alarming=False,
    )
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SupportAccessGrant)
class SupportAccessGrantAdmin(ActionOnlyAdmin):
    """Grants are made by project owners; staff read them here and may revoke them (the service checks the
    model-wide permission accounts.grant_support_access, which superusers hold)."""

    list_display = (
        "cluster_name",
        "project",
        "organization",
        "grant_type",
        "state",
        "time_left_now",
        "granted_by_email",
        "granted_at",
        "expires_at",
        "revoked_by_email",
        "revoked_at",
    )
    list_filter = (
        GrantInForceFilter,
        "status",
        "grant_type",
        object_filter(OrganizationFilter, "cluster__project__organization__public_id"),
    )
    search_fields = (
        "cluster__name",
        "cluster__project__name",
        "cluster__project__organization__name",
        "granted_by_email",
    )
    date_hierarchy = "granted_at"
    ordering = ("-granted_at", "-id")
    fields = (
        "public_id",
        "cluster_name",
        "project",
        "organization",
        "grant_type",
        "state",
        "time_left_now",
        "granted_by_email",
        "granted_at",
        "expires_at",
        "revoked_by_email",
        "revoked_at",
        "replaced_by",
        "expired_at",
    )
    readonly_fields = fields
    actions = ("revoke",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("cluster__project__organization", "replaced_by")

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the record of who granted what stays

    def has_act_permission(self, request):
        return request.user.has_perm("support.change_supportaccessgrant") and request.user.has_perm(
            "accounts.grant_support_access"
        )

    @admin.display(description="cluster", ordering="cluster__name")
    def cluster_name(self, grant):
        return grant.cluster.name

    @admin.display(ordering="cluster__project__name")
    def project(self, grant):
        return grant.cluster.project

    @admin.display(ordering="cluster__project__organization__name")
    def organization(self, grant):
        return grant.cluster.project.organization

    @admin.display(description="status", ordering="status")
    def state(self, grant):
        return grant.effective_status()  # past expires_at is expired, whatever the tasks have done

    @admin.display(description="time left")
    def time_left_now(self, grant):
        return time_left(grant)

    @admin.action(description="Revoke selected grants (those still in force)", permissions=["act"])
    @confirm_first("Support staff lose the access these grants give at once; the projects' owners are told.")
    def revoke(self, request, queryset):
        now = timezone.now()
        live = [grant for grant in queryset if grant.is_live(now)]
        for grant in live:
            services.support_grant_revoke(cluster=grant.cluster, grant=grant, actor=request.user)
        skipped = len(queryset) - len(live)
        note = f"; {skipped} no longer in force were left as they are" if skipped else ""
        self.message_user(request, f"Revoked {len(live)} grant(s){note}.", messages.SUCCESS)


@admin.register(SupportAccessDecision)
class SupportAccessDecisionAdmin(ExportMixin, ReadOnlyAdmin):
    """Read-only: the log is append-only (the database refuses UPDATE, and DELETE on PostgreSQL, as well)."""

    list_display = (
        "decided_at",
        "engineer_email",
        "organization",
        "cluster_name",
        "scope",
        "allowed",
        "reason",
        "grant_type",
        "client_ip",
    )
    list_filter = ("allowed", "scope", "reason", "decided_at")
    search_fields = ("engineer_email", "cluster_name", "organization__name")
    date_hierarchy = "decided_at"
    ordering = ("-decided_at", "-id")
    list_select_related = ("organization",)
    export_columns = (
        ("decided_at", lambda d: d.decided_at),
        ("engineer", lambda d: d.engineer_email),
        ("organization", lambda d: d.organization.name),
        ("cluster", lambda d: d.cluster_name),
        ("scope", lambda d: d.scope),
        ("allowed", lambda d: d.allowed),
        ("reason", lambda d: d.reason),
        ("restricted", lambda d: d.restricted),
        ("grant_type", lambda d: d.grant_type),
        ("client_ip", lambda d: d.client_ip),
    )

    def get_queryset(self, request):
        """A support engineer reads their own decisions; who may read the audit trail reads every one."""
        decisions = super().get_queryset(request)
        if request.user.has_perm("accounts.view_auditevent"):
            return decisions
        return decisions.filter(engineer=request.user)


@admin.register(SupportAccessSetting)
class SupportAccessSettingAdmin(ReadOnlyAdmin):
    """Read-only: only the organization's owners change it, on their settings page or through the API."""

    list_display = ("organization", "restrict_employee_access", "changed_by_email", "changed_at")
    list_filter = ("restrict_employee_access",)
    search_fields = ("organization__name",)
    list_select_related = ("organization",)


class AttemptForm(forms.Form):
    cluster = forms.CharField(label="Cluster ID", max_length=24)
    scope = forms.ChoiceField(choices=SupportAccessDecision.Scope.choices)

    def clean_cluster(self):
        cluster = (
            Cluster.objects.select_related("project__organization")
            .filter(public_id=self.cleaned_data["cluster"].strip())
            .first()
        )
        if cluster is None:
            raise forms.ValidationError("No cluster has this ID.")
        return cluster


@admin.register(SupportReach)
class SupportReachAdmin(admin.ModelAdmin):
    """For the signed-in support engineer (staff in the Support group): which clusters they may reach now and
    until when, and the form that asks for one. Every attempt is decided and recorded by the one function."""

    def _engineer(self, request) -> bool:
        return selectors.is_support_engineer(request.user)

    def has_module_permission(self, request):
        return self._engineer(request)

    def has_view_permission(self, request, obj=None):
        return self._engineer(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = AttemptForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            self._ask(request, form.cleaned_data["cluster"], form.cleaned_data["scope"])
            return HttpResponseRedirect(request.get_full_path())
        now = timezone.now()
        reach = selectors.engineer_reach(request.user, now)
        labels = dict(SupportAccessDecision.Scope.choices)
        context = {
            **self.admin_site.each_context(request),
            "title": "Clusters I may reach now",
            "opts": self.model._meta,
            "granted": [(item, [labels[scope] for scope in item.scopes]) for item in reach.granted],
            "unblocked_organizations": reach.unblocked_organizations,
            "unblocked_scopes": [labels[scope] for scope in reach.unblocked_scopes],
            "form": form,
            "now": now,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "support/admin/engineer_reach.html", context)

    def _ask(self, request, cluster, scope) -> None:
        """One attempt, decided and recorded by the one function; the answer comes back as a message."""
        decision = services.support_access_decide(
            engineer=request.user, cluster=cluster, scope=scope, client_ip=request.META.get("REMOTE_ADDR")
        )
        verdict = "Allowed" if decision.allowed else "Refused"
        until = ""
        if decision.grant is not None:
            grant = decision.grant
            until = f" until {grant.expires_at:%Y-%m-%d %H:%M} UTC ({time_left(grant)} left)"
        self.message_user(
            request,
            f"{verdict}: {decision.record.get_scope_display()} of {cluster.name} "
            f"({cluster.project.organization.name} / {cluster.project.name}){until}. {decision.reason_label}.",
            messages.SUCCESS if decision.allowed else messages.ERROR,
        )

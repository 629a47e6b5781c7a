"""The admin's index as the staff's home ("accessportal staff"): what needs attention now, each a count that links
to the list it counts (filtered the same way), and the last 20 audit events.

Other apps add their own counts (support grants, ...) with ``register_dashboard_item``, so that accounts knows
none of them. Each count is one query whatever the data size, and a staff member sees only the counts of lists
they may open."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from ..models import AuditEvent, Invitation, Organization, OutboundEmail
from ..roles import ORGANIZATION_OWNER_ROLE

# How soon "expiring" is, and how long a message may wait in the queue before it counts as stuck.
INVITATION_EXPIRING_WITHIN = timedelta(days=1)
EMAIL_STUCK_AFTER = timedelta(minutes=10)
RECENT_EVENTS = 20


@dataclass(frozen=True)
class DashboardItem:
    """One count on the dashboard: ``count(now)`` is one query; ``query`` the changelist filter that lists the
    same rows (the filters are the admins' own list filters, so the link and the count agree)."""

    section: str
    label: str
    model: type
    count: Callable
    query: dict
    # A non-zero count is a problem (shown as such), rather than just something to know.
    alarming: bool = True


DASHBOARD_ITEMS: list[DashboardItem] = []


def register_dashboard_item(item: DashboardItem) -> DashboardItem:
    if item not in DASHBOARD_ITEMS:
        DASHBOARD_ITEMS.append(item)
    return item


def _pending(now):
    return Invitation.objects.filter(status=Invitation.Status.PENDING, expires_at__gt=now)


def locked_out_since(now):
    """Sign-in lockouts still in force: as many failures in a row as the limit, the latest within the cool-off."""
    return now - settings.AXES_COOLOFF_TIME


def _locked_out(now):
    return AccessAttempt.objects.filter(
        failures_since_start__gte=settings.AXES_FAILURE_LIMIT, attempt_time__gte=locked_out_since(now)
    )


def organizations_without_two_owners():
    """Organizations with fewer than two active people holding Organization Owner (one departure from being
    ownerless)."""
    owners = Q(
        memberships__roles__name=ORGANIZATION_OWNER_ROLE,
        memberships__user__is_active=True,
        memberships__user__is_service_account=False,
    )
    return Organization.objects.annotate(owner_count=Count("memberships", filter=owners)).filter(
        owner_count__lt=2
    )


for _item in (
    DashboardItem(
        "Invitations", "pending", Invitation, lambda now: _pending(now).count(), {"state": "pending"}, False
    ),
    DashboardItem(
        "Invitations",
        "expiring within a day",
        Invitation,
        lambda now: _pending(now).filter(expires_at__lte=now + INVITATION_EXPIRING_WITHIN).count(),
        {"state": "expiring"},
    ),
    DashboardItem(
        "Invitations",
        "pending, email bounced",
        Invitation,
        lambda now: _pending(now).filter(bounced_at__isnull=False).count(),
        {"state": "pending", "bounced_at__isempty": "0"},
    ),
    DashboardItem(
        "Emails",
        "failed",
        OutboundEmail,
        lambda now: OutboundEmail.objects.filter(status=OutboundEmail.Status.FAILED).count(),
        {"status__exact": OutboundEmail.Status.FAILED},
    ),
    DashboardItem(
        "Emails",
        "queued longer than ten minutes",
        OutboundEmail,
        lambda now: OutboundEmail.objects.filter(
            status=OutboundEmail.Status.QUEUED, created_at__lt=now - EMAIL_STUCK_AFTER
        ).count(),
        {"waiting": "stuck"},
    ),
    DashboardItem(
        "Accounts",
        "locked out of sign-in",
        AccessAttempt,
        lambda now: _locked_out(now).count(),
        {"locked_out": "yes", "in_force": "yes"},
    ),
    DashboardItem(
        "Accounts",
        "organizations without two owners",
        Organization,
        lambda now: organizations_without_two_owners().count(),
        {"owners": "fewer_than_two"},
    ),
):
    register_dashboard_item(_item)


@dataclass(frozen=True)
class Tally:
    item: DashboardItem
    value: int
    url: str

    @property
    def needs_attention(self) -> bool:
        return self.item.alarming and self.value > 0


def _changelist_url(model, query) -> str:
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    return f"{url}?{urlencode(query)}" if query else url


def dashboard(request, now=None) -> dict:
    """The template's context: sections of counts (those of lists the staff member may open) and the latest
    audit events when they may read the trail. One query a count, one for the events."""
    now = now or timezone.now()
    sections: dict[str, list[Tally]] = {}
    for item in DASHBOARD_ITEMS:
        model_admin = admin.site._registry.get(item.model)
        if model_admin is None or not model_admin.has_view_permission(request):
            continue
        sections.setdefault(item.section, []).append(
            Tally(item, item.count(now), _changelist_url(item.model, item.query))
        )
    events = None
    audit_admin = admin.site._registry.get(AuditEvent)
    if audit_admin is not None and audit_admin.has_view_permission(request):
        events = list(
            AuditEvent.objects.select_related("organization").order_by("-created_at", "-id")[:RECENT_EVENTS]
        )
    return {
        "attention_sections": list(sections.items()),
        "recent_events": events,
        "audit_url": _changelist_url(AuditEvent, {}),
        "dashboard_now": now,
    }


_stock_index = admin.site.index


def index(request, extra_context=None):
    """The stock index (the list of models a staff member may use) under the dashboard."""
    return _stock_index(request, {**dashboard(request), **(extra_context or {})})


admin.site.index = index
admin.site.index_template = "admin/staff_index.html"
admin.site.site_header = "accessportal staff"
admin.site.site_title = "accessportal staff"
admin.site.index_title = "Staff console"

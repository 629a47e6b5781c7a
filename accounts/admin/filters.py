"""List filters that the dashboard's counts link to: each filters exactly the rows its count counts."""

from django.contrib import admin
from django.utils import timezone

from ..models import Invitation, OutboundEmail
from .dashboard import (
    EMAIL_STUCK_AFTER,
    INVITATION_EXPIRING_WITHIN,
    locked_out_since,
    organizations_without_two_owners,
)


class InvitationStateFilter(admin.SimpleListFilter):
    """By the status in force (a PENDING row past ``expires_at`` is expired, whatever the tasks have done)."""

    title = "status in force"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("pending", "pending"),
            ("expiring", "pending, expiring within a day"),
            ("expired", "expired"),
        ]

    def queryset(self, request, queryset):

        now = timezone.now()
        pending = queryset.filter(status=Invitation.Status.PENDING)
        if self.value() == "pending":
            return pending.filter(expires_at__gt=now)
        if self.value() == "expiring":
            return pending.filter(expires_at__gt=now, expires_at__lte=now + INVITATION_EXPIRING_WITHIN)
        if self.value() == "expired":
            return queryset.filter(status=Invitation.Status.EXPIRED) | pending.filter(expires_at__lte=now)
        return queryset


class EmailWaitingFilter(admin.SimpleListFilter):
    title = "waiting"
    parameter_name = "waiting"

    def lookups(self, request, model_admin):
        return [("stuck", "queued longer than ten minutes")]

    def queryset(self, request, queryset):

        if self.value() == "stuck":
            return queryset.filter(
                status=OutboundEmail.Status.QUEUED, created_at__lt=timezone.now() - EMAIL_STUCK_AFTER
            )
        return queryset


class OwnersFilter(admin.SimpleListFilter):
    title = "owners"
    parameter_name = "owners"

    def lookups(self, request, model_admin):
        return [("fewer_than_two", "fewer than two active owners")]

    def queryset(self, request, queryset):

        if self.value() == "fewer_than_two":
            return queryset.filter(pk__in=organizations_without_two_owners().values("pk"))
        return queryset


class LockInForceFilter(admin.SimpleListFilter):
    title = "lock in force"
    parameter_name = "in_force"

    def lookups(self, request, model_admin):
        return [("yes", "within the cool-off")]

    def queryset(self, request, queryset):

        if self.value() == "yes":
            return queryset.filter(attempt_time__gte=locked_out_since(timezone.now()))
        return queryset

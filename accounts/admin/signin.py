"""Sign-in lockouts (django-axes' attempts), with the filter the dashboard's count links to."""

from axes.admin import AccessAttemptAdmin as AxesAccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin, messages

from ..services.staff import sign_in_locks_release
from .confirm import confirm_first
from .filters import LockInForceFilter

if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class AccessAttemptAdmin(AxesAccessAttemptAdmin):
    list_filter = [*AxesAccessAttemptAdmin.list_filter, LockInForceFilter]
    actions = ["unlock"]

    @admin.action(description="Unlock selected accounts and addresses", permissions=["delete"])
    @confirm_first("Their failed attempts are forgotten: they may sign in again at once. Each unlock is audited.")
    def unlock(self, request, queryset):
        released = sign_in_locks_release(attempts=list(queryset.order_by("pk")), actor=request.user)
        self.message_user(request, f"Unlocked {len(released)}: {', '.join(released)}.", messages.SUCCESS)

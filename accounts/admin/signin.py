"""Sign-in lockouts (django-axes' attempts), with the filter the dashboard's count links to."""

from axes.admin import AccessAttemptAdmin as AxesAccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin

from .filters import LockInForceFilter

if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class AccessAttemptAdmin(AxesAccessAttemptAdmin):
    list_filter = [*AxesAccessAttemptAdmin.list_filter, LockInForceFilter]

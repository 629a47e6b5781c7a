"""Audit hooks on the signals of allauth (two-factor turned on or off, a recovery code used) and of django-axes
(a sign-in lock starts): the libraries' own extension points. Each calls one service."""

from allauth.mfa.models import Authenticator
from allauth.mfa.signals import (
    authenticator_added,
    authenticator_removed,
    authenticator_reset,
    authenticator_used,
)
from axes.signals import user_locked_out
from django.dispatch import receiver

from accounts.metrics import lockout_record
from accounts.models import AuditEvent
from accounts.services.signin import sign_in_lockout_record, two_factor_event_record

from .lockout import attempted_email, locked_until

Event = AuditEvent.Type
TYPE = Authenticator.Type


@receiver(authenticator_added, dispatch_uid="accessportal.two_factor_added")
def two_factor_added(sender, request, user, authenticator, **kwargs):
    if authenticator.type in (TYPE.TOTP, TYPE.WEBAUTHN):
        two_factor_event_record(
            user=user, event_type=Event.TWO_FACTOR_AUTH_ENABLED, details={"method": authenticator.type}
        )


@receiver(authenticator_removed, dispatch_uid="accessportal.two_factor_removed")
def two_factor_removed(sender, request, user, authenticator, **kwargs):
    if authenticator.type in (TYPE.TOTP, TYPE.WEBAUTHN):
        two_factor_event_record(
            user=user, event_type=Event.TWO_FACTOR_AUTH_DISABLED, details={"method": authenticator.type}
        )


@receiver(authenticator_reset, dispatch_uid="accessportal.two_factor_reset")
def recovery_codes_regenerated(sender, request, user, authenticator, **kwargs):
    if authenticator.type == TYPE.RECOVERY_CODES:
        two_factor_event_record(user=user, event_type=Event.TWO_FACTOR_RECOVERY_CODES_REGENERATED)


@receiver(authenticator_used, dispatch_uid="accessportal.two_factor_used")
def recovery_code_used(sender, request, user, authenticator, **kwargs):
    if authenticator.type == TYPE.RECOVERY_CODES:
        left = len(Authenticator.objects.get(pk=authenticator.pk).wrap().get_unused_codes())  # as now saved
        two_factor_event_record(
            user=user, event_type=Event.TWO_FACTOR_RECOVERY_CODE_USED, details={"codesLeft": left}
        )


@receiver(user_locked_out, dispatch_uid="accessportal.sign_in_locked_out")
def sign_in_locked_out(sender, request, username, ip_address, **kwargs):
    """axes sends this for the attempt that starts a lock and again for each attempt refused during it; only
    the first has counted a failure (``axes_failures_since_start``), and only it is audited."""
    failures = getattr(request, "axes_failures_since_start", None)
    if failures is None:
        return
    credentials = getattr(request, "axes_credentials", None)
    sign_in_lockout_record(
        email=attempted_email(request, credentials),
        client_ip=ip_address,
        until=locked_until(request, credentials),
        failures=failures,
    )
    lockout_record(kind="sign_in", address=ip_address or "", username=attempted_email(request, credentials) or "")

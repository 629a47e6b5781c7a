"""Celery tasks of the accounts app: each takes ids, loads, and does one thing; safe to run twice."""

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from .models import Invitation


def _send(*, to, subject, template, context):
    """One message, text and HTML, rendered from templates/<template>.txt and .html."""
    context = {**context, "portal_url": settings.PORTAL_BASE_URL}
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    message.send()


@shared_task(
    autoretry_for=(ConnectionError, TimeoutError), retry_backoff=True, retry_jitter=True, max_retries=8
)
def send_invitation_email(invitation_id: int, token: str) -> bool:
    """Email the accept link. Skipped when the invitation is no longer pending or its token was replaced
    (a resend), so a late or repeated run sends nothing stale."""
    from .services.invitations import token_hash

    invitation = Invitation.objects.select_related("organization", "project").filter(pk=invitation_id).first()
    if (
        invitation is None
        or invitation.status != Invitation.Status.PENDING
        or invitation.token_hash != token_hash(token)
    ):
        return False
    target = invitation.project or invitation.organization
    _send(
        to=[invitation.email],
        subject=f"{invitation.inviter_email or 'accessportal'} invited you to {target.name}",
        template="accounts/email/invitation",
        context={
            "invitation": invitation,
            "target": target,
            "kind": "project" if invitation.project_id else "organization",
            "accept_url": settings.PORTAL_BASE_URL.rstrip("/") + reverse("invitation_accept", args=[token]),
        },
    )
    return True

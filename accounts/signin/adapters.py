"""allauth's account adapter: registration open or closed by SIGNUP_OPEN, where people land after signing in,
and every allauth email sent through our outbox (``accounts.services.emails``) with our own templates."""

from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.urls import reverse

from accounts.models import OrganizationMembership
from accounts.services.emails import email_queue

# allauth's message -> (our template, subject). Links travel as ``link_path`` in the secret context (never in
# the stored row) and are rendered after PORTAL_BASE_URL, whatever Host the request came with.
LINK_MESSAGES = {
    "account/email/email_confirmation_signup": ("email_confirmation", "Confirm your email address"),
    "account/email/email_confirmation": ("email_confirmation", "Confirm your email address"),
    "account/email/password_reset_key": ("password_reset", "Reset your password"),
    "account/email/account_already_exists": ("account_already_exists", "You already have an account"),
    "account/email/unknown_account": ("unknown_account", "Password reset requested"),
}
# allauth's security notices -> what happened, said in one sentence.
NOTICES = {
    "account/email/password_changed": "The password of your account was changed.",
    "account/email/password_set": "A password was set for your account.",
    "account/email/password_reset": "The password of your account was reset.",
    "account/email/email_changed": "The email address of your account was changed.",
    "account/email/email_confirm": "A new email address of your account was confirmed.",
    "account/email/email_deleted": "An email address was removed from your account.",
    "mfa/email/totp_activated": "Two-factor authentication (an authenticator app) was turned on.",
    "mfa/email/totp_deactivated": "Two-factor authentication (the authenticator app) was turned off.",
    "mfa/email/recovery_codes_generated": "New two-factor recovery codes were generated; the old ones no "
    "longer work.",
    "mfa/email/webauthn_added": "A security key was added to your account.",
    "mfa/email/webauthn_removed": "A security key was removed from your account.",
}
_LINKS = ("activate_url", "password_reset_url", "signup_url")


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        return settings.SIGNUP_OPEN

    def get_login_redirect_url(self, request):
        """Someone in no organization yet lands on the welcome page (create one, or ask to join a project)."""
        if not OrganizationMembership.objects.filter(user=request.user).exists():
            return reverse("accounts:welcome")
        return super().get_login_redirect_url(request)

    def send_mail(self, template_prefix, email, context):
        """One OutboundEmail row and one task, after commit, as every message of the portal: the row keeps the
        template and plain facts; the link (a secret) goes in the secret context only."""
        user = context.get("user")
        facts = {"email": email, "name": user.get_short_name() if user is not None else ""}
        if template_prefix in LINK_MESSAGES:
            template, subject = LINK_MESSAGES[template_prefix]
            links = {name: _path(str(context[name])) for name in _LINKS if context.get(name)}
            secret = {"link_path": links.get("activate_url") or links.get("password_reset_url", "")}
            facts["signup_path"] = links.get("signup_url", "")
        elif template_prefix in NOTICES:
            template, subject, secret = "security_notice", "Security notice for your account", None
            facts.update(
                notice=NOTICES[template_prefix],
                when=f"{context['timestamp']:%Y-%m-%d %H:%M} UTC" if context.get("timestamp") else "",
                ip=str(context.get("ip") or ""),
            )
        else:  # a message allauth sends that we have no template for: fail loudly rather than send theirs
            raise ValueError(f"no accessportal template for allauth's {template_prefix}")
        email_queue(
            to=email,
            subject=f"accessportal: {subject}",
            template=f"accounts/email/signin/{template}",
            context=facts,
            secret_context=secret,
        )

"""Invitations to an organization or a project: invite, edit, resend, revoke, expire, accept."""

from ._common import INVITATIONS_PER_REQUEST_MAX, clean_emails, token_hash
from .accepting import (
    audit_refused_acceptance,
    check_invitation_usable,
    invitation_accept,
    invitation_accept_addressed,
    invitation_for_token,
    invitation_signup_accept,
)
from .sending import (
    invitation_require_manage,
    invitation_resend,
    invitation_revoke,
    invitation_update,
    invitations_expire_due,
    organization_invitations_create,
    project_invitations_create,
)

__all__ = [
    "INVITATIONS_PER_REQUEST_MAX",
    "audit_refused_acceptance",
    "check_invitation_usable",
    "clean_emails",
    "invitation_accept",
    "invitation_accept_addressed",
    "invitation_for_token",
    "invitation_resend",
    "invitation_require_manage",
    "invitation_revoke",
    "invitation_signup_accept",
    "invitation_update",
    "invitations_expire_due",
    "organization_invitations_create",
    "project_invitations_create",
    "token_hash",
]

"""Invitation tokens, input checks and the email an invitation sends."""

import secrets

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.urls import reverse

from accounts.errors import ServiceError
from accounts.models import (
    AuditEvent,
    Invitation,
    OutboundEmail,
    Project,
    Team,
    invitation_token_hash,
)
from accounts.permissions import require_may_grant

from .._rules import clean_project_roles, unsafe_characters
from ..emails import emails_queue_bulk

Event = AuditEvent.Type
Status = Invitation.Status


token_hash = invitation_token_hash


def new_token() -> str:
    """256 random bits; the invitee gets it by email, we keep only its hash."""
    return secrets.token_urlsafe(32)


def invitation_email(invitation, token) -> tuple[OutboundEmail, dict]:
    """The (unsaved) message carrying an invitation's accept link, and its secret context (the token, stored only
    encrypted on the row, never in a task's arguments): for ``emails_queue_bulk``."""
    target = invitation.project or invitation.organization
    email = OutboundEmail(
        to=invitation.email,
        subject=f"{invitation.inviter_email or 'accessportal'} invited you to {target.name}"[:255],
        template="accounts/email/invitation",
        context={
            "inviter": invitation.inviter_email,
            "kind": "project" if invitation.project_id else "organization",
            "target": target.name,
            "organization": invitation.organization.name,
            "roles": invitation.roles,
            "expires_at": invitation.expires_at.strftime("%Y-%m-%d %H:%M"),
        },
        invitation=invitation,
    )
    return email, {"accept_path": reverse("accounts:invitation_accept", args=[token]), "token": token}


def queue_invitation_email(invitation, token):
    """The accept link goes out after commit."""
    emails_queue_bulk([invitation_email(invitation, token)])


def inviter_notice(invitation, *, template, subject) -> OutboundEmail | None:
    """The (unsaved) message telling an invitation's inviter what became of it; None without an inviter."""
    if not invitation.inviter_email:
        return None
    target = invitation.project or invitation.organization
    return OutboundEmail(
        to=invitation.inviter_email,
        subject=subject[:255],
        template=template,
        context={
            "email": invitation.email,
            "target": target.name,
            "kind": "project" if invitation.project_id else "organization",
        },
        invitation=invitation,
    )


def queue_inviter_notice(invitation, *, template, subject):
    notice = inviter_notice(invitation, template=template, subject=subject)
    if notice is not None:
        emails_queue_bulk([(notice, None)])


INVITATIONS_PER_REQUEST_MAX = 100


def clean_emails(emails) -> list[str]:
    """Distinct, valid, lower-cased addresses; at most INVITATIONS_PER_REQUEST_MAX in one request."""
    if isinstance(emails, str):
        emails = [emails]
    emails = list(emails or ())
    if len(emails) > INVITATIONS_PER_REQUEST_MAX:
        raise ServiceError(
            "VALIDATION_ERROR",
            f"At most {INVITATIONS_PER_REQUEST_MAX} addresses can be invited in one request; this one has "
            f"{len(emails)}.",
            field="username",
            limit=INVITATIONS_PER_REQUEST_MAX,
        )
    cleaned, bad = [], []
    for email in emails:
        email = (email or "").strip().lower()
        try:
            validate_email(email)
        except ValidationError:
            bad.append(email or "(empty)")
            continue
        if unsafe_characters(email):  # a quoted local part or an IDN domain may hold them
            bad.append(repr(email))
            continue
        if email not in cleaned:
            cleaned.append(email)
    if bad:
        raise ServiceError(
            "VALIDATION_ERROR", f"Not an email address: {', '.join(bad)}.", field="username", emails=bad
        )
    if not cleaned:
        raise ServiceError("VALIDATION_ERROR", "Give at least one email address to invite.", field="username")
    return cleaned


def clean_teams(organization, teams) -> list[Team]:
    teams = list(teams or ())
    foreign = [team.name for team in teams if team.organization_id != organization.pk]
    if foreign:
        raise ServiceError(
            "TEAM_NOT_IN_ORG",
            f"Teams {', '.join(foreign)} do not belong to {organization.name}.",
            teams=foreign,
        )
    return teams


def clean_group_role_assignments(organization, assignments, actor) -> list[dict]:
    """[{"groupId", "roles"}] -> the same, validated: projects of this organization, known roles, no escalation."""
    cleaned = []
    for assignment in assignments or ():
        group_id = assignment.get("groupId")
        project = Project.objects.filter(organization=organization, public_id=group_id).first()
        if project is None:
            raise ServiceError(
                "RESOURCE_NOT_FOUND",
                f"No project with ID {group_id} exists in {organization.name}.",
                id=group_id,
            )
        role_names = clean_project_roles(assignment.get("roles"))
        require_may_grant(actor, role_names, project)
        cleaned.append({"groupId": project.public_id, "roles": role_names})
    return cleaned

"""Accepting an invitation: signed in, or signing up from its link; and auditing refusals."""

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_event_record
from accounts.errors import ServiceError
from accounts.metrics import invitation_event_record
from accounts.models import (
    AuditEvent,
    Invitation,
    OrganizationMembership,
    OrganizationRole,
    Project,
    ProjectMembership,
    ProjectRole,
    TeamMembership,
)
from accounts.permissions import sync_organization_permissions

from .._rules import clean_person_name
from ..locks import lock_organization
from ..members import add_to_organization, add_to_project
from ..signin import user_email_verified_set
from ..teams import add_to_team
from ._common import clean_emails, queue_inviter_notice, token_hash

Event = AuditEvent.Type
Status = Invitation.Status


def invitation_for_token(token: str, *, lock=False) -> Invitation:
    """The invitation a link carries, whatever its state; an unknown token is INVITATION_NOT_FOUND."""
    invitations = Invitation.objects.select_related("organization", "project")
    if lock:
        invitations = invitations.select_for_update(of=("self",))
    invitation = invitations.filter(token_hash=token_hash(token or "")).first()
    if invitation is None:
        raise ServiceError(
            "INVITATION_NOT_FOUND",
            "This invitation link is not valid: it may have been mistyped, or replaced by a newer invitation.",
        )
    return invitation


def check_invitation_usable(invitation, user=None) -> None:
    """Raise the refusal that fits: each case has its own code and message."""
    if invitation.status == Status.ACCEPTED:
        raise ServiceError("INVITATION_ALREADY_USED", "This invitation has already been accepted.")
    if invitation.status == Status.REVOKED:
        raise ServiceError(
            "INVITATION_REVOKED",
            "This invitation was withdrawn; ask the person who invited you to invite you again.",
        )
    if invitation.status == Status.EXPIRED or invitation.is_expired():
        raise ServiceError(
            "INVITATION_EXPIRED",
            f"This invitation expired on {invitation.expires_at:%Y-%m-%d %H:%M} UTC; ask "
            f"{invitation.inviter_email or 'the organization owner'} to send it again.",
        )
    if user is not None and user.email.lower() != invitation.email.lower():
        raise ServiceError(
            "INVITATION_WRONG_USER",
            f"This invitation was sent to {invitation.email}, but you are signed in as {user.email}. "
            "Sign out and sign in (or sign up) with the invited address.",
        )


def _merge_roles(membership, role_model, role_names):
    current = set(role_model.objects.filter(membership=membership).values_list("name", flat=True))
    missing = sorted(set(role_names) - current)
    role_model.objects.bulk_create(role_model(membership=membership, name=name) for name in missing)
    return missing


@transaction.atomic
def invitation_accept(*, token, user) -> Invitation:
    """The invitee accepts: in one transaction they get the invitation's roles, teams and project roles.

    The invitation row is locked (select_for_update), so two simultaneous accepts cannot both succeed. A user
    who is already a member keeps their roles and gains the invitation's (never loses any)."""
    invitation = invitation_for_token(token)
    lock_organization(invitation.organization)
    invitation = invitation_for_token(token, lock=True)
    return _accept(invitation, user)


@transaction.atomic
def invitation_accept_addressed(*, invitation, user) -> Invitation:
    """The invitee accepts from their home page, signed in with the invited address already verified (the
    proof the link's token gives otherwise). Same locks and effects as ``invitation_accept``."""
    lock_organization(invitation.organization)
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("organization", "project")
        .get(pk=invitation.pk)
    )
    check_invitation_usable(invitation, user)
    if not EmailAddress.objects.filter(user=user, email__iexact=invitation.email, verified=True).exists():
        raise ServiceError(
            "INVITATION_WRONG_USER",
            f"Confirm your address {invitation.email} first, or follow the link in the invitation email.",
        )
    return _accept(invitation, user)


def _accept(invitation, user) -> Invitation:
    """Accept ``invitation`` (locked, with its organization) for ``user``."""
    organization = invitation.organization
    check_invitation_usable(invitation, user)
    details = {"invitationId": invitation.public_id, "inviter": invitation.inviter_email}
    membership = OrganizationMembership.objects.filter(organization=organization, user=user).first()
    if invitation.project_id is None:
        if membership is None:
            add_to_organization(
                organization=organization, user=user, role_names=invitation.roles, actor=user, details=details
            )
        elif _merge_roles(membership, OrganizationRole, invitation.roles):
            sync_organization_permissions(organization, user_ids=[user.pk], team_ids=[])
        teams = [
            t for t in invitation.teams.all() if not TeamMembership.objects.filter(team=t, user=user).exists()
        ]
        for team in teams:
            add_to_team(team, [user], actor=user)
        for assignment in invitation.group_role_assignments:
            project = Project.objects.filter(
                organization=organization, public_id=assignment["groupId"]
            ).first()
            if project is not None:
                _join_project(project, user, assignment["roles"], details)
    else:
        _join_project(invitation.project, user, invitation.roles, details)
    invitation.status = Status.ACCEPTED
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["status", "accepted_at", "accepted_by"])
    invitation_event_record(event="accepted", invitation=invitation)
    target = invitation.project or invitation.organization
    queue_inviter_notice(
        invitation,
        template="accounts/email/invitation_accepted",
        subject=f"{invitation.email} accepted your invitation to {target.name}",
    )
    return invitation


def _join_project(project, user, role_names, details):
    membership = ProjectMembership.objects.filter(project=project, user=user).first()
    if membership is None:
        add_to_project(project=project, user=user, role_names=role_names, actor=user, details=details)
    elif _merge_roles(membership, ProjectRole, role_names):
        sync_organization_permissions(project.organization, user_ids=[user.pk], team_ids=[])


@transaction.atomic
def invitation_signup_accept(*, token, email, password, first_name="", last_name=""):
    """Sign up from an invitation link with the invited address, then accept it, in one transaction.

    The invitation is locked before the user is made (its organization first, then its row, in the order
    accepting takes them), so of two sign-ups from one link at once the second waits, then finds it accepted
    (INVITATION_ALREADY_USED) instead of tripping over the first one's new user."""
    invitation = invitation_for_token(token)
    lock_organization(invitation.organization)
    invitation = invitation_for_token(token, lock=True)
    check_invitation_usable(invitation)
    email = clean_emails([email])[0]
    if email != invitation.email.lower():
        raise ServiceError(
            "INVITATION_WRONG_USER",
            f"This invitation was sent to {invitation.email}; sign up with that address.",
        )
    first_name = clean_person_name(first_name, field="first_name", what="first name")
    last_name = clean_person_name(last_name, field="last_name", what="last name")
    User = get_user_model()
    if User.objects.filter(email__iexact=email).exists():
        raise ServiceError(
            "USER_ALREADY_EXISTS", f"An account for {email} exists already: sign in to accept the invitation."
        )
    user = User.objects.create_user(email, password, first_name=first_name, last_name=last_name)
    user_email_verified_set(user=user)  # the link reached this address: no verification email needed
    invitation_accept(token=token, user=user)
    return user


def audit_refused_acceptance(*, token, user, error: ServiceError) -> None:
    """Refusals are audited too (in their own transaction, as the refused change was rolled back)."""
    invitation = (
        Invitation.objects.filter(token_hash=token_hash(token or "")).select_related("project").first()
    )
    audit_event_record(
        event_type=Event.INVITATION_ACCEPT_REFUSED,
        actor=user if getattr(user, "is_authenticated", False) else None,
        organization=invitation.organization if invitation else None,
        project=invitation.project if invitation else None,
        target=invitation,
        target_type="invitation",
        details={"code": error.code},
    )

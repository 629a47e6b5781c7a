"""Invitations to an organization or a project (invite, edit, resend, revoke, accept) and join requests."""

import hashlib
import secrets

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from accounts import roles as catalogue
from accounts.audit import audit_event_record
from accounts.errors import ServiceError
from accounts.models import (
    AuditEvent,
    Invitation,
    JoinRequest,
    OrganizationMembership,
    OrganizationRole,
    Project,
    ProjectMembership,
    ProjectRole,
    Team,
    TeamMembership,
)
from accounts.permissions import require, require_may_grant, sync_organization_permissions

from ._rules import clean_organization_roles, clean_project_roles, lock_organization
from .members import add_to_organization, add_to_project
from .teams import add_to_team

Event = AuditEvent.Type
Status = Invitation.Status


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> str:
    """256 random bits; the invitee gets it by email, we keep only its hash."""
    return secrets.token_urlsafe(32)


def _queue_invitation_email(invitation, token):
    from accounts.tasks import send_invitation_email

    transaction.on_commit(lambda: send_invitation_email.delay(invitation.pk, token))


def clean_emails(emails) -> list[str]:
    if isinstance(emails, str):
        emails = [emails]
    cleaned, bad = [], []
    for email in emails or ():
        email = (email or "").strip().lower()
        try:
            validate_email(email)
        except ValidationError:
            bad.append(email or "(empty)")
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


def _clean_teams(organization, teams) -> list[Team]:
    teams = list(teams or ())
    foreign = [team.name for team in teams if team.organization_id != organization.pk]
    if foreign:
        raise ServiceError(
            "TEAM_NOT_IN_ORG",
            f"Teams {', '.join(foreign)} do not belong to {organization.name}.",
            teams=foreign,
        )
    return teams


def _clean_group_role_assignments(organization, assignments, actor) -> list[dict]:
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


def _invite(*, organization, project, email, role_names, teams, group_role_assignments, actor) -> Invitation:
    """Create the pending invitation, or renew the one that exists (one pending per address and org/project)."""
    now = timezone.now()
    token = _new_token()
    pending = Invitation.objects.select_for_update().filter(
        organization=organization, project=project, email__iexact=email, status=Status.PENDING
    )
    invitation = pending.first() or Invitation(organization=organization, project=project, email=email)
    renewed = invitation.pk is not None
    invitation.roles = role_names
    invitation.group_role_assignments = group_role_assignments
    invitation.token_hash = token_hash(token)
    invitation.inviter = actor
    invitation.inviter_email = getattr(actor, "email", "") or ""
    invitation.sent_at = now
    invitation.expires_at = now + Invitation.VALIDITY
    if not renewed:
        invitation.created_at = now
    invitation.save()
    if project is None:
        invitation.teams.set(teams)
    audit_event_record(
        event_type=Event.INVITED_TO_GROUP if project else Event.INVITED_TO_ORG,
        actor=actor,
        organization=organization,
        project=project,
        target=invitation,
        target_type="invitation",
        details={
            "email": email,
            "roles": role_names,
            "teamIds": [t.public_id for t in teams],
            "renewed": renewed,
        },
    )
    _queue_invitation_email(invitation, token)
    return invitation


@transaction.atomic
def organization_invitations_create(
    *, organization, emails, roles=(catalogue.ORG_MEMBER,), teams=(), group_role_assignments=(), actor
) -> list[Invitation]:
    """Invite addresses to an organization (ORG_OWNER). Inviting an address again updates its pending invitation
    (new roles, a new token, 30 more days) and sends it again."""
    organization = lock_organization(organization)
    require(actor, catalogue.MANAGE_ORGANIZATION_MEMBERS, organization)
    emails = clean_emails(emails)
    role_names = clean_organization_roles(roles)
    require_may_grant(actor, role_names, organization)
    teams = _clean_teams(organization, teams)
    assignments = _clean_group_role_assignments(organization, group_role_assignments, actor)
    members = sorted(
        OrganizationMembership.objects.filter(organization=organization, user__email__in=emails).values_list(
            "user__email", flat=True
        )
    )
    if members:
        raise ServiceError(
            "USER_ALREADY_IN_ORG",
            f"{', '.join(members)} {'is' if len(members) == 1 else 'are'} already in {organization.name}.",
            usernames=members,
        )
    return [
        _invite(
            organization=organization,
            project=None,
            email=email,
            role_names=role_names,
            teams=teams,
            group_role_assignments=assignments,
            actor=actor,
        )
        for email in emails
    ]


@transaction.atomic
def project_invitations_create(
    *, project, emails, roles=(catalogue.GROUP_READ_ONLY,), actor
) -> list[Invitation]:
    """Invite addresses to a project (GROUP_OWNER or GROUP_USER_ADMIN); an invitee outside the organization
    joins it as ORG_MEMBER on accepting."""
    organization = lock_organization(project.organization)
    require(actor, catalogue.MANAGE_PROJECT_MEMBERS, project)
    emails = clean_emails(emails)
    role_names = clean_project_roles(roles)
    require_may_grant(actor, role_names, project)
    members = sorted(
        ProjectMembership.objects.filter(project=project, user__email__in=emails).values_list(
            "user__email", flat=True
        )
    )
    if members:
        raise ServiceError(
            "USER_ALREADY_IN_GROUP",
            f"{', '.join(members)} {'is' if len(members) == 1 else 'are'} already in project {project.name}.",
            usernames=members,
        )
    return [
        _invite(
            organization=organization,
            project=project,
            email=email,
            role_names=role_names,
            teams=[],
            group_role_assignments=[],
            actor=actor,
        )
        for email in emails
    ]


def _require_manage(invitation, actor):
    if invitation.project_id:
        require(actor, catalogue.MANAGE_PROJECT_MEMBERS, invitation.project)
    else:
        require(actor, catalogue.MANAGE_ORGANIZATION_MEMBERS, invitation.organization)


def _locked_pending(invitation, actor) -> Invitation:
    lock_organization(invitation.organization)
    _require_manage(invitation, actor)
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("organization", "project")
        .get(pk=invitation.pk)
    )
    if invitation.status != Status.PENDING:
        raise ServiceError(
            "INVITATION_NOT_PENDING",
            f"The invitation to {invitation.email} is {invitation.status.lower()}, no longer pending.",
        )
    return invitation


@transaction.atomic
def invitation_update(
    *, invitation, actor, roles=None, teams=None, group_role_assignments=None
) -> Invitation:
    """Change a pending invitation's roles (and, for an organization, teams and project roles)."""
    invitation = _locked_pending(invitation, actor)
    target = invitation.project or invitation.organization
    changes = {}
    if roles is not None:
        clean = clean_project_roles if invitation.project_id else clean_organization_roles
        role_names = clean(roles)
        require_may_grant(actor, role_names, target)
        changes["roles"] = {"from": invitation.roles, "to": role_names}
        invitation.roles = role_names
    if invitation.project_id is None:
        if group_role_assignments is not None:
            invitation.group_role_assignments = _clean_group_role_assignments(
                invitation.organization, group_role_assignments, actor
            )
            changes["groupRoleAssignments"] = invitation.group_role_assignments
        if teams is not None:
            teams = _clean_teams(invitation.organization, teams)
            invitation.teams.set(teams)
            changes["teamIds"] = [t.public_id for t in teams]
    invitation.save()
    audit_event_record(
        event_type=Event.GROUP_INVITATION_UPDATED if invitation.project_id else Event.ORG_INVITATION_UPDATED,
        actor=actor,
        organization=invitation.organization,
        project=invitation.project,
        target=invitation,
        target_type="invitation",
        details={"email": invitation.email, **changes},
    )
    return invitation


@transaction.atomic
def invitation_resend(*, invitation, actor) -> Invitation:
    """Send a pending invitation again with a new token (the old link stops working) and a fresh 30 days."""
    invitation = _locked_pending(invitation, actor)
    token = _new_token()
    now = timezone.now()
    invitation.token_hash = token_hash(token)
    invitation.sent_at = now
    invitation.expires_at = now + Invitation.VALIDITY
    invitation.save(update_fields=["token_hash", "sent_at", "expires_at"])
    audit_event_record(
        event_type=Event.GROUP_INVITATION_RESENT if invitation.project_id else Event.ORG_INVITATION_RESENT,
        actor=actor,
        organization=invitation.organization,
        project=invitation.project,
        target=invitation,
        target_type="invitation",
        details={"email": invitation.email, "expiresAt": invitation.expires_at.isoformat()},
    )
    _queue_invitation_email(invitation, token)
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation, actor) -> Invitation:
    invitation = _locked_pending(invitation, actor)
    invitation.status = Status.REVOKED
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["status", "revoked_at"])
    audit_event_record(
        event_type=Event.GROUP_INVITATION_DELETED if invitation.project_id else Event.ORG_INVITATION_DELETED,
        actor=actor,
        organization=invitation.organization,
        project=invitation.project,
        target=invitation,
        target_type="invitation",
        details={"email": invitation.email},
    )
    return invitation


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
    organization = lock_organization(invitation.organization)
    invitation = invitation_for_token(token, lock=True)
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
    return invitation


def _join_project(project, user, role_names, details):
    membership = ProjectMembership.objects.filter(project=project, user=user).first()
    if membership is None:
        add_to_project(project=project, user=user, role_names=role_names, actor=user, details=details)
    elif _merge_roles(membership, ProjectRole, role_names):
        sync_organization_permissions(project.organization, user_ids=[user.pk], team_ids=[])


@transaction.atomic
def invitation_signup_accept(*, token, email, password, first_name="", last_name=""):
    """Sign up from an invitation link with the invited address, then accept it, in one transaction."""
    invitation = invitation_for_token(token)
    check_invitation_usable(invitation)
    email = clean_emails([email])[0]
    if email != invitation.email.lower():
        raise ServiceError(
            "INVITATION_WRONG_USER",
            f"This invitation was sent to {invitation.email}; sign up with that address.",
        )
    User = get_user_model()
    if User.objects.filter(email__iexact=email).exists():
        raise ServiceError(
            "USER_ALREADY_EXISTS", f"An account for {email} exists already: sign in to accept the invitation."
        )
    user = User.objects.create_user(email, password, first_name=first_name, last_name=last_name)
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


# ---- join requests ---------------------------------------------------------------------------------------------


@transaction.atomic
def join_request_create(*, project, user, message="") -> JoinRequest:
    """A signed-in user asks to join a project they know the id of."""
    lock_organization(project.organization)
    if ProjectMembership.objects.filter(project=project, user=user).exists():
        raise ServiceError("USER_ALREADY_IN_GROUP", f"You are already a member of project {project.name}.")
    if JoinRequest.objects.filter(project=project, user=user, status=JoinRequest.Status.PENDING).exists():
        raise ServiceError("JOIN_REQUEST_PENDING", f"You have already asked to join project {project.name}.")
    join_request = JoinRequest.objects.create(project=project, user=user, message=(message or "")[:500])
    audit_event_record(event_type=Event.REQUESTED_TO_JOIN_GROUP, actor=user, project=project, target=user)
    return join_request


def _locked_pending_request(join_request, actor) -> JoinRequest:
    lock_organization(join_request.project.organization)
    require(actor, catalogue.MANAGE_PROJECT_MEMBERS, join_request.project)
    join_request = (
        JoinRequest.objects.select_for_update(of=("self",))
        .select_related("project", "user")
        .get(pk=join_request.pk)
    )
    if join_request.status != JoinRequest.Status.PENDING:
        raise ServiceError(
            "JOIN_REQUEST_DECIDED",
            f"This request was already {join_request.status.lower()}.",
            status=join_request.status,
        )
    return join_request


@transaction.atomic
def join_request_approve(*, join_request, actor) -> JoinRequest:
    """Approve (GROUP_OWNER or GROUP_USER_ADMIN): the user joins with GROUP_READ_ONLY, and the organization as
    ORG_MEMBER if needed."""
    join_request = _locked_pending_request(join_request, actor)
    add_to_project(
        project=join_request.project,
        user=join_request.user,
        role_names=[catalogue.DEFAULT_PROJECT_ROLE],
        actor=actor,
        details={"joinRequestId": join_request.public_id},
    )
    return _decide(join_request, JoinRequest.Status.APPROVED, Event.JOIN_GROUP_REQUEST_APPROVED, actor)


@transaction.atomic
def join_request_deny(*, join_request, actor) -> JoinRequest:
    join_request = _locked_pending_request(join_request, actor)
    return _decide(join_request, JoinRequest.Status.DENIED, Event.JOIN_GROUP_REQUEST_DENIED, actor)


def _decide(join_request, status, event_type, actor):
    join_request.status = status
    join_request.decided_at = timezone.now()
    join_request.decided_by = actor
    join_request.save(update_fields=["status", "decided_at", "decided_by"])
    audit_event_record(
        event_type=event_type, actor=actor, project=join_request.project, target=join_request.user
    )
    return join_request

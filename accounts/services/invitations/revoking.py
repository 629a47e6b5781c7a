"""An invitation is only as good as its inviter's power: when a member is removed or loses roles, the pending
invitations they issued and could no longer issue are revoked (else a removed owner's invitation would still
make someone Organization Owner)."""

from django.utils import timezone

from accounts import roles as catalogue
from accounts.audit import audit_events_record_bulk
from accounts.errors import ServiceError
from accounts.models import AuditEvent, Invitation, Project
from accounts.permissions import actor_may, require_may_grant

Event = AuditEvent.Type
Status = Invitation.Status


def _may_still_issue(inviter, invitation, projects) -> bool:
    """Would ``inviter`` be allowed to send this invitation now? The same checks as inviting: the power to
    manage the target's members, and no escalation by its roles (nor, for an organization invitation, by the
    project roles it carries)."""
    target = invitation.project or invitation.organization
    manage = catalogue.MANAGE_PROJECT_MEMBERS if invitation.project_id else catalogue.MANAGE_ORGANIZATION_MEMBERS
    if inviter is None or not actor_may(inviter, manage, target):
        return False
    try:
        require_may_grant(inviter, invitation.roles, target)
        for assignment in invitation.group_role_assignments or ():
            project = projects.get(assignment.get("groupId"))
            if project is not None:
                require_may_grant(inviter, assignment.get("roles") or (), project)
    except ServiceError:
        return False
    return True


def invitations_revoke_beyond_inviter(*, organization, inviters, actor, reason, everything=False) -> list[str]:
    """Revoke the pending invitations of ``organization`` (and its projects) sent by ``inviters`` that they could
    no longer send (``everything``: all of them, e.g. their account is going away), in one UPDATE with one
    audit event each. Call it inside the change, after the inviters' roles and permissions were changed, with
    the organization locked. Returns the invited addresses, sorted."""
    inviter_ids = [user.pk for user in inviters]
    if not inviter_ids:
        return []
    pending = list(
        Invitation.objects.select_for_update(of=("self",))
        .filter(organization=organization, inviter_id__in=inviter_ids, status=Status.PENDING)
        .select_related("organization", "project", "inviter")
    )
    if not pending:
        return []
    projects = {p.public_id: p for p in Project.objects.filter(organization=organization)}
    doomed = [i for i in pending if everything or not _may_still_issue(i.inviter, i, projects)]
    if not doomed:
        return []
    now = timezone.now()
    Invitation.objects.filter(pk__in=[i.pk for i in doomed], status=Status.PENDING).update(
        status=Status.REVOKED, revoked_at=now
    )
    audit_events_record_bulk(
        [
            AuditEvent(
                event_type=Event.GROUP_INVITATION_DELETED if i.project_id else Event.ORG_INVITATION_DELETED,
                organization=organization,
                project=i.project,
                actor=actor,
                actor_email=getattr(actor, "email", "") or "",
                target_type="invitation",
                target_id=i.public_id,
                target_name=i.email,
                details={"email": i.email, "inviter": i.inviter_email, "roles": i.roles, "reason": reason},
            )
            for i in doomed
        ]
    )
    return sorted(i.email for i in doomed)

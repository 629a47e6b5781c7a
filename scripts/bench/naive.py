"""The row-by-row way of each bulk job, written as one would without bulk SQL: one ORM call (or a few) per row,
the same rows changed and the same audit and email rows written. The bench runs each beside the services' way
in the same run, on the same data (each inside a transaction that is rolled back)."""

from django.utils import timezone

from accounts.audit import audit_event_record
from accounts.models import (
    AuditEvent,
    Invitation,
    OrganizationMembership,
    OrganizationRoleGroup,
    OrganizationUserObjectPermission,
    ProjectMembership,
    ProjectUserObjectPermission,
    TeamMembership,
)
from accounts.services.invitations import sending
from accounts.services.invitations._common import inviter_notice
from monitoring.audit import Event as MonitoringEvent
from monitoring.models import (
    MonitoringGroup,
    MonitoringGroupMembership,
    MonitoringUser,
    MonitoringUserAttachment,
)
from monitoring.services import notifications
from monitoring.services.notifications import group_admin_emails
from support.audit import Event as SupportEvent
from support.models import SupportAccessGrant
from support.services._notices import notify_owners

Event = AuditEvent.Type


def offboard(*, organization, user, actor) -> None:
    """Remove a person row by row: each project role and membership, team membership, group membership,
    permission row, then the organization membership, and the linked monitoring user's group memberships."""
    for pm in ProjectMembership.objects.filter(project__organization=organization, user=user):
        for role in pm.roles.all():
            role.delete()
        pm.delete()
    for tm in TeamMembership.objects.filter(team__organization=organization, user=user).select_related(
        "team"
    ):
        user.groups.remove(tm.team.group)
        tm.delete()
    for role_group in OrganizationRoleGroup.objects.filter(organization=organization, group__user=user):
        user.groups.remove(role_group.group_id)
    for perm in ProjectUserObjectPermission.objects.filter(
        user=user, content_object__organization=organization
    ):
        perm.delete()
    for perm in OrganizationUserObjectPermission.objects.filter(user=user, content_object=organization):
        perm.delete()
    membership = OrganizationMembership.objects.get(organization=organization, user=user)
    for role in membership.roles.all():
        role.delete()
    membership.delete()
    for attachment in MonitoringUserAttachment.objects.filter(organization=organization, linked_user=user):
        for gm in MonitoringGroupMembership.objects.filter(attachment=attachment):
            gm.delete()
        attachment.delete()
    audit_event_record(
        event_type=MonitoringEvent.USER_OFFBOARDED, actor=actor, organization=organization, target=user
    )


def attach(*, organization, username, email, actor, limit=None) -> None:
    """Attach a monitoring user group by group, then plan the admins' notices group by group (on the first
    ``limit`` groups: the bench scales the time up)."""
    monitoring_user = MonitoringUser.objects.create(organization=organization, username=username, email=email)
    attachment = MonitoringUserAttachment.objects.create(
        organization=organization,
        monitoring_user=monitoring_user,
        attached_by=actor,
        attached_by_email=actor.email,
    )
    groups = MonitoringGroup.objects.filter(project__organization=organization, cluster__isnull=False)
    for group in groups.order_by("pk")[:limit]:
        if not MonitoringGroupMembership.objects.filter(
            group=group, monitoring_user=monitoring_user
        ).exists():
            MonitoringGroupMembership.objects.create(
                group=group,
                monitoring_user=monitoring_user,
                role=attachment.group_role,
                source=MonitoringGroupMembership.Source.ATTACHMENT,
                attachment=attachment,
            )
    audit_event_record(
        event_type=MonitoringEvent.MONITORING_USER_ATTACHED,
        actor=actor,
        organization=organization,
        target=monitoring_user,
        target_type="monitoringUser",
    )
    added = notifications.added_by_group(MonitoringGroupMembership.objects.filter(attachment=attachment))
    for group, members in added.items():
        notices = [(address, group, members) for address in sorted(group_admin_emails([group])[group.pk])]
        notifications.queue_admin_notices(notices)  # the message rows of this group: one INSERT
        for membership in members:
            MonitoringGroupMembership.objects.filter(pk=membership.pk).update(admins_notified_at=timezone.now())


def expire_grants(*, now) -> int:
    """Each due grant: saved, audited and its owners' notices written one grant at a time."""
    count = 0
    due = SupportAccessGrant.objects.filter(status=SupportAccessGrant.Status.ACTIVE, expires_at__lte=now)
    for grant in due.select_related("cluster__project__organization"):
        grant.status = SupportAccessGrant.Status.EXPIRED
        grant.expired_at = now
        grant.save(update_fields=["status", "expired_at"])
        audit_event_record(
            event_type=SupportEvent.EMPLOYEE_ACCESS_EXPIRED,
            actor=None,
            project=grant.cluster.project,
            target=grant.cluster,
            details={"grantId": grant.public_id, "grantType": grant.grant_type},
        )
        notify_owners([grant], event="expired")
        count += 1
    return count


def expire_invitations(*, now) -> int:
    """Each due invitation: saved, audited and its inviter's notice written one at a time."""
    count = 0
    due = Invitation.objects.filter(status=Invitation.Status.PENDING, expires_at__lte=now)
    for invitation in due.select_related("organization", "project"):
        invitation.status = Invitation.Status.EXPIRED
        invitation.expired_at = now
        invitation.save(update_fields=["status", "expired_at"])
        audit_event_record(
            event_type=Event.ORG_INVITATION_EXPIRED,
            actor=None,
            organization=invitation.organization,
            target=invitation,
            target_type="invitation",
            details={"email": invitation.email},
        )
        notice = inviter_notice(
            invitation, template="accounts/email/invitation_expired", subject="Your invitation expired"
        )
        if notice is not None:
            sending.emails_queue_bulk([(notice, None)])
        count += 1
    return count

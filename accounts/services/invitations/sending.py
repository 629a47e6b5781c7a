"""Invite to an organization or a project, edit, resend, revoke, and expire invitations."""

from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

from accounts import roles as catalogue
from accounts.audit import (
    AUDIT_SQL_COLUMNS,
    audit_client_ip,
    audit_event_record,
    audit_events_record_bulk,
    audit_sql_details,
    audit_sql_iso,
    audit_sql_public_id,
)
from accounts.errors import ServiceError
from accounts.metrics import invitation_event_record, invitations_expired_record
from accounts.models import (
    AuditEvent,
    Invitation,
    Organization,
    OrganizationMembership,
    OutboundEmail,
    Project,
    ProjectMembership,
)
from accounts.permissions import require, require_may_grant

from .._rules import clean_organization_roles, clean_project_roles
from ..emails import emails_queue_bulk
from ..locks import lock_organization, lock_organization_for
from ._common import (
    clean_emails,
    clean_group_role_assignments,
    clean_teams,
    invitation_email,
    new_token,
    queue_invitation_email,
    token_hash,
)

Event = AuditEvent.Type
Status = Invitation.Status


def _invite_all(*, organization, project, emails, role_names, teams, group_role_assignments, actor):
    """Create the pending invitations, or renew those that exist (one pending per address and org/project), for
    every address at once: a constant number of queries for the batch (one SELECT ... FOR UPDATE of the pending
    ones, one INSERT of the new, one UPDATE of the renewed, their teams, one INSERT of the audit events), then
    each accept link queued. Returns the invitations in the order of ``emails``."""
    now = timezone.now()
    pending = {
        invitation.email.lower(): invitation
        for invitation in Invitation.objects.select_for_update()
        .annotate(email_key=Lower("email"))
        .filter(organization=organization, project=project, email_key__in=emails, status=Status.PENDING)
    }
    tokens, invitations, renewed = {}, [], set()
    for email in emails:
        invitation = pending.get(email) or Invitation(
            organization=organization, project=project, email=email, created_at=now
        )
        if invitation.pk is not None:
            renewed.add(invitation.pk)
        tokens[email] = new_token()
        invitation.roles = role_names
        invitation.group_role_assignments = group_role_assignments
        invitation.token_hash = token_hash(tokens[email])
        invitation.inviter = actor
        invitation.inviter_email = getattr(actor, "email", "") or ""
        invitation.sent_at = now
        invitation.expires_at = now + Invitation.VALIDITY
        invitation.bounced_at = None
        invitations.append(invitation)
    if renewed:
        Invitation.objects.bulk_update(
            [i for i in invitations if i.pk in renewed],
            [
                "roles",
                "group_role_assignments",
                "token_hash",
                "inviter",
                "inviter_email",
                "sent_at",
                "expires_at",
                "bounced_at",
            ],
        )
    created = [i for i in invitations if i.pk is None]
    if created:
        Invitation.objects.bulk_create(created)
        if not all(i.pk for i in created):  # a database that returns no ids from a bulk INSERT
            by_hash = dict(
                Invitation.objects.filter(token_hash__in=[i.token_hash for i in created]).values_list(
                    "token_hash", "pk"
                )
            )
            for invitation in created:
                invitation.pk = by_hash[invitation.token_hash]
    if project is None:
        through = Invitation.teams.through
        if renewed:
            through.objects.filter(invitation_id__in=renewed).delete()
        if teams:
            through.objects.bulk_create(
                [through(invitation_id=i.pk, team_id=team.pk) for i in invitations for team in teams]
            )
    audit_events_record_bulk(
        [
            AuditEvent(
                event_type=Event.INVITED_TO_GROUP if project else Event.INVITED_TO_ORG,
                organization=organization,
                project=project,
                actor=actor,
                actor_email=getattr(actor, "email", "") or "",
                target_type="invitation",
                target_id=invitation.public_id,
                target_name=invitation.email[:254],
                details={
                    "email": invitation.email,
                    "roles": role_names,
                    "teamIds": [t.public_id for t in teams],
                    "renewed": invitation.pk in renewed,
                },
            )
            for invitation in invitations
        ]
    )
    emails_queue_bulk([invitation_email(invitation, tokens[invitation.email]) for invitation in invitations])
    for invitation in invitations:
        invitation_event_record(event="sent", invitation=invitation)
    return invitations


@transaction.atomic
def organization_invitations_create(
    *, organization, emails, roles=(catalogue.ORG_MEMBER,), teams=(), group_role_assignments=(), actor
) -> list[Invitation]:
    """Invite addresses to an organization (ORG_OWNER). Inviting an address again updates its pending invitation
    (new roles, a new token, 30 more days) and sends it again."""
    organization = lock_organization_for(actor, catalogue.MANAGE_ORGANIZATION_MEMBERS, organization)
    emails = clean_emails(emails)
    role_names = clean_organization_roles(roles)
    require_may_grant(actor, role_names, organization)
    teams = clean_teams(organization, teams)
    assignments = clean_group_role_assignments(organization, group_role_assignments, actor)
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
    return _invite_all(
        organization=organization,
        project=None,
        emails=emails,
        role_names=role_names,
        teams=teams,
        group_role_assignments=assignments,
        actor=actor,
    )


@transaction.atomic
def project_invitations_create(
    *, project, emails, roles=(catalogue.GROUP_READ_ONLY,), actor
) -> list[Invitation]:
    """Invite addresses to a project (GROUP_OWNER or GROUP_USER_ADMIN); an invitee outside the organization
    joins it as ORG_MEMBER on accepting."""
    organization = lock_organization_for(actor, catalogue.MANAGE_PROJECT_MEMBERS, project)
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
    return _invite_all(
        organization=organization,
        project=project,
        emails=emails,
        role_names=role_names,
        teams=[],
        group_role_assignments=[],
        actor=actor,
    )


def invitation_require_manage(invitation, actor) -> None:
    """Refuse (403) an actor who may not change this invitation: the managers of its project's or its
    organization's members. Its confirmation page asks it too, before it shows anything."""
    if invitation.project_id:
        require(actor, catalogue.MANAGE_PROJECT_MEMBERS, invitation.project)
    else:
        require(actor, catalogue.MANAGE_ORGANIZATION_MEMBERS, invitation.organization)


def _locked_pending(invitation, actor) -> Invitation:
    lock_organization(invitation.organization)
    invitation_require_manage(invitation, actor)
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
            invitation.group_role_assignments = clean_group_role_assignments(
                invitation.organization, group_role_assignments, actor
            )
            changes["groupRoleAssignments"] = invitation.group_role_assignments
        if teams is not None:
            teams = clean_teams(invitation.organization, teams)
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
    token = new_token()
    now = timezone.now()
    invitation.token_hash = token_hash(token)
    invitation.sent_at = now
    invitation.expires_at = now + Invitation.VALIDITY
    invitation.bounced_at = None
    invitation.save(update_fields=["token_hash", "sent_at", "expires_at", "bounced_at"])
    audit_event_record(
        event_type=Event.GROUP_INVITATION_RESENT if invitation.project_id else Event.ORG_INVITATION_RESENT,
        actor=actor,
        organization=invitation.organization,
        project=invitation.project,
        target=invitation,
        target_type="invitation",
        details={"email": invitation.email, "expiresAt": invitation.expires_at.isoformat()},
    )
    queue_invitation_email(invitation, token)
    invitation_event_record(event="sent", invitation=invitation)
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


EXPIRY_BATCH = 5000  # invitations one run of the job expires at the most; the next run takes the rest


@dataclass(frozen=True)
class ExpiredInvitation:
    """What an expiry notice says of one invitation the job expired."""

    id: int
    email: str
    inviter_email: str
    project_id: int | None
    target_name: str  # the project's name, or the organization's


@transaction.atomic
def invitations_expire_due(*, now=None) -> list[int]:
    """Mark every pending invitation past ``expires_at`` EXPIRED (``EXPIRY_BATCH`` a run), record the
    ORG_/GROUP_INVITATION_EXPIRED events and queue one notice to each inviter, all set-based: on PostgreSQL one
    statement claims, updates, records and returns the rows (``UPDATE ... RETURNING`` and ``INSERT ... SELECT``
    in one ``WITH``); elsewhere an UPDATE, an ``INSERT ... SELECT`` and one read of plain values. Nothing is
    built in Python but the notices. Idempotent, and safe with two workers at once: rows are claimed with FOR
    UPDATE SKIP LOCKED and only rows still PENDING change. Returns the ids expired.

    (Expiry is already in force at read time; this makes the rows say so, and tells the inviters.)"""
    now = now or timezone.now()
    expire = _expire_in_one_statement if connection.vendor == "postgresql" else _expire_in_steps
    expired = expire(now)
    if not expired:
        return []
    emails_queue_bulk([(notice, None) for notice in expiry_notices(expired)])
    invitations_expired_record(number=len(expired))
    return [row.id for row in expired]


def _tables() -> dict[str, str]:
    quote = connection.ops.quote_name
    return {
        "events": quote(AuditEvent._meta.db_table),
        "invitations": quote(Invitation._meta.db_table),
        "organizations": quote(Organization._meta.db_table),
        "projects": quote(Project._meta.db_table),
    }


def _expired_events_insert(source: str) -> tuple[str, list]:
    """``INSERT ... SELECT`` of the audit rows of the expired invitations in ``source`` (a table expression
    aliased ``i``), details as the other invitation events write them: the address and ``expiresAt`` in
    ISO 8601. Its parameters end with the time of the events, then come the source's own."""
    t = _tables()
    details = audit_sql_details(email="i.email", expiresAt=audit_sql_iso("i.expires_at", "+00:00"))
    sql = (
        f"INSERT INTO {t['events']} ({AUDIT_SQL_COLUMNS}) "  # nosec B608
        f"SELECT {audit_sql_public_id()}, i.organization_id, i.project_id, NULL, '', "
        f"CASE WHEN i.project_id IS NULL THEN %s ELSE %s END, 'invitation', i.public_id, "
        f"substr(i.email || ' to ' || COALESCE(p.name, o.name), 1, 254), {details}, %s, %s "
        f"FROM {source} INNER JOIN {t['organizations']} o ON o.id = i.organization_id "
        f"LEFT JOIN {t['projects']} p ON p.id = i.project_id ORDER BY i.id"
    )
    return sql, [Event.ORG_INVITATION_EXPIRED, Event.GROUP_INVITATION_EXPIRED, audit_client_ip()]


def _expire_in_one_statement(now) -> list[ExpiredInvitation]:
    t = _tables()
    at = connection.ops.adapt_datetimefield_value(now)
    record, record_params = _expired_events_insert("expired i")
    sql = (
        f"WITH due AS (SELECT id FROM {t['invitations']} WHERE status = %s AND expires_at <= %s "  # nosec B608
        f"ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED), "
        f"expired AS (UPDATE {t['invitations']} x SET status = %s, expired_at = %s FROM due "
        f"WHERE x.id = due.id AND x.status = %s "
        f"RETURNING x.id, x.organization_id, x.project_id, x.email, x.inviter_email, x.public_id, x.expires_at), "
        f"recorded AS ({record}) "
        f"SELECT i.id, i.email, i.inviter_email, i.project_id, COALESCE(p.name, o.name) FROM expired i "
        f"INNER JOIN {t['organizations']} o ON o.id = i.organization_id "
        f"LEFT JOIN {t['projects']} p ON p.id = i.project_id ORDER BY i.id"
    )
    params = [Status.PENDING, at, EXPIRY_BATCH, Status.EXPIRED, at, Status.PENDING, *record_params, at]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [ExpiredInvitation(*row) for row in cursor.fetchall()]


def _expire_in_steps(now) -> list[ExpiredInvitation]:
    due = Invitation.objects.filter(status=Status.PENDING, expires_at__lte=now).order_by("pk")
    ids = list(due.select_for_update(skip_locked=True).values_list("pk", flat=True)[:EXPIRY_BATCH])
    if not ids:
        return []
    Invitation.objects.filter(pk__in=ids, status=Status.PENDING).update(status=Status.EXPIRED, expired_at=now)
    t = _tables()
    chosen = ", ".join(["%s"] * len(ids))
    record, record_params = _expired_events_insert(
        f"(SELECT * FROM {t['invitations']} WHERE id IN ({chosen})) i"  # nosec B608
    )
    # Parameters in the order they stand in the SQL: the SELECT's columns first, then the source's ids.
    with connection.cursor() as cursor:
        cursor.execute(record, [*record_params, connection.ops.adapt_datetimefield_value(now), *ids])
    rows = (
        Invitation.objects.filter(pk__in=ids)
        .order_by("pk")
        .values_list("pk", "email", "inviter_email", "project_id", Coalesce("project__name", "organization__name"))
    )
    return [ExpiredInvitation(*row) for row in rows]


EXPIRY_NOTICE_LISTS = 50  # the invitations one expiry notice names; it counts the rest


def expiry_notices(expired: list[ExpiredInvitation]) -> list[OutboundEmail]:
    """One (unsaved) notice per inviter, whatever the number of their invitations that expired in this run: it
    lists the first ``EXPIRY_NOTICE_LISTS`` (address, organization or project) and counts the others. The
    notice of a single invitation names it (``invitation``), as every inviter notice does."""
    by_inviter = {}
    for invitation in expired:
        if invitation.inviter_email:
            by_inviter.setdefault(invitation.inviter_email, []).append(invitation)
    notices = []
    for inviter_email, invitations in by_inviter.items():
        listed = [
            {"email": i.email, "target": i.target_name, "kind": "project" if i.project_id else "organization"}
            for i in invitations[:EXPIRY_NOTICE_LISTS]
        ]
        if len(invitations) == 1:
            (only,) = invitations
            notices.append(
                OutboundEmail(
                    to=inviter_email,
                    subject=f"Your invitation of {only.email} to {only.target_name} expired"[:255],
                    template="accounts/email/invitation_expired",
                    context=listed[0],
                    invitation_id=only.id,
                )
            )
            continue
        notices.append(
            OutboundEmail(
                to=inviter_email,
                subject=f"{len(invitations)} of your invitations expired",
                template="accounts/email/invitations_expired",
                context={"invitations": listed, "more": len(invitations) - len(listed), "count": len(invitations)},
            )
        )
    return notices


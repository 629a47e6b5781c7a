"""Support access grants: make one (replacing the cluster's active grant), revoke it, expire the due ones, end
them with their cluster. Each change is audited and the organization's owners are emailed."""

from datetime import UTC, datetime

from django.db import connection, transaction
from django.utils import timezone

from accounts import roles
from accounts.audit import (
    AUDIT_SQL_COLUMNS,
    audit_client_ip,
    audit_event_record,
    audit_sql_details,
    audit_sql_iso,
    audit_sql_public_id,
)
from accounts.errors import ServiceError
from accounts.models import AuditEvent, Cluster, Organization, Project
from accounts.permissions import require
from accounts.services.locks import lock_organization

from .. import rules
from ..audit import Event
from ..models import GRANT_MAX_DURATION, SupportAccessGrant
from ..selectors import support_access_restricted
from ._notices import ExpiredGrant, notify_owners, notify_owners_of_expiry

Status = SupportAccessGrant.Status
EXPIRY_BATCH = 5000  # grants expired by one run of the beat job


def _iso(moment) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _stored(cluster) -> Cluster:
    return Cluster.objects.select_related("project__organization").get(pk=cluster.pk)


def _clean_expiry(expires_at, now) -> datetime:
    """A grant ends in the future and at most 24 hours from now; without an expiry, in 24 hours."""
    latest = now + GRANT_MAX_DURATION
    if expires_at is None:
        return latest
    if not isinstance(expires_at, datetime) or timezone.is_naive(expires_at):
        raise ServiceError(
            "INVALID_EXPIRATION_TIME",
            "The expiration time must be a date and time with its time zone (ISO 8601, e.g. "
            f"{_iso(latest)}).",
            field="expirationTime",
        )
    if expires_at <= now:
        raise ServiceError(
            "INVALID_EXPIRATION_TIME",
            f"The expiration time {_iso(expires_at)} is not in the future.",
            field="expirationTime",
            expirationTime=_iso(expires_at),
        )
    if expires_at > latest:
        raise ServiceError(
            "EXPIRATION_TOO_FAR",
            f"Support access lasts at most 24 hours: the expiration time {_iso(expires_at)} is later than "
            f"{_iso(latest)}.",
            field="expirationTime",
            expirationTime=_iso(expires_at),
        )
    return expires_at


def _describe(grant) -> dict:
    return {
        "grantId": grant.public_id,
        "grantType": grant.grant_type,
        "expirationTime": _iso(grant.expires_at),
    }


def _locked_active(cluster):
    return (
        SupportAccessGrant.objects.select_for_update().filter(cluster=cluster, status=Status.ACTIVE).first()
    )


@transaction.atomic
def support_grant_create(*, cluster, grant_type, actor, expires_at=None) -> SupportAccessGrant:
    """Grant support staff temporary access of ``grant_type`` to ``cluster`` until ``expires_at`` (default: 24
    hours from now; at most that). Needs GRANT_SUPPORT_ACCESS on the cluster's project (GROUP_OWNER, or an
    ORG_OWNER). The cluster's active grant, if any, is REPLACED: both rows stay and both events are recorded."""
    lock_organization(cluster.project.organization)
    cluster = _stored(cluster)
    require(actor, roles.GRANT_SUPPORT_ACCESS, cluster.project)
    refusal = rules.grant_type_refusal(
        grant_type,
        restricted=support_access_restricted(cluster.project.organization),
        sync_enabled=cluster.sync_enabled,
    )
    if refusal is not None:
        raise refusal
    now = timezone.now()
    expires_at = _clean_expiry(expires_at, now)
    actor_email = getattr(actor, "email", "") or ""

    previous = _locked_active(cluster)
    if previous is not None and not previous.is_live(now):
        _expire(now, ids=[previous.pk])  # already dead: the expiry task's work, done now
        previous = None
    if previous is not None:
        previous.status = Status.REPLACED
        previous.revoked_by = actor
        previous.revoked_by_email = actor_email
        previous.revoked_at = now
        previous.save(update_fields=["status", "revoked_by", "revoked_by_email", "revoked_at"])
    grant = SupportAccessGrant.objects.create(
        cluster=cluster,
        grant_type=grant_type,
        granted_by=actor,
        granted_by_email=actor_email,
        granted_at=now,
        expires_at=expires_at,
    )
    details = _describe(grant)
    if previous is not None:
        SupportAccessGrant.objects.filter(pk=previous.pk).update(replaced_by=grant)
        audit_event_record(
            event_type=Event.EMPLOYEE_ACCESS_REPLACED,
            actor=actor,
            project=cluster.project,
            target=cluster,
            details={**_describe(previous), "replacedBy": grant.public_id},
        )
        details["replaces"] = previous.public_id
    audit_event_record(
        event_type=Event.EMPLOYEE_ACCESS_GRANTED,
        actor=actor,
        project=cluster.project,
        target=cluster,
        details=details,
    )
    replaced = {"replaced_grant_type": previous.get_grant_type_display()} if previous is not None else {}
    notify_owners([grant], event="made", actor_email=actor_email, extra=replaced)
    return grant


@transaction.atomic
def support_grant_revoke(*, cluster, actor, grant=None) -> SupportAccessGrant | None:
    """Revoke the cluster's grant in force, at any time before it expires (GRANT_SUPPORT_ACCESS on its project).
    Without one there is nothing to revoke and nothing changes (None). With ``grant``, only that grant: a
    refusal when it is no longer the one in force (revoking it must never end a newer grant)."""
    lock_organization(cluster.project.organization)
    cluster = _stored(cluster)
    require(actor, roles.GRANT_SUPPORT_ACCESS, cluster.project)
    now = timezone.now()
    active = _locked_active(cluster)
    if active is not None and not active.is_live(now):
        active = None  # dead already; the expiry task records it
    if grant is not None and (active is None or active.pk != grant.pk):
        grant.refresh_from_db()
        raise ServiceError(
            "GRANT_NOT_ACTIVE",
            f"The grant on cluster {cluster.name} is {grant.effective_status(now).lower()}: there is nothing to "
            "revoke.",
            grant=grant.public_id,
        )
    if active is None:
        return None
    active.status = Status.REVOKED
    active.revoked_by = actor
    active.revoked_by_email = getattr(actor, "email", "") or ""
    active.revoked_at = now
    active.save(update_fields=["status", "revoked_by", "revoked_by_email", "revoked_at"])
    audit_event_record(
        event_type=Event.EMPLOYEE_ACCESS_REVOKED,
        actor=actor,
        project=cluster.project,
        target=cluster,
        details=_describe(active),
    )
    notify_owners([active], event="revoked", actor_email=active.revoked_by_email)
    return active


def _quote(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


_RETURNED = "g.id, g.cluster_id, g.public_id, g.grant_type, g.granted_by_email, g.expires_at"


def _described(source: str) -> str:
    """The expired grants in ``source`` (a table expression aliased ``g`` with the ``_RETURNED`` columns) with
    their cluster, project and organization: what the audit rows and the owners' notices say of each."""
    clusters, projects, organizations = _quote(Cluster), _quote(Project), _quote(Organization)
    return (
        f"SELECT g.id, p.organization_id, o.name AS organization, p.name AS project, "  # nosec B608
        f"p.public_id AS project_public_id, c.name AS cluster, g.grant_type, g.granted_by_email, g.expires_at, "
        f"g.public_id, c.project_id, c.public_id AS cluster_public_id FROM {source} "
        f"INNER JOIN {clusters} c ON c.id = g.cluster_id INNER JOIN {projects} p ON p.id = c.project_id "
        f"INNER JOIN {organizations} o ON o.id = p.organization_id"
    )


# The ExpiredGrant fields, in order, of a described grant.
_NOTICE_COLUMNS = (
    "id, organization_id, organization, project, project_public_id, cluster, grant_type, granted_by_email, "
    "expires_at"
)


def _expired_events_insert(described: str) -> tuple[str, list]:
    """``INSERT ... SELECT`` of the EMPLOYEE_ACCESS_EXPIRED audit rows of the ``described`` grants (a table
    expression aliased ``g``, as ``_described`` makes them), details as ``_describe`` writes them. Its
    parameters come before the source's own."""
    details = audit_sql_details(
        grantId="g.public_id", grantType="g.grant_type", expirationTime=audit_sql_iso("g.expires_at", "Z")
    )
    sql = (
        f"INSERT INTO {_quote(AuditEvent)} ({AUDIT_SQL_COLUMNS}) "  # nosec B608
        f"SELECT {audit_sql_public_id()}, g.organization_id, g.project_id, NULL, '', %s, 'cluster', "
        f"g.cluster_public_id, g.cluster, {details}, %s, %s FROM {described} ORDER BY g.id"
    )
    return sql, [Event.EMPLOYEE_ACCESS_EXPIRED, audit_client_ip()]


def _chosen(now, ids, limit) -> tuple[str, list]:
    """The grants to expire: the ACTIVE ones among ``ids``, or at most ``limit`` of those due at ``now``,
    claimed with FOR UPDATE SKIP LOCKED where the database has it."""
    grants = _quote(SupportAccessGrant)
    if ids is not None:
        return (
            f"SELECT id FROM {grants} WHERE id IN ({', '.join(['%s'] * len(ids))}) AND status = %s",  # nosec B608
            [*ids, Status.ACTIVE],
        )
    lock = " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    return (
        f"SELECT id FROM {grants} WHERE status = %s AND expires_at <= %s ORDER BY id LIMIT %s{lock}",  # nosec B608
        [Status.ACTIVE, connection.ops.adapt_datetimefield_value(now), limit],
    )


def _expire_in_one_statement(now, *, ids=None, limit=None) -> list[ExpiredGrant]:
    """PostgreSQL: the claim, ``UPDATE ... RETURNING``, the grants described once (cluster, project,
    organization), the audit rows' ``INSERT ... SELECT`` and the notices' values, in one ``WITH``."""
    grants = _quote(SupportAccessGrant)
    at = connection.ops.adapt_datetimefield_value(now)
    due, due_params = _chosen(now, ids, limit)
    record, record_params = _expired_events_insert("described g")
    sql = (
        f"WITH due AS ({due}), "  # nosec B608
        f"expired AS (UPDATE {grants} g SET status = %s, expired_at = %s "
        f"WHERE g.id IN (SELECT id FROM due) AND g.status = %s RETURNING {_RETURNED}), "
        f"described AS MATERIALIZED ({_described('expired g')}), "
        f"recorded AS ({record}) "
        f"SELECT {_NOTICE_COLUMNS} FROM described ORDER BY id"
    )
    params = [*due_params, Status.EXPIRED, at, Status.ACTIVE, *record_params, at]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [ExpiredGrant(*row) for row in cursor.fetchall()]


def _expire_in_steps(now, *, ids=None, limit=None) -> list[ExpiredGrant]:
    """Elsewhere (SQLite): the ids claimed, one UPDATE, the audit rows' ``INSERT ... SELECT``, one read of the
    notices' values; SQLite's IMMEDIATE transactions hold the write lock throughout."""
    grants = _quote(SupportAccessGrant)
    due, due_params = _chosen(now, ids, limit)
    with connection.cursor() as cursor:
        cursor.execute(due, due_params)
        chosen = sorted(row[0] for row in cursor.fetchall())
        if not chosen:
            return []
        marks = ", ".join(["%s"] * len(chosen))
        at = connection.ops.adapt_datetimefield_value(now)
        cursor.execute(
            f"UPDATE {grants} SET status = %s, expired_at = %s WHERE id IN ({marks})",  # nosec B608
            [Status.EXPIRED, at, *chosen],
        )
        source = f"(SELECT {_RETURNED} FROM {grants} g WHERE g.id IN ({marks})) g"  # nosec B608
        record, record_params = _expired_events_insert(f"({_described(source)}) g")
        cursor.execute(record, [*record_params, at, *chosen])
    rows = (
        SupportAccessGrant.objects.filter(pk__in=chosen)
        .order_by("pk")
        .values_list(
            "pk",
            "cluster__project__organization_id",
            "cluster__project__organization__name",
            "cluster__project__name",
            "cluster__project__public_id",
            "cluster__name",
            "grant_type",
            "granted_by_email",
            "expires_at",
        )
    )
    return [ExpiredGrant(*row) for row in rows]


def _expire(now, *, ids=None, limit=None) -> list[ExpiredGrant]:
    """Mark ACTIVE grants EXPIRED, record the events and queue the owners' notices (one per owner, listing the
    grants): a constant number of queries for any number of grants, no model instance built."""
    if ids is not None and not ids:
        return []
    expire = _expire_in_one_statement if connection.vendor == "postgresql" else _expire_in_steps
    expired = expire(now, ids=ids, limit=limit)
    if expired:
        notify_owners_of_expiry(expired)
    return expired


@transaction.atomic
def support_grants_expire_due(*, now=None) -> list[int]:
    """Beat, every minute: every ACTIVE grant at or past its expiry becomes EXPIRED, audited, owners told (at
    most 5,000 a run). Idempotent, and safe with two workers at once: rows are claimed with FOR UPDATE SKIP
    LOCKED and only rows still ACTIVE change. Returns the ids expired. (Expiry is already in force at read time;
    this makes the rows say so, and tells the owners.)"""
    now = now or timezone.now()
    return [grant.id for grant in _expire(now, limit=EXPIRY_BATCH)]


def support_grants_end_with_cluster(*, cluster, change, changes, actor) -> None:
    """accounts' cluster change hook: a cluster being deleted takes its grants with it; the one in force is
    recorded as revoked first, so the trail says when support access ended and why."""
    if change != "deleting":
        return
    active = _locked_active(cluster)
    if active is None or not active.is_live():
        return
    audit_event_record(
        event_type=Event.EMPLOYEE_ACCESS_REVOKED,
        actor=actor,
        project=cluster.project,
        target=cluster,
        details={**_describe(active), "reason": "CLUSTER_DELETED"},
    )

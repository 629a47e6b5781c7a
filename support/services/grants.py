"""Support access grants: make one (replacing the cluster's active grant), revoke it, expire the due ones, end
them with their cluster. Each change is audited and the organization's owners are emailed."""

from datetime import UTC, datetime

from django.db import connection, transaction
from django.utils import timezone

from accounts import roles
from accounts.audit import audit_client_ip, audit_event_record
from accounts.errors import ServiceError
from accounts.models import AuditEvent, Cluster, Project
from accounts.permissions import require
from accounts.services.locks import lock_organization

from .. import rules
from ..audit import Event
from ..models import GRANT_MAX_DURATION, SupportAccessGrant
from ..selectors import support_access_restricted
from ._notices import notify_owners

Status = SupportAccessGrant.Status


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


def _mark_expired(now, *, ids=None, limit=None) -> list[int]:
    """One UPDATE: the ACTIVE grants among ``ids`` (or, without ids, at most ``limit`` of those due at ``now``,
    claimed with FOR UPDATE SKIP LOCKED where the database has it) become EXPIRED. Returns their ids, from
    ``UPDATE ... RETURNING`` (PostgreSQL, SQLite 3.35+); an older SQLite reads them first, under the write lock
    its IMMEDIATE transactions hold."""
    grants = _quote(SupportAccessGrant)
    at = connection.ops.adapt_datetimefield_value(now)
    if ids is not None:
        if not ids:
            return []
        chosen, params = f"id IN ({', '.join(['%s'] * len(ids))})", list(ids)
    else:
        lock = " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
        chosen = f"id IN (SELECT id FROM {grants} WHERE status = %s AND expires_at <= %s ORDER BY id LIMIT %s{lock})"  # nosec B608
        params = [Status.ACTIVE, at, limit]
    update = f"UPDATE {grants} SET status = %s, expired_at = %s WHERE {chosen} AND status = %s"  # nosec B608
    update_params = [Status.EXPIRED, at, *params, Status.ACTIVE]
    with connection.cursor() as cursor:
        if connection.features.can_return_rows_from_bulk_insert:  # RETURNING, in UPDATE as in INSERT
            cursor.execute(f"{update} RETURNING id", update_params)
            return sorted(row[0] for row in cursor.fetchall())
        cursor.execute(f"SELECT id FROM {grants} WHERE {chosen} AND status = %s", [*params, Status.ACTIVE])  # nosec B608
        expired = sorted(row[0] for row in cursor.fetchall())
        if expired:
            cursor.execute(
                f"UPDATE {grants} SET status = %s, expired_at = %s WHERE id IN ({', '.join(['%s'] * len(expired))})",  # nosec B608
                [Status.EXPIRED, at, *expired],
            )
        return expired


def _record_expired_events(ids, now) -> None:
    """The EMPLOYEE_ACCESS_EXPIRED audit rows of these grants in one ``INSERT ... SELECT`` (details as
    ``_describe`` writes them), nothing built in Python."""
    events, clusters, projects = _quote(AuditEvent), _quote(Cluster), _quote(Project)
    if connection.vendor == "postgresql":
        public_id = "substr(md5(gen_random_uuid()::text), 1, 24)"
        utc = "(g.expires_at AT TIME ZONE 'UTC')"
        iso = (
            f"to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN "
            f"extract(microseconds FROM {utc})::bigint %% 1000000 = 0 THEN '' ELSE to_char({utc}, '.US') END || 'Z'"
        )
        details = (
            f"jsonb_build_object('grantId', g.public_id, 'grantType', g.grant_type, 'expirationTime', {iso})"
        )
    else:  # SQLite keeps datetimes as UTC text, "YYYY-MM-DD HH:MM:SS[.ffffff]"
        public_id = "lower(hex(randomblob(12)))"
        iso = "replace(g.expires_at, ' ', 'T') || 'Z'"
        details = f"json_object('grantId', g.public_id, 'grantType', g.grant_type, 'expirationTime', {iso})"
    sql = (
        f"INSERT INTO {events} (public_id, organization_id, project_id, actor_id, actor_email, event_type, "  # nosec B608
        f"target_type, target_id, target_name, details, client_ip, created_at) "
        f"SELECT {public_id}, p.organization_id, c.project_id, NULL, '', %s, 'cluster', c.public_id, c.name, "
        f"{details}, %s, %s "
        f"FROM {_quote(SupportAccessGrant)} g INNER JOIN {clusters} c ON c.id = g.cluster_id "
        f"INNER JOIN {projects} p ON p.id = c.project_id "
        f"WHERE g.id IN ({', '.join(['%s'] * len(ids))}) ORDER BY g.id"
    )
    params = [
        Event.EMPLOYEE_ACCESS_EXPIRED,
        audit_client_ip(),
        connection.ops.adapt_datetimefield_value(now),
        *ids,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _expire(now, *, ids=None, limit=None) -> list[SupportAccessGrant]:
    """Mark ACTIVE grants EXPIRED (one ``UPDATE ... RETURNING``), record the events (one ``INSERT ... SELECT``),
    and queue the owners' notices (one INSERT): a constant number of queries for any number of grants."""
    expired_ids = _mark_expired(now, ids=ids, limit=limit)
    if not expired_ids:
        return []
    _record_expired_events(expired_ids, now)
    return _notify_expired(expired_ids)


def _notify_expired(ids) -> list[SupportAccessGrant]:
    """The owners' notices of these expired grants: the grants are read, with cluster, project and
    organization, for the messages' text only."""
    expired = list(
        SupportAccessGrant.objects.filter(pk__in=ids).select_related("cluster__project__organization")
    )
    notify_owners(expired, event="expired")
    return expired


@transaction.atomic
def support_grants_expire_due(*, now=None) -> list[int]:
    """Beat, every minute: every ACTIVE grant at or past its expiry becomes EXPIRED, audited, owners told (at
    most 5,000 a run). Idempotent, and safe with two workers at once: rows are claimed with FOR UPDATE SKIP
    LOCKED and only rows still ACTIVE change. Returns the ids expired. (Expiry is already in force at read time;
    this makes the rows say so, and tells the owners.)"""
    now = now or timezone.now()
    return [grant.pk for grant in _expire(now, limit=5000)]


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

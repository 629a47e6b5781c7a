"""Support access grants: make one (replacing the cluster's active grant), revoke it, expire the due ones, end
them with their cluster. Each change is audited and the organization's owners are emailed."""

from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone

from accounts import roles
from accounts.audit import audit_event_record, audit_events_record_bulk
from accounts.errors import ServiceError
from accounts.models import AuditEvent, Cluster
from accounts.permissions import require
from accounts.services._rules import lock_organization

from .. import rules
from ..models import GRANT_MAX_DURATION, SupportAccessGrant
from ..selectors import support_access_restricted
from ._notices import notify_owners

Event = AuditEvent.Type
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
        _expire([previous.pk], now)  # already dead: the expiry task's work, done now
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


def _expire(ids, now) -> list[SupportAccessGrant]:
    """Mark these ACTIVE grants EXPIRED in one UPDATE, record the events in one INSERT, and queue the owners'
    notices (one INSERT): a constant number of queries for any number of grants."""
    SupportAccessGrant.objects.filter(pk__in=ids, status=Status.ACTIVE).update(
        status=Status.EXPIRED, expired_at=now
    )
    expired = list(
        SupportAccessGrant.objects.filter(pk__in=ids, status=Status.EXPIRED, expired_at=now).select_related(
            "cluster__project__organization"
        )
    )
    audit_events_record_bulk(
        [
            AuditEvent(
                event_type=Event.EMPLOYEE_ACCESS_EXPIRED,
                organization=grant.cluster.project.organization,
                project=grant.cluster.project,
                target_type="cluster",
                target_id=grant.cluster.public_id,
                target_name=grant.cluster.name,
                details=_describe(grant),
            )
            for grant in expired
        ]
    )
    notify_owners(expired, event="expired")
    return expired


@transaction.atomic
def support_grants_expire_due(*, now=None) -> list[int]:
    """Beat, every minute: every ACTIVE grant at or past its expiry becomes EXPIRED, audited, owners told.
    Idempotent, and safe with two workers at once: rows are claimed with FOR UPDATE SKIP LOCKED and only rows
    still ACTIVE change. Returns the ids expired. (Expiry is already in force at read time; this makes the rows
    say so, and tells the owners.)"""
    now = now or timezone.now()
    due = SupportAccessGrant.objects.filter(status=Status.ACTIVE, expires_at__lte=now)
    ids = list(due.select_for_update(skip_locked=True).values_list("pk", flat=True)[:5000])
    if not ids:
        return []
    return [grant.pk for grant in _expire(ids, now)]


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

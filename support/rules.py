"""The rules of support access as plain functions of their inputs (no queries): what each grant type covers,
which grant types may be made, and the one table that rules on a support engineer's attempt to reach a cluster.
``support.services`` applies them (and records the decision); pages and the admin ask them what to offer."""

from accounts.errors import ServiceError

from .models import SupportAccessDecision, SupportAccessGrant

Scope = SupportAccessDecision.Scope
Reason = SupportAccessDecision.Reason
GrantType = SupportAccessGrant.GrantType

# What support staff reach in an organization that does not block them ("normal support"): the infrastructure
# and every log. Sync data always needs a grant; the database's data is never reachable.
UNBLOCKED_SCOPES = frozenset(
    {Scope.INFRASTRUCTURE, Scope.CLUSTER_LOGS, Scope.DATABASE_LOGS, Scope.AUDIT_LOGS}
)

# What an active grant of each type opens (Atlas: "infrastructure and all cluster logs"; "database logs only:
# database audit logs are not included"; "infrastructure and App Services sync data").
GRANT_SCOPES = {
    GrantType.CLUSTER_INFRASTRUCTURE: UNBLOCKED_SCOPES,
    GrantType.CLUSTER_DATABASE_LOGS: frozenset({Scope.DATABASE_LOGS}),
    GrantType.CLUSTER_INFRASTRUCTURE_AND_APP_SERVICES_SYNC_DATA: UNBLOCKED_SCOPES | {Scope.SYNC_DATA},
}


def grant_type_refusal(grant_type, *, restricted: bool, sync_enabled: bool) -> ServiceError | None:
    """Why ``grant_type`` cannot be granted on a cluster (None: it can). With the block off, support staff
    already reach the infrastructure and logs, so sync data is the only thing a grant adds; the sync-data type
    needs App Services sync on the cluster."""
    if grant_type not in GrantType.values:
        return ServiceError(
            "INVALID_GRANT_TYPE",
            f"Unknown grant type {grant_type!r}; valid types are {', '.join(GrantType.values)}.",
            field="grantType",
        )
    is_sync = grant_type == GrantType.CLUSTER_INFRASTRUCTURE_AND_APP_SERVICES_SYNC_DATA
    if is_sync and not sync_enabled:
        return ServiceError(
            "SYNC_NOT_ENABLED",
            "App Services sync is not enabled on this cluster, so there is no sync data to grant access to.",
            field="grantType",
        )
    if not restricted and not is_sync:
        return ServiceError(
            "GRANT_NOT_NEEDED",
            "The organization does not block support access: support staff already reach this cluster's "
            "infrastructure and logs. Only App Services sync data can be granted.",
            field="grantType",
        )
    return None


def grant_types_offered(*, restricted: bool, sync_enabled: bool) -> list[str]:
    """The grant types that may be made on a cluster now (for pages and forms)."""
    return [
        value
        for value in GrantType.values
        if grant_type_refusal(value, restricted=restricted, sync_enabled=sync_enabled) is None
    ]


def rule(*, is_engineer: bool, scope, restricted: bool, sync_enabled: bool, grant, now) -> tuple[bool, str]:
    """(allowed, reason) for one attempt to reach ``scope`` of a cluster. ``grant`` is the cluster's ACTIVE-status
    grant, or None; it counts only before its ``expires_at`` (dead at that very instant).

    ==============================  ===============  ===============================================
    scope                           block off        block on
    ==============================  ===============  ===============================================
    INFRASTRUCTURE, CLUSTER_LOGS    allowed          CLUSTER_INFRASTRUCTURE or ..._SYNC_DATA grant
    DATABASE_LOGS                   allowed          any grant
    AUDIT_LOGS                      allowed          CLUSTER_INFRASTRUCTURE or ..._SYNC_DATA grant,
                                                     never CLUSTER_DATABASE_LOGS
    SYNC_DATA                       ..._SYNC_DATA grant and sync enabled on the cluster, whatever the block
    DATABASE_DATA                   never
    ==============================  ===============  ===============================================

    Anyone but an active staff user in the Support group is refused, whatever the scope."""
    if not is_engineer:
        return False, Reason.NOT_SUPPORT_STAFF
    if scope == Scope.DATABASE_DATA:
        return False, Reason.DATABASE_DATA_NEVER
    live = grant is not None and now < grant.expires_at
    covered = live and scope in GRANT_SCOPES[grant.grant_type]
    if scope == Scope.SYNC_DATA:
        if not sync_enabled:
            return False, Reason.SYNC_NOT_ENABLED
        if covered:
            return True, Reason.GRANTED
    elif not restricted:
        return True, Reason.NOT_BLOCKED
    elif covered:
        return True, Reason.GRANTED
    if live:
        return False, Reason.GRANT_DOES_NOT_COVER
    if grant is not None:
        return False, Reason.GRANT_EXPIRED
    return False, Reason.SYNC_NEEDS_GRANT if scope == Scope.SYNC_DATA else Reason.BLOCKED


def scopes_reachable(*, restricted: bool, sync_enabled: bool, grant, now) -> list[str]:
    """Every scope an engineer reaches on a cluster now (the staff view), by the same table."""
    return [
        scope
        for scope in Scope.values
        if rule(
            is_engineer=True,
            scope=scope,
            restricted=restricted,
            sync_enabled=sync_enabled,
            grant=grant,
            now=now,
        )[0]
    ]

"""The one function that decides each attempt of a support engineer to reach a cluster, and records it."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.errors import ServiceError
from accounts.models import Cluster

from .. import rules
from ..models import SupportAccessDecision, SupportAccessGrant
from ..selectors import is_support_engineer, support_access_restricted

Scope = SupportAccessDecision.Scope


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str
    grant: SupportAccessGrant | None
    record: SupportAccessDecision

    @property
    def reason_label(self) -> str:
        return SupportAccessDecision.Reason(self.reason).label


@transaction.atomic
def support_access_decide(*, engineer, cluster, scope, now=None, client_ip=None) -> Decision:
    """May ``engineer`` reach ``scope`` of ``cluster`` now? Rules by ``support.rules.rule`` (its docstring has
    the table): only active staff in the Support group; the database's data never; sync data only through an
    infrastructure-and-sync-data grant on a cluster with sync enabled; while the organization blocks support,
    infrastructure and logs only through a grant of a type that covers them (audit logs never through a
    database-logs grant). A grant is dead from the instant of its ``expires_at``, whatever the tasks have done.

    Every decision, allowed or refused, is appended to the SupportAccessDecision log that the organization's
    owners read, in this transaction, before the answer is returned."""
    if scope not in Scope.values:
        raise ServiceError(
            "INVALID_SCOPE",
            f"Unknown scope {scope!r}; valid scopes are {', '.join(Scope.values)}.",
            field="scope",
        )
    now = now or timezone.now()
    cluster = Cluster.objects.select_related("project__organization").get(pk=cluster.pk)
    organization = cluster.project.organization
    restricted = support_access_restricted(organization)
    grant = (
        SupportAccessGrant.objects.filter(cluster=cluster, status=SupportAccessGrant.Status.ACTIVE)
        .order_by("-granted_at", "-pk")
        .first()
    )
    allowed, reason = rules.rule(
        is_engineer=is_support_engineer(engineer),
        scope=scope,
        restricted=restricted,
        sync_enabled=cluster.sync_enabled,
        grant=grant,
        now=now,
    )
    person = engineer if getattr(engineer, "pk", None) else None
    record = SupportAccessDecision.objects.create(
        decided_at=now,
        engineer=person,
        engineer_email=getattr(person, "email", "") or "anonymous",
        organization=organization,
        project=cluster.project,
        cluster=cluster,
        cluster_name=cluster.name,
        scope=scope,
        allowed=allowed,
        reason=reason,
        restricted=restricted,
        grant=grant,
        grant_type=grant.grant_type if grant is not None else "",
        client_ip=client_ip or None,
    )
    return Decision(allowed=allowed, reason=reason, grant=grant if allowed else None, record=record)

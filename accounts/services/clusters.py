"""Clusters: the provider's staff (or its provisioning) create them; customers see them in their projects."""

from django.db import transaction

from accounts import roles as catalogue
from accounts.audit import audit_event_record
from accounts.errors import ServiceError
from accounts.models import AuditEvent, Cluster
from accounts.permissions import require

from ._rules import clean_cluster_name, lock_organization

Event = AuditEvent.Type


# Apps built on accounts (monitoring) follow cluster changes without accounts knowing them: each registers a
# function here from its AppConfig.ready(), and it is called inside the change's own transaction, after the
# change: ``hook(cluster=..., change="created" | "updated" | "deleting", changes={...}, actor=...)``. A hook
# that raises rolls the whole change back. (Explicit calls, in order, rather than Django signals.)
CLUSTER_CHANGE_HOOKS = []


def register_cluster_change_hook(hook):
    if hook not in CLUSTER_CHANGE_HOOKS:
        CLUSTER_CHANGE_HOOKS.append(hook)
    return hook


def _notify(cluster, change, changes, actor):
    for hook in CLUSTER_CHANGE_HOOKS:
        hook(cluster=cluster, change=change, changes=changes, actor=actor)


def _clean_tier(tier) -> str:
    if tier not in Cluster.Tier.values:
        raise ServiceError(
            "VALIDATION_ERROR",
            f"Unknown tier {tier!r}; valid tiers are {', '.join(Cluster.Tier.values)}.",
            field="tier",
        )
    return tier


@transaction.atomic
def cluster_create(*, project, name, tier=Cluster.Tier.DEDICATED, sync_enabled=False, actor) -> Cluster:
    lock_organization(project.organization)
    require(actor, catalogue.MANAGE_CLUSTERS, project)
    name = clean_cluster_name(name)
    tier = _clean_tier(tier)
    if Cluster.objects.filter(project=project, name=name).exists():
        raise ServiceError(
            "CLUSTER_ALREADY_EXISTS",
            f"A cluster named {name} already exists in project {project.name}.",
            name=name,
        )
    cluster = Cluster.objects.create(project=project, name=name, tier=tier, sync_enabled=bool(sync_enabled))
    audit_event_record(
        event_type=Event.CLUSTER_CREATED,
        actor=actor,
        project=project,
        target=cluster,
        details={"tier": tier, "syncEnabled": cluster.sync_enabled},
    )
    _notify(cluster, "created", {}, actor)
    return cluster


@transaction.atomic
def cluster_update(*, cluster, actor, tier=None, sync_enabled=None) -> Cluster:
    """Change a cluster's tier or App Services sync (monitoring eligibility follows the tier)."""
    lock_organization(cluster.project.organization)
    cluster = Cluster.objects.select_related("project__organization").get(pk=cluster.pk)  # as stored
    require(actor, catalogue.MANAGE_CLUSTERS, cluster.project)
    changes = {}
    if tier is not None and tier != cluster.tier:
        changes["tier"] = {"from": cluster.tier, "to": _clean_tier(tier)}
        cluster.tier = tier
    if sync_enabled is not None and bool(sync_enabled) != cluster.sync_enabled:
        changes["syncEnabled"] = {"from": cluster.sync_enabled, "to": bool(sync_enabled)}
        cluster.sync_enabled = bool(sync_enabled)
    if changes:
        cluster.save(update_fields=["tier", "sync_enabled"])
        audit_event_record(
            event_type=Event.CLUSTER_UPDATED,
            actor=actor,
            project=cluster.project,
            target=cluster,
            details=changes,
        )
        _notify(cluster, "updated", changes, actor)
    return cluster


@transaction.atomic
def cluster_delete(*, cluster, actor) -> None:
    lock_organization(cluster.project.organization)
    require(actor, catalogue.MANAGE_CLUSTERS, cluster.project)
    audit_event_record(event_type=Event.CLUSTER_DELETED, actor=actor, project=cluster.project, target=cluster)
    _notify(cluster, "deleting", {}, actor)
    cluster.delete()

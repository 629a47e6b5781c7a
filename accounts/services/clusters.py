"""Clusters: the provider's staff (or its provisioning) create them; customers see them in their projects."""

import re

from django.db import transaction

from accounts import roles as catalogue
from accounts.audit import audit_event_record
from accounts.errors import ServiceError
from accounts.models import AuditEvent, Cluster
from accounts.permissions import require

from ._rules import clean_cluster_name
from .locks import lock_organization, lock_organization_for

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


_REGION = re.compile(r"[A-Z0-9_]{2,32}")
_INSTANCE_SIZE = re.compile(r"(M[0-9]{1,3}(_NVME)?|R[0-9]{2,3}|FLEX)?")
_VERSION = re.compile(r"[0-9]{1,2}\.[0-9]{1,2}")

# The description fields of a cluster (what Atlas's clients read): {field: (its name in the API, cleaner)}.
DESCRIPTION_FIELDS = {
    "provider_name": ("providerName", lambda v: _choice(v, Cluster.Provider.values, "provider_name")),
    "region_name": (
        "regionName",
        lambda v: _match(v, _REGION, "region_name", "an Atlas region such as US_EAST_1"),
    ),
    "instance_size": (
        "instanceSize",
        lambda v: _match(v, _INSTANCE_SIZE, "instance_size", "M10, M30, R40 ..."),
    ),
    "mongodb_version": (
        "mongoDBVersion",
        lambda v: _match(v, _VERSION, "mongodb_version", "a version like 8.0"),
    ),
    "paused": ("paused", bool),
}


def _choice(value, values, field):
    if value not in values:
        raise ServiceError(
            "VALIDATION_ERROR", f"Unknown {field} {value!r}; valid ones are {', '.join(values)}.", field=field
        )
    return value


def _match(value, pattern, field, example):
    value = str(value).strip().upper() if field != "mongodb_version" else str(value).strip()
    if not pattern.fullmatch(value):
        raise ServiceError(
            "VALIDATION_ERROR", f"{field} {value!r} is not valid; expected {example}.", field=field
        )
    return value


def _clean_description(fields) -> dict:
    unknown = set(fields) - set(DESCRIPTION_FIELDS)
    if unknown:
        raise TypeError(f"unknown cluster fields: {sorted(unknown)}")
    return {name: DESCRIPTION_FIELDS[name][1](value) for name, value in fields.items() if value is not None}


@transaction.atomic
def cluster_create(
    *, project, name, tier=Cluster.Tier.DEDICATED, sync_enabled=False, actor, **description
) -> Cluster:
    """Create a cluster; ``description``: any of ``DESCRIPTION_FIELDS`` (provider, region, instance size,
    MongoDB version, paused), each checked."""
    lock_organization_for(actor, catalogue.MANAGE_CLUSTERS, project)
    name = clean_cluster_name(name)
    tier = _clean_tier(tier)
    description = _clean_description(description)
    if Cluster.objects.filter(project=project, name=name).exists():
        raise ServiceError(
            "CLUSTER_ALREADY_EXISTS",
            f"A cluster named {name} already exists in project {project.name}.",
            name=name,
        )
    cluster = Cluster.objects.create(
        project=project, name=name, tier=tier, sync_enabled=bool(sync_enabled), **description
    )
    audit_event_record(
        event_type=Event.CLUSTER_CREATED,
        actor=actor,
        project=project,
        target=cluster,
        details={
            "tier": tier,
            "syncEnabled": cluster.sync_enabled,
            **{DESCRIPTION_FIELDS[field][0]: value for field, value in description.items()},
        },
    )
    _notify(cluster, "created", {}, actor)
    return cluster


@transaction.atomic
def cluster_update(*, cluster, actor, tier=None, sync_enabled=None, **description) -> Cluster:
    """Change a cluster's tier or App Services sync (monitoring eligibility follows the tier), or its
    description (``DESCRIPTION_FIELDS``). Only what differs is saved and audited."""
    lock_organization(cluster.project.organization)
    cluster = Cluster.objects.select_related("project__organization").get(pk=cluster.pk)  # as stored
    require(actor, catalogue.MANAGE_CLUSTERS, cluster.project)
    changes, changed_fields = {}, []
    if tier is not None and tier != cluster.tier:
        changes["tier"] = {"from": cluster.tier, "to": _clean_tier(tier)}
        cluster.tier = tier
        changed_fields.append("tier")
    if sync_enabled is not None and bool(sync_enabled) != cluster.sync_enabled:
        changes["syncEnabled"] = {"from": cluster.sync_enabled, "to": bool(sync_enabled)}
        cluster.sync_enabled = bool(sync_enabled)
        changed_fields.append("sync_enabled")
    for field, value in _clean_description(description).items():
        if value != getattr(cluster, field):
            changes[DESCRIPTION_FIELDS[field][0]] = {"from": getattr(cluster, field), "to": value}
            setattr(cluster, field, value)
            changed_fields.append(field)
    if changes:
        cluster.save(update_fields=changed_fields)
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
    lock_organization_for(actor, catalogue.MANAGE_CLUSTERS, cluster.project)
    audit_event_record(event_type=Event.CLUSTER_DELETED, actor=actor, project=cluster.project, target=cluster)
    _notify(cluster, "deleting", {}, actor)
    cluster.delete()

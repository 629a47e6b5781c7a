"""Who reaches a cluster as support staff, for the staff's explanation of access
(``accounts.selectors.explain``): every support engineer, with what they reach now and until when, decided by
the same table as every attempt (``rules.scopes_reachable``)."""

from accounts.models import User
from accounts.selectors.explain import Entry, Section

from . import rules, selectors
from .models import SUPPORT_GROUP_NAME, SupportAccessDecision


def support_engineers():
    """Active staff people in the Support group (``selectors.is_support_engineer`` for a whole list)."""
    return User.objects.filter(
        is_active=True, is_staff=True, is_service_account=False, groups__name=SUPPORT_GROUP_NAME
    ).order_by("email", "pk")


def user_support_reach(user, now) -> Section | None:
    """What a support engineer reaches now: each cluster a grant opens, until when; and how many organizations
    do not block support (every cluster of theirs, with no end date). None for anyone else."""
    reach = selectors.engineer_reach(user, now)
    if not reach.is_engineer:
        return None
    labels = dict(SupportAccessDecision.Scope.choices)
    entries = [
        Entry(
            item.grant.cluster,
            (f"grant {item.grant.get_grant_type_display()}: {', '.join(labels[s] for s in item.scopes)}",),
            until=item.grant.expires_at,
        )
        for item in reach.granted
    ]
    unblocked = len(reach.unblocked_organizations)
    note = (
        f"A support engineer. Besides these grants, every cluster of the {unblocked} organization(s) that do not "
        f"block support: {', '.join(labels[s] for s in reach.unblocked_scopes)}."
    )
    return Section("Clusters as a support engineer", entries, note)


def cluster_support_reach(cluster, now) -> Section:
    """Three queries: the block, the grant in force, the engineers."""
    restricted = selectors.support_access_restricted(cluster.project.organization)
    grant = selectors.cluster_active_grant(cluster, now)
    scopes = rules.scopes_reachable(
        restricted=restricted, sync_enabled=cluster.sync_enabled, grant=grant, now=now
    )
    if not scopes:
        return Section(
            "Support engineers",
            [],
            "The organization blocks support access and no grant is in force: no support engineer reaches it.",
        )
    labels = dict(SupportAccessDecision.Scope.choices)
    reached = ", ".join(labels[scope] for scope in scopes)
    if grant is not None:
        by = grant.granted_by_email or "the system"
        reason = f"grant {grant.get_grant_type_display()} by {by}: {reached}"
        until = grant.expires_at
    else:
        reason = f"the organization does not block support access: {reached}"
        until = None
    entries = [Entry(engineer, (reason,), until=until) for engineer in support_engineers()]
    return Section("Support engineers", entries, "Staff users in the Support group.")

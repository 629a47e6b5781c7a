"""Who reaches a cluster through monitoring, for the staff's explanation of access
(``accounts.selectors.explain``): the monitoring users in its ``mongolab_`` group, and why each is there."""

from accounts.selectors.explain import Entry, Section

from .models import MonitoringGroupMembership


def cluster_monitoring_reach(cluster, now) -> Section:
    """The members of the cluster's system group (two queries): attached to the organization (so in every
    eligible cluster's group, now and later) or added to this group by hand."""
    memberships = (
        MonitoringGroupMembership.objects.filter(group__cluster=cluster)
        .select_related("monitoring_user", "group", "attachment")
        .order_by("monitoring_user__username", "pk")
    )
    entries = []
    for membership in memberships:
        role = membership.get_role_display()
        if membership.source == MonitoringGroupMembership.Source.ATTACHMENT:
            reason = f"attached to the organization, so in group {membership.group.name} ({role})"
        else:
            reason = f"added to group {membership.group.name} by hand ({role})"
        entries.append(Entry(membership.monitoring_user, (reason,)))
    note = (
        "" if entries else "No monitoring user is in this cluster's group (or the cluster is not eligible)."
    )
    return Section("Monitoring users", entries, note)

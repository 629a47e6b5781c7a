"""Who reaches a cluster through a service account, for the staff's explanation of access
(``accounts.selectors.explain``): the organization's service accounts assigned to the cluster's project, or
holding an organization role that carries power on every project, each with the chain that gives it."""

from django.db.models import Q

from accounts import roles
from accounts.selectors.explain import Entry, Section, grant_reason
from accounts.selectors.reach import project_reach

from .models import ServiceAccount


def cluster_service_account_reach(cluster, now) -> Section:
    """Three queries: the service accounts that reach the cluster's project, and their grants there."""
    project = cluster.project
    accounts = list(
        ServiceAccount.objects.filter(organization_id=project.organization_id)
        .filter(
            Q(user__project_memberships__project=project)
            | Q(user__organization_memberships__roles__name__in=roles.organization_roles_reaching_projects())
        )
        .distinct()
        .select_related("user")
        .order_by("name", "pk")
    )
    account_of = {account.user_id: account for account in accounts}
    entries = []
    for reach in project_reach(project, [account.user for account in accounts]):
        if not reach.grants:
            continue
        held = {name for grant in reach.grants for name in grant.roles}
        entries.append(
            Entry(
                account_of[reach.user.pk],
                tuple(grant_reason(grant) for grant in reach.grants),
                tuple(name for name in roles.PROJECT_ROLES if name in held),
            )
        )
    return Section("Service accounts", entries, "" if entries else "No service account reaches this cluster.")

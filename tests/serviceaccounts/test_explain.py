"""Staff's "who can reach this cluster, and why" names the service accounts that reach it, with their chains."""

import pytest
from django.urls import reverse

from accounts import roles
from accounts.selectors.explain import cluster_access
from accounts.services import cluster_create, organization_create, project_create
from serviceaccounts.services.accounts import service_account_project_assign

pytestmark = pytest.mark.django_db


def test_a_clusters_explanation_lists_the_service_accounts_that_reach_it(
    admin_client, organization, owner, project, make_service_account
):
    import serviceaccounts.admin  # noqa: F401  (the admin registers the source, as it is loaded in a server)

    cluster = cluster_create(project=project, name="Orders", actor=None)
    owner_account, _ = make_service_account(organization, name="platform")  # Organization Owner
    deployer, _ = make_service_account(organization, account_roles=[roles.ORG_MEMBER], name="deployer")
    service_account_project_assign(
        service_account=deployer, project=project, roles=[roles.GROUP_OWNER], actor=owner
    )
    make_service_account(organization, account_roles=[roles.ORG_MEMBER], name="idle")  # reaches no project
    stranger = organization_create(name="Elsewhere", actor=owner)
    project_create(organization=stranger, name="Theirs", actor=owner)
    make_service_account(stranger, name="theirs")

    section = next(s for s in cluster_access(cluster).sections if s.title == "Service accounts")

    reasons = {entry.subject.name: entry.reasons for entry in section.entries}
    assert sorted(reasons) == ["deployer", "platform"]
    assert reasons["deployer"] == ("direct: Project Owner",)
    assert reasons["platform"] == (
        "from Organization Owner (as Project Owner), inherited by every project of the organization",
    )
    page = admin_client.get(reverse("admin:accounts_cluster_change", args=[cluster.pk])).content.decode()
    assert "Service accounts" in page and "deployer" in page

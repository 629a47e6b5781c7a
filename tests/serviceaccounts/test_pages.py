"""The customer pages with service accounts about: a service account assigned to a project is not an API key, and
no page shows it as an empty key or fails on it."""

import re

import pytest

from accounts import roles
from accounts.services.api_keys import api_key_create, api_key_project_assign
from serviceaccounts.services.accounts import service_account_project_assign

pytestmark = pytest.mark.django_db


def test_the_access_tab_lists_the_projects_api_keys_and_no_service_account_as_one(
    client, organization, owner, project, service_account
):
    account, _ = service_account
    service_account_project_assign(
        service_account=account, project=project, roles=[roles.GROUP_OWNER], actor=owner
    )
    key, _ = api_key_create(
        organization=organization, description="ci", roles=[roles.ORG_MEMBER], actor=owner
    )
    api_key_project_assign(api_key=key, project=project, roles=[roles.GROUP_READ_ONLY], actor=owner)
    client.force_login(owner)

    response = client.get(f"/projects/{project.public_id}/")

    assert response.status_code == 200
    page = response.content.decode()
    keys = page[page.index('id="api-keys"') :]
    assert key.public_key in keys
    assert (
        len(re.findall(r"<code>[^<]*</code>", keys[: keys.index("</table>")])) == 1
    )  # the key, no empty row
    for url in (f"/projects/{project.public_id}/api-keys/", f"/orgs/{organization.public_id}/api-keys/"):
        assert client.get(url).status_code == 200, url


def test_the_api_keys_tab_lists_the_organizations_service_accounts_to_those_who_manage_keys(
    client, organization, owner, make_service_account
):
    from accounts.services import organization_member_add
    from tests.factories import UserFactory

    deployer, _ = make_service_account(organization, name="deployer")
    make_service_account(organization, account_roles=[roles.ORG_READ_ONLY], name="reader")
    client.force_login(owner)

    page = client.get(f"/orgs/{organization.public_id}/api-keys/").content.decode()

    section = page[page.index('id="service-accounts"') :]
    assert (
        deployer.client_id in section
        and "Organization Owner" in section
        and "Organization Read Only" in section
    )
    assert deployer.secrets.get().masked_value in section
    found = client.get(f"/orgs/{organization.public_id}/api-keys/?q=read").content.decode()
    assert "reader" in found[found.index('id="service-accounts"') :]
    assert deployer.client_id not in found

    member = UserFactory()
    organization_member_add(organization=organization, user=member, actor=owner)
    client.force_login(member)
    assert deployer.client_id not in client.get(f"/orgs/{organization.public_id}/api-keys/").content.decode()


def test_the_api_keys_tab_costs_the_same_queries_with_2_and_60_service_accounts(
    client, organization, owner, make_service_account
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(owner)
    url = f"/orgs/{organization.public_id}/api-keys/"

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    for i in range(2):
        make_service_account(organization, name=f"a{i}")
    few = queries()
    for i in range(58):
        make_service_account(organization, name=f"b{i}")
    assert queries() == few

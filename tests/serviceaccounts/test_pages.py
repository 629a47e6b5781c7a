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

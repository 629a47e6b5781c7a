"""The customers' home page: sign-in required, shows what the user may see, constant queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.services import organization_create, project_create, project_member_add
from tests.factories import UserFactory
from tests.signin import sign_in, verified

pytestmark = pytest.mark.django_db


def test_home_needs_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_sign_in_with_email_and_password(client):
    verified(UserFactory(email="Person@Example.com"))
    response = sign_in(client, "person@example.com")
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_home_lists_only_the_projects_the_user_may_see(client, organization, project, owner):
    member = UserFactory()
    hidden = project_create(organization=organization, name="Hidden", actor=owner)
    project_member_add(project=project, user=member, actor=owner)
    client.force_login(member)

    page = client.get("/").content.decode()

    assert project.name in page
    assert hidden.name not in page
    assert organization.name in page


def _home_queries(client):
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    return len(queries)


def test_home_costs_the_same_queries_for_few_and_many_projects(client, owner):
    client.force_login(owner)
    organization = organization_create(name="Growing", actor=owner)
    for i in range(2):
        project_create(organization=organization, name=f"p{i}", actor=owner)
    few = _home_queries(client)
    for i in range(2, 25):
        project_create(organization=organization, name=f"p{i}", actor=owner)
    organization_create(name="Second", actor=owner)
    assert _home_queries(client) == few

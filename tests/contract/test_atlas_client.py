"""An existing Atlas client library works unchanged against our server: atlasapi (PyPI ``atlasapi`` 2.0.11, the
community client for the Atlas Administration API), with only its base URL changed.

atlasapi builds every URL as ``Settings.BASE_URL + <path under /api/atlas/v1.0>`` (read at call time, so
pointing ``Settings.BASE_URL`` at the live server is "changing only its base URL") and signs every request with
HTTP Digest from the API key's public and private key, exactly as against cloud.mongodb.com. It asks for some
collections with a trailing slash (``/orgs/``, ``/groups/``, ``/groups/{id}/teams/``, ``/groups/{id}/users/``), as
Atlas allows. Each test calls one atlasapi method and checks what atlasapi parsed out of our answer."""

import datetime

import pytest
from atlasapi.atlas import Atlas
from atlasapi.atlas_users import AtlasUser
from atlasapi.events_event_types import AtlasEventTypes
from atlasapi.projects import Project
from atlasapi.settings import Settings
from atlasapi.teams import TeamRoles

from accounts import roles, services
from accounts.services.api_keys import api_key_create
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(organization, project, owner):
    """Acme with two projects, two more accepted members, a team of both assigned to Production, a direct
    project member, a cluster, and an ORG_OWNER API key."""
    staging = services.project_create(organization=organization, name="Staging", actor=owner)
    alice = factories.UserFactory(email="alice@example.com", first_name="Alice", last_name="Anderson")
    bob = factories.UserFactory(email="bob@example.com", first_name="Bob", last_name="Brown")
    for user in (alice, bob):
        services.organization_member_add(
            organization=organization, user=user, roles=[roles.ORG_MEMBER], actor=owner
        )
    team = services.team_create(organization=organization, name="Platform", members=[alice, bob], actor=owner)
    services.team_project_assign(
        team=team, project=project, roles=[roles.GROUP_CLUSTER_MANAGER, roles.GROUP_READ_ONLY], actor=owner
    )
    services.project_member_add(
        project=project, user=alice, roles=[roles.GROUP_DATA_ACCESS_ADMIN], actor=owner
    )
    services.cluster_create(project=project, name="main", actor=owner)
    api_key, private_key = api_key_create(
        organization=organization, description="atlasapi", roles=[roles.ORG_OWNER], actor=owner
    )
    return {
        "organization": organization,
        "projects": {project.name: project, staging.name: staging},
        "team": team,
        "people": {user.email: user for user in (owner, alice, bob)},
        "public_key": api_key.public_key,
        "private_key": private_key,
    }


@pytest.fixture
def atlas(world, live_server, monkeypatch):
    """atlasapi's client for the API key, on project Production, talking to the live server."""
    monkeypatch.setattr(Settings, "BASE_URL", live_server.url)
    return Atlas(world["public_key"], world["private_key"], world["projects"]["Production"].public_id)


def test_lists_organizations(atlas, world):
    organizations = list(atlas.Organizations.organizations)  # GET /api/atlas/v1.0/orgs/

    assert [(o.id, o.name, o.is_deleted) for o in organizations] == [
        (world["organization"].public_id, "Acme", False)
    ]
    assert organizations[0].links[0]["rel"] == "self"


def test_gets_an_organization_by_id(atlas, world):
    organization = atlas.Organizations.organization_by_id(world["organization"].public_id)  # GET /orgs/{id}

    assert (organization.id, organization.name) == (world["organization"].public_id, "Acme")


def test_gets_an_organization_by_name(atlas, world):
    organization = atlas.Organizations.organization_by_name("Acme")  # GET /orgs/?name=Acme

    assert organization.id == world["organization"].public_id


def test_lists_projects(atlas, world):
    projects = sorted(atlas.Projects.projects, key=lambda p: p.name)  # GET /api/atlas/v1.0/groups/

    assert [(p.name, p.id, p.org_id, p.cluster_count) for p in projects] == [
        ("Production", world["projects"]["Production"].public_id, world["organization"].public_id, 1),
        ("Staging", world["projects"]["Staging"].public_id, world["organization"].public_id, 0),
    ]
    assert all(isinstance(p, Project) and isinstance(p.created_date, datetime.datetime) for p in projects)


def test_lists_the_projects_of_an_organization(atlas, world):
    org_id = world["organization"].public_id
    projects = list(
        atlas.Organizations.get_all_projects_for_org(org_id)
    )  # GET /orgs/{id}/groups?itemsPerPage=500

    assert sorted(p.name for p in projects) == ["Production", "Staging"]
    assert {p.org_id for p in projects} == {org_id}


def test_gets_a_project_by_id_and_by_name(atlas, world):
    production = world["projects"]["Production"]

    by_id = atlas.Projects.project_by_id(production.public_id)  # GET /groups/{id}
    by_name = atlas.Projects.project_by_name("Production")  # GET /groups/byName/Production

    assert (by_id.id, by_id.name, by_id.cluster_count) == (production.public_id, "Production", 1)
    assert by_name.id == production.public_id


def test_lists_the_teams_of_a_project(atlas, world):
    teams = list(atlas.Projects.get_project_teams())  # GET /groups/{id}/teams/

    assert [(t.team_id, sorted(t.roles)) for t in teams] == [
        (world["team"].public_id, [roles.GROUP_CLUSTER_MANAGER, roles.GROUP_READ_ONLY])
    ]
    assert all(isinstance(t, TeamRoles) for t in teams)


def test_lists_the_users_of_a_project(atlas, world):
    """What both API versions carry: id, username, names, and the count. (atlasapi also reads v1.0's
    ``emailAddress``, ``teamIds`` and ``roles`` as ``[{groupId, roleName}]``, which v2's GroupUserResponse, the
    shape we answer on both prefixes, does not have: it gets None for the first two and the role names.)"""
    users = {u.username: u for u in atlas.Projects.get_project_users()}  # GET /groups/{id}/users/

    alice = users["alice@example.com"]
    assert isinstance(alice, AtlasUser)
    assert (alice.id, alice.first_name, alice.last_name) == (
        world["people"]["alice@example.com"].public_id,
        "Alice",
        "Anderson",
    )
    assert set(users) == {"owner@example.com", "alice@example.com"}
    assert atlas.Projects.user_count() == 2


def test_lists_the_users_of_a_project_with_teams_flattened(atlas, world):
    """atlasapi writes the flags as Python prints booleans: ``?flattenTeams=True&includeOrgUsers=True``."""
    users = {u.username for u in atlas.Projects.get_project_users(flatten_teams=True, include_org_users=True)}

    assert {"alice@example.com", "bob@example.com"} <= users


def test_lists_the_users_of_an_organization(atlas, world):
    """atlasapi has the path but no method for it: its own network layer and user class read it."""
    path = Settings.api_resources["Organizations"]["Atlas Users associated to Org"]  # /orgs/{id}/users/
    response = atlas.network.get(Settings.BASE_URL + path.format(ORGS_ID=world["organization"].public_id))
    users = {u.username: u for u in map(AtlasUser.from_dict, response["results"])}

    assert set(users) == set(world["people"])
    assert users["bob@example.com"].id == world["people"]["bob@example.com"].public_id
    assert users["bob@example.com"].team_ids == [world["team"].public_id]


def test_lists_the_clusters_of_a_project(atlas, world):
    clusters = atlas.Clusters.get_all_clusters()  # GET /groups/{id}/clusters?pageNum=1&itemsPerPage=500

    assert [c["name"] for c in clusters["results"]] == ["main"]
    assert atlas.Clusters.is_existing_cluster("main")
    assert not atlas.Clusters.is_existing_cluster("missing")


def test_lists_the_events_of_a_project(world, live_server, monkeypatch):
    """atlasapi turns each eventTypeName into its own AtlasEventTypes enum and raises KeyError on a name it does
    not know. Staging has no cluster, so only Atlas's own event names are in its feed (a project with an
    eligible cluster also has our MONITORING_GROUP_CREATED, which atlasapi cannot parse)."""
    monkeypatch.setattr(Settings, "BASE_URL", live_server.url)
    staging = world["projects"]["Staging"]
    services.team_project_assign(
        team=world["team"], project=staging, roles=[roles.GROUP_READ_ONLY], actor=None
    )
    atlas = Atlas(world["public_key"], world["private_key"], staging.public_id)

    events = list(atlas.Events.all)  # GET /groups/{id}/events?includeRaw=true&pageNum=1&itemsPerPage=500

    assert {AtlasEventTypes.GROUP_CREATED, AtlasEventTypes.TEAM_ADDED_TO_GROUP} <= {
        e.event_type for e in events
    }
    assert all(
        isinstance(e.created_date, datetime.datetime) and e.group_id == staging.public_id for e in events
    )

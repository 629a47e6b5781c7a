"""Fill the contract run's organization (made by ``manage.py bootstrap``) with something to test against, through
the services, and write a schemathesis config whose dictionaries hold the real IDs: schemathesis then tries, for
each path parameter, a real object about half of the time and a generated value otherwise.

Run with the project's settings: ``python scripts/contract/seed.py ORG_ID CONFIG.toml``. The demo users
(``manage.py load_demo``) must exist: some join the organization, so that teams and projects have members.

Deliberately left out of the printed pools: the ID of the API key the run authenticates with (changing its roles
or access list, or deleting it, would lock the run out: that is the test harness, not the API under test)."""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accessportal.settings")

import django  # noqa: E402

django.setup()

from accounts import roles, services  # noqa: E402
from accounts.models import AuditEvent, Cluster, Organization, User  # noqa: E402
from accounts.services.api_keys import api_key_access_list_add, api_key_create, api_key_project_assign  # noqa: E402
from accounts.services.invitations import (  # noqa: E402
    organization_invitations_create,
    project_invitations_create,
)


def seed(org_id: str) -> dict:
    organization = Organization.objects.get(public_id=org_id)
    owner = organization.memberships.get(roles__name=roles.ORG_OWNER, user__is_service_account=False).user
    people = {user.email: user for user in User.objects.filter(email__endswith="@acme.example")}
    carol, dave, erin = (people[f"{name}@acme.example"] for name in ("carol", "dave", "erin"))
    services.organization_member_add(organization=organization, user=carol, roles=[roles.ORG_MEMBER], actor=None)
    services.organization_member_add(
        organization=organization, user=dave, roles=[roles.ORG_GROUP_CREATOR], actor=None
    )
    services.organization_member_add(organization=organization, user=erin, roles=[roles.ORG_READ_ONLY], actor=None)

    # Every project keeps a cluster, and the API cannot delete clusters: so no project, and hence not the
    # organization, can be deleted during the run (that would take the run's API key with it).
    production = services.project_create(organization=organization, name="Contract Production", owner=owner, actor=None)
    staging = services.project_create(organization=organization, name="Contract Staging", owner=owner, actor=None)
    clusters = [
        services.cluster_create(project=production, name="contract-main", tier=Cluster.Tier.DEDICATED,
                                sync_enabled=True, actor=None),
        services.cluster_create(project=production, name="contract-free", tier=Cluster.Tier.SANDBOX, actor=None),
        services.cluster_create(project=staging, name="contract-staging", tier=Cluster.Tier.SHARED, actor=None),
    ]
    services.project_member_add(project=production, user=dave, roles=[roles.GROUP_OWNER], actor=None)
    services.project_member_add(project=staging, user=carol, roles=[roles.GROUP_READ_ONLY], actor=None)

    platform = services.team_create(organization=organization, name="Contract Platform", members=[carol, dave],
                                    actor=None)
    readers = services.team_create(organization=organization, name="Contract Readers", members=[erin], actor=None)
    services.team_project_assign(team=platform, project=production, roles=[roles.GROUP_CLUSTER_MANAGER], actor=None)
    services.team_project_assign(team=readers, project=staging, roles=[roles.GROUP_READ_ONLY], actor=None)

    # A second key the run may change, restrict and delete at will.
    spare_key, _ = api_key_create(
        organization=organization, description="contract spare", roles=[roles.ORG_MEMBER], actor=None
    )
    api_key_project_assign(api_key=spare_key, project=production, roles=[roles.GROUP_READ_ONLY], actor=None)
    api_key_access_list_add(api_key=spare_key, entries=["203.0.113.7", "198.51.100.0/24"], actor=None)

    invitations = [
        *organization_invitations_create(
            organization=organization, emails=["invitee@example.com"], roles=[roles.ORG_MEMBER],
            teams=[platform], actor=None
        ),
        *project_invitations_create(
            project=production, emails=["project-invitee@example.com"], roles=[roles.GROUP_READ_ONLY], actor=None
        ),
    ]

    members = User.objects.filter(
        organization_memberships__organization=organization, is_service_account=False
    ).order_by("email")
    events = AuditEvent.objects.filter(organization=organization).order_by("-pk")[:20]
    return {
        "org_id": [organization.public_id],
        "group_id": [production.public_id, staging.public_id],
        "group_name": [production.name, staging.name],
        "team_id": [platform.public_id, readers.public_id],
        "team_name": [platform.name, readers.name],
        "user_id": [user.public_id for user in members],
        "username": [user.email for user in members] + ["invitee@example.com"],
        "cluster_name": [cluster.name for cluster in clusters],
        "api_user_id": [spare_key.public_id],
        "ip_address": ["203.0.113.7", "198.51.100.0/24"],
        "invitation_id": [invitation.public_id for invitation in invitations],
        "event_id": [event.public_id for event in events],
    }


# Where each pool is used besides the path parameter of the same name.
BODY_FIELDS = {"org_id": ["body.orgId"], "user_id": ["body.id"], "username": ["body.username"]}
PROBABILITY = 0.5


def schemathesis_config(pools: dict) -> str:
    lines = []
    for name, values in pools.items():
        lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values)}", ""]
    lines.append("[parameters]")
    for name in pools:
        for key in [f"path.{name}", *BODY_FIELDS.get(name, [])]:
            lines.append(f'"{key}" = {{ dictionary = "{name}", probability = {PROBABILITY} }}')
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    pools = seed(sys.argv[1])
    Path(sys.argv[2]).write_text(schemathesis_config(pools))
    print(json.dumps(pools))

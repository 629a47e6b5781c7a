"""Fill the contract run's organization (made by ``manage.py bootstrap``) with something to test against, through
the services, and write a schemathesis config whose dictionaries hold real IDs and names: schemathesis then
tries, for each path parameter and some body fields, a real object most of the time and a generated value
otherwise, so that operations get past "404 not found" to their real work.

    python scripts/contract/seed.py ORG_ID PUBLIC_KEY CONFIG.toml   # prints {"harnessKeyId": ..., "pools": ...}

PUBLIC_KEY is the run's own API key (the test harness): its ID is kept out of the pools and printed apart, so
that the hooks can keep the run from changing, restricting or deleting the key it authenticates with. The demo
users (``manage.py load_demo``) must exist: some join the organization, so that teams and projects have members.
"""

import json
import os
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accessportal.settings")

import django  # noqa: E402

django.setup()

from django.utils import timezone  # noqa: E402

from accounts import roles, services  # noqa: E402
from accounts.models import ApiKey, AuditEvent, Cluster, Organization, User  # noqa: E402
from accounts.services.api_keys import (  # noqa: E402
    api_key_access_list_add,
    api_key_create,
    api_key_project_assign,
)
from accounts.services.invitations import (  # noqa: E402
    organization_invitations_create,
    project_invitations_create,
)
from monitoring.models import MonitoringGroup  # noqa: E402
from monitoring.services import monitoring_group_create, monitoring_user_attach  # noqa: E402
from serviceaccounts.models import ServiceAccount  # noqa: E402
from serviceaccounts.services.accounts import (  # noqa: E402
    service_account_access_list_add,
    service_account_create,
    service_account_project_assign,
)
from support.services.settings import support_access_restrict_set  # noqa: E402

Tier = Cluster.Tier


MEMBERS = {  # demo users (load_demo) -> their roles in the contract organization
    "alice@acme.example": [roles.ORG_MEMBER],
    "bob@acme.example": [roles.ORG_MEMBER],
    "carol@acme.example": [roles.ORG_MEMBER],
    "dave@acme.example": [roles.ORG_GROUP_CREATOR],
    "erin@acme.example": [roles.ORG_READ_ONLY],
    "hank@globex.example": [roles.ORG_MEMBER],
    "ivan@globex.example": [roles.ORG_BILLING_ADMIN],
    "judy@globex.example": [roles.ORG_MEMBER],
}
# Several of each thing the run may delete, so that the later phases still find some left.
SPARE_KEYS = 4


def seed(organization) -> dict:
    """Members, two projects with clusters, teams, spare API keys and service accounts with access lists, pending
    invitations."""
    owner = organization.memberships.get(roles__name=roles.ORG_OWNER, user__is_service_account=False).user
    people = {user.email: user for user in User.objects.filter(email__in=MEMBERS)}
    for email, org_roles in MEMBERS.items():
        services.organization_member_add(
            organization=organization, user=people[email], roles=org_roles, actor=None
        )

    # Every project keeps a cluster and the API cannot delete clusters: so no project, and hence not the
    # organization, can be deleted during the run (that would take the run's API key with it).
    production = services.project_create(
        organization=organization, name="Contract Production", owner=owner, actor=None
    )
    staging = services.project_create(
        organization=organization, name="Contract Staging", owner=owner, actor=None
    )
    clusters = [
        services.cluster_create(
            project=production, name="contract-main", tier=Tier.DEDICATED, sync_enabled=True, actor=None
        ),
        services.cluster_create(project=production, name="contract-free", tier=Tier.SANDBOX, actor=None),
        services.cluster_create(project=staging, name="contract-staging", tier=Tier.SHARED, actor=None),
    ]
    for project, email, project_roles in [
        (production, "dave@acme.example", [roles.GROUP_OWNER]),
        (production, "bob@acme.example", [roles.GROUP_USER_ADMIN]),
        (staging, "carol@acme.example", [roles.GROUP_READ_ONLY]),
        (staging, "judy@globex.example", [roles.GROUP_OWNER]),
    ]:
        services.project_member_add(project=project, user=people[email], roles=project_roles, actor=None)

    teams = {}
    for name, emails, assignments in [
        (
            "Contract Platform",
            ["carol@acme.example", "dave@acme.example"],
            [(production, roles.GROUP_CLUSTER_MANAGER)],
        ),
        ("Contract Readers", ["erin@acme.example"], [(staging, roles.GROUP_READ_ONLY)]),
        (
            "Contract Ops",
            ["alice@acme.example", "bob@acme.example", "hank@globex.example"],
            [(production, roles.GROUP_READ_ONLY), (staging, roles.GROUP_DATA_ACCESS_ADMIN)],
        ),
    ]:
        team = services.team_create(
            organization=organization, name=name, members=[people[e] for e in emails], actor=None
        )
        for project, role in assignments:
            services.team_project_assign(team=team, project=project, roles=[role], actor=None)
        teams[name] = team

    # Keys the run may change, restrict and delete at will.
    spare_keys = []
    for number in range(SPARE_KEYS):
        key, _ = api_key_create(
            organization=organization,
            description=f"contract spare {number}",
            roles=[roles.ORG_MEMBER],
            actor=None,
        )
        api_key_project_assign(api_key=key, project=production, roles=[roles.GROUP_READ_ONLY], actor=None)
        api_key_access_list_add(api_key=key, entries=["203.0.113.7", "198.51.100.0/24"], actor=None)
        spare_keys.append(key)

    # Service accounts the run may change, restrict and delete at will (each with a secret it may delete).
    spare_accounts = []
    for number in range(SPARE_KEYS):
        account, _, _ = service_account_create(
            organization=organization,
            name=f"contract spare {number}",
            description="contract spare",
            roles=[roles.ORG_MEMBER],
            secret_expires_after_hours=24,
            actor=None,
        )
        service_account_project_assign(
            service_account=account, project=production, roles=[roles.GROUP_READ_ONLY], actor=None
        )
        service_account_access_list_add(
            service_account=account, entries=["203.0.113.7", "198.51.100.0/24"], actor=None
        )
        spare_accounts.append(account)

    invitations = [
        *organization_invitations_create(
            organization=organization,
            emails=["invitee@example.com", "invitee2@example.com", "invitee3@example.com"],
            roles=[roles.ORG_MEMBER],
            teams=[teams["Contract Platform"]],
            actor=None,
        ),
        *project_invitations_create(
            project=production,
            emails=["project-invitee@example.com", "project-invitee2@example.com"],
            roles=[roles.GROUP_READ_ONLY],
            actor=None,
        ),
    ]

    # Support access blocked, so that a project owner may grant it (the run may lift the block again).
    support_access_restrict_set(organization=organization, restrict=True, actor=owner)
    # Monitoring users, members of every eligible cluster's system group; and customers' own groups.
    monitors = [
        monitoring_user_attach(
            organization=organization, username=name, email=f"{name}@example.com", actor=owner
        )
        for name in ("contract-monitor", "contract-monitor-2", "contract-monitor-3")
    ]
    for name in ("contract-ops", "contract-oncall"):
        monitoring_group_create(project=production, name=name, actor=owner)
    monitoring_groups = MonitoringGroup.objects.filter(project__organization=organization).order_by("pk")

    members = User.objects.filter(
        organization_memberships__organization=organization, is_service_account=False
    ).order_by("email")
    events = AuditEvent.objects.filter(organization=organization).order_by("-pk")[:20]
    return {
        "org_id": [organization.public_id],
        "group_id": [production.public_id, staging.public_id],
        "group_name": [production.name, staging.name],
        "team_id": [team.public_id for team in teams.values()],
        "team_name": list(teams),
        "user_id": [user.public_id for user in members],
        "username": [user.email for user in members] + [invitation.email for invitation in invitations],
        "cluster_name": [cluster.name for cluster in clusters],
        "api_user_id": [key.public_id for key in spare_keys],
        "client_id": [account.client_id for account in spare_accounts],
        "secret_id": [secret.public_id for account in spare_accounts for secret in account.secrets.all()],
        "ip_address": ["203.0.113.7", "198.51.100.0/24"],
        "monitoring_user_id": [attachment.monitoring_user.public_id for attachment in monitors],
        "monitoring_group_id": [group.public_id for group in monitoring_groups],
        "invitation_id": [invitation.public_id for invitation in invitations],
        "event_id": [event.public_id for event in events],
        "org_role": list(roles.ORGANIZATION_ROLES),
        "project_role": list(roles.PROJECT_ROLES),
        # A grant lasts at most 24 hours from now: the run takes minutes.
        "expiration_time": [
            (timezone.now() + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ") for hours in (2, 12)
        ],
        "new_address": ["192.0.2.10", "2001:db8::1"],
        "new_block": ["192.0.2.0/28", "2001:db8::/64"],
    }


PATH_PROBABILITY = 0.8
BODY_PROBABILITY = 0.5
# Pool name -> the places it feeds: its own path parameter (unless it has none) and these body fields.
BODY_FIELDS = {
    "org_id": ["body.orgId"],
    "group_id": ["body.groupRoleAssignments[*].groupId", "body.roles.groupRoleAssignments[*].groupId"],
    "team_id": ["body.teamId", "body.[*].teamId", "body.teamIds[*]"],
    "user_id": ["body.id", "body.[*].id", "body.orgOwnerId"],
    "username": ["body.username", "body.usernames[*]", "body.[*].username"],
    "org_role": ["body.roles.orgRoles[*]", "body.orgRole"],
    "project_role": [
        "body.roleNames[*]",
        "body.[*].roleNames[*]",
        "body.groupRole",
        "body.groupRoleAssignments[*].roles[*]",
        "body.roles.groupRoleAssignments[*].roles[*]",
    ],
    "new_address": ["body.[*].ipAddress"],
    "new_block": ["body.[*].cidrBlock"],
    "expiration_time": ["body.expirationTime"],
}
NOT_PATH = {"org_role", "project_role", "new_address", "new_block", "expiration_time"}
# ``roles`` holds organization roles under /orgs and project roles under /groups.
ROLES_BY_PATH = {"^/api/atlas/v2/orgs/": "org_role", "^/api/atlas/v2/groups/": "project_role"}


def _binding(key, pool, probability):
    return f'"{key}" = {{ dictionary = "{pool}", probability = {probability} }}'


def schemathesis_config(pools: dict) -> str:
    lines = []
    for name, values in pools.items():
        lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values)}", ""]
    lines.append("[parameters]")
    for name in pools:
        if name not in NOT_PATH:
            lines.append(_binding(f"path.{name}", name, PATH_PROBABILITY))
        lines += [_binding(key, name, BODY_PROBABILITY) for key in BODY_FIELDS.get(name, [])]
    for regex, pool in ROLES_BY_PATH.items():
        lines += ["", "[[operations]]", f'include-path-regex = "{regex}"', "[operations.parameters]"]
        lines += [_binding(key, pool, BODY_PROBABILITY) for key in ("body.roles[*]", "body.[*].roles[*]")]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    org_id, public_key, config_path = sys.argv[1:4]
    organization = Organization.objects.get(public_id=org_id)
    harness_key = ApiKey.objects.get(public_key=public_key, organization=organization)
    # On the harness key's own access list, so that the run may switch on "API access list required" for the
    # organization (PATCH /orgs/{orgId}/settings) without locking itself out.
    api_key_access_list_add(api_key=harness_key, entries=["127.0.0.1", "::1"], actor=None)
    # The run's service account (``bootstrap --service-account``, for the Bearer pass), likewise on its list.
    harness_account = ServiceAccount.objects.get(client_id=os.environ["CONTRACT_CLIENT_ID"])
    service_account_access_list_add(service_account=harness_account, entries=["127.0.0.1", "::1"], actor=None)
    pools = seed(organization)
    Path(config_path).write_text(schemathesis_config(pools))
    print(json.dumps({"harnessKeyId": harness_key.public_id, "pools": pools}))

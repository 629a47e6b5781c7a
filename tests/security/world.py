"""The two-tenant world of the security matrices: organizations Alpha (the caller's) and Bravo (the foreign one),
each with every kind of object, made through the services; and, for every kind of reference an address, a query
or a body can hold, how to fill it with the foreign tenant's object, with a missing one of the same shape, and
with the caller's own (``KINDS``).

To teach the matrices a new kind of reference: add the object to ``build_tenant`` and a ``Kind`` to ``KINDS``.
"""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from accounts import roles
from accounts.models import AuditEvent, Cluster
from accounts.services import (
    cluster_create,
    organization_create,
    organization_member_add,
    project_create,
    project_member_add,
    team_create,
    team_project_assign,
)
from accounts.services.api_keys import api_key_access_list_add, api_key_create, api_key_project_assign
from accounts.services.invitations import organization_invitations_create, project_invitations_create
from accounts.services.join_requests import join_request_create
from monitoring.models import MonitoringGroup
from monitoring.services import monitoring_group_create, monitoring_group_member_add, monitoring_user_attach
from serviceaccounts.services.accounts import (
    service_account_access_list_add,
    service_account_create,
    service_account_project_assign,
)
from support.models import SUPPORT_GROUP_NAME, SupportAccessDecision, SupportAccessGrant
from support.services import support_access_decide, support_access_restrict_set, support_grant_create


def person(email, first_name, last_name="Tester"):
    """A plain user row; no password (sessions are made with force_login), so no hashing cost."""
    return get_user_model().objects.create_user(email, None, first_name=first_name, last_name=last_name)


@dataclass
class Tenant:
    label: str
    slug: str
    domain: str
    organization: object = None
    owner: object = None
    # role name -> the person holding it: organization roles alone, project roles on ``project`` (each also an
    # Organization Member).
    by_role: dict = field(default_factory=dict)
    teammate: object = None  # reaches ``project`` only through ``team``
    monitored: object = None  # the person the linked monitoring user belongs to
    requester: object = None  # asked to join ``project``
    project: object = None
    other_project: object = None
    clusters: dict = field(default_factory=dict)  # tier (and "SYNCED") -> cluster of ``project``
    team: object = None  # assigned to ``project``, with ``teammate``
    empty_team: object = None
    org_invitation: object = None
    project_invitation: object = None
    join_request: object = None
    owner_key: object = None  # ORG_OWNER API key with an access list
    owner_key_private: str = ""
    project_key: object = None  # ORG_MEMBER key assigned to ``project``
    access_entries: list = field(default_factory=list)  # addresses on owner_key's access list
    service_account: object = None  # ORG_MEMBER service account assigned to ``project``, with an access list
    service_account_secret: object = None
    service_account_entries: list = field(default_factory=list)  # addresses on its access list
    linked_monitoring_user: object = None  # attached, linked to ``monitored``
    plain_monitoring_user: object = None  # attached, linked to nobody
    manual_monitoring_user: object = None  # added by hand to ``custom_group`` only
    system_group: object = None  # the dedicated cluster's mongolab_ group
    custom_group: object = None
    grant: object = None
    org_event: object = None
    project_event: object = None

    @property
    def people(self):
        return [self.owner, *self.by_role.values(), self.teammate, self.monitored, self.requester]

    def email(self, local):
        return f"{local}@{self.domain}"

    def identifying_strings(self) -> set[str]:
        """Everything that would tell a caller something of this tenant: ids, names, emails, keys, addresses."""
        values = {self.organization.public_id, self.organization.name}
        for user in self.people:
            values |= {user.public_id, user.email, user.first_name}
        for project in (self.project, self.other_project):
            values |= {project.public_id, project.name}
        for cluster in self.clusters.values():
            values |= {cluster.public_id, cluster.name}
        for team in (self.team, self.empty_team):
            values |= {team.public_id, team.name}
        for invitation in (self.org_invitation, self.project_invitation):
            values |= {invitation.public_id, invitation.email}
        values.add(self.join_request.public_id)
        for key in (self.owner_key, self.project_key):
            values |= {key.public_id, key.public_key, key.description, key.user.email}
        values |= {entry for entry in self.access_entries if entry != "127.0.0.1"}
        account = self.service_account
        values |= {account.client_id, account.name, account.description, account.user.email}
        values |= {self.service_account_secret.public_id, self.service_account_secret.masked_value}
        values |= {entry for entry in self.service_account_entries if entry != "127.0.0.1"}
        for monitoring_user in (
            self.linked_monitoring_user,
            self.plain_monitoring_user,
            self.manual_monitoring_user,
        ):
            values |= {monitoring_user.public_id, monitoring_user.username, monitoring_user.email}
        for group in (self.system_group, self.custom_group):
            values |= {group.public_id, group.name}
        values |= {self.grant.public_id, self.org_event.public_id, self.project_event.public_id}
        return values

    def public_ids(self) -> set[str]:
        return {value for value in self.identifying_strings() if _is_public_id(value)}


def _is_public_id(value) -> bool:
    return len(value) == 24 and all(ch in "0123456789abcdef" for ch in value)


def build_tenant(label: str, engineer=None) -> Tenant:
    """One organization with every kind of object, each made by its service as its owner would."""
    slug = label.lower()
    t = Tenant(label=label, slug=slug, domain=f"{slug}.example")
    t.owner = person(t.email("owner"), f"{label}owner")
    t.organization = organization_create(name=f"{label} Corp", actor=t.owner)
    org, owner = t.organization, t.owner
    t.project = project_create(organization=org, name=f"{label} Production", actor=owner)
    t.other_project = project_create(organization=org, name=f"{label} Staging", actor=owner)

    for role in roles.ORGANIZATION_ROLES:
        if role != roles.ORG_OWNER:
            user = person(t.email(role.lower()), f"{label}{role.title().replace('_', '')}")
            organization_member_add(organization=org, user=user, roles=[role], actor=owner)
            t.by_role[role] = user
    for role in roles.PROJECT_ROLES:
        user = person(t.email(role.lower()), f"{label}{role.title().replace('_', '')}")
        project_member_add(project=t.project, user=user, roles=[role], actor=owner)
        t.by_role[role] = user

    t.teammate = person(t.email("teammate"), f"{label}Teammate")
    t.monitored = person(t.email("monitored"), f"{label}Monitored")
    t.requester = person(t.email("requester"), f"{label}Requester")
    for user in (t.teammate, t.monitored, t.requester):
        organization_member_add(organization=org, user=user, actor=owner)
    t.team = team_create(organization=org, name=f"{label} Platform", members=[t.teammate], actor=owner)
    t.empty_team = team_create(organization=org, name=f"{label} Empty", actor=owner)
    team_project_assign(
        team=t.team, project=t.project, roles=[roles.GROUP_DATA_ACCESS_READ_ONLY], actor=owner
    )

    for tier in Cluster.Tier.values:
        t.clusters[tier] = cluster_create(
            project=t.project, name=f"{slug}-{tier.lower()}", tier=tier, actor=None
        )
    t.clusters["SYNCED"] = cluster_create(
        project=t.project, name=f"{slug}-synced", sync_enabled=True, actor=None
    )

    (t.org_invitation,) = organization_invitations_create(
        organization=org,
        emails=[t.email("invitee")],
        teams=[t.team],
        group_role_assignments=[{"groupId": t.project.public_id, "roles": [roles.GROUP_READ_ONLY]}],
        actor=owner,
    )
    (t.project_invitation,) = project_invitations_create(
        project=t.project, emails=[t.email("project-invitee")], actor=owner
    )
    t.join_request = join_request_create(project=t.project, user=t.requester, message=f"{label} wants in")

    t.owner_key, t.owner_key_private = api_key_create(
        organization=org, description=f"{label} automation key", roles=[roles.ORG_OWNER], actor=owner
    )
    # The caller's key answers from the test client's address; the foreign key's address is its own.
    t.access_entries = ["127.0.0.1", "203.0.113.10"] if label == "Alpha" else ["203.0.113.20"]
    api_key_access_list_add(api_key=t.owner_key, entries=t.access_entries, actor=owner)
    t.project_key, _ = api_key_create(
        organization=org, description=f"{label} project key", roles=[roles.ORG_MEMBER], actor=owner
    )
    api_key_project_assign(
        api_key=t.project_key, project=t.project, roles=[roles.GROUP_READ_ONLY], actor=owner
    )

    t.service_account, t.service_account_secret, _ = service_account_create(
        organization=org,
        name=f"{label} deployer",
        description=f"{label} deployments",
        roles=[roles.ORG_MEMBER],
        secret_expires_after_hours=24,
        actor=owner,
    )
    t.service_account_entries = ["127.0.0.1", "203.0.113.11"] if label == "Alpha" else ["203.0.113.21"]
    service_account_access_list_add(
        service_account=t.service_account, entries=t.service_account_entries, actor=owner
    )
    service_account_project_assign(
        service_account=t.service_account, project=t.project, roles=[roles.GROUP_READ_ONLY], actor=owner
    )

    t.linked_monitoring_user = monitoring_user_attach(
        organization=org,
        username=f"{slug}-mms-linked",
        email=t.email("mms-linked"),
        linked_user=t.monitored,
        actor=owner,
    ).monitoring_user
    t.plain_monitoring_user = monitoring_user_attach(
        organization=org, username=f"{slug}-mms-plain", email=t.email("mms-plain"), actor=owner
    ).monitoring_user
    t.system_group = MonitoringGroup.objects.get(cluster=t.clusters[Cluster.Tier.DEDICATED])
    t.custom_group = monitoring_group_create(project=t.project, name=f"{slug}-custom-group", actor=owner)
    t.manual_monitoring_user = monitoring_group_member_add(
        group=t.custom_group, username=f"{slug}-mms-manual", email=t.email("mms-manual"), actor=owner
    ).monitoring_user
    # The linked user is attached and, by hand, in the custom group too: one id every page and path accepts.
    monitoring_group_member_add(group=t.custom_group, username=t.linked_monitoring_user.username, actor=owner)

    support_access_restrict_set(organization=org, restrict=True, actor=owner)
    t.grant = support_grant_create(
        cluster=t.clusters[Cluster.Tier.DEDICATED],
        grant_type=SupportAccessGrant.GrantType.CLUSTER_INFRASTRUCTURE,
        actor=owner,
    )
    if engineer is not None:
        support_access_decide(
            engineer=engineer,
            cluster=t.clusters[Cluster.Tier.DEDICATED],
            scope=SupportAccessDecision.Scope.values[0],
        )

    t.org_event = AuditEvent.objects.filter(
        organization=org, project__isnull=True, event_type=AuditEvent.Type.TEAM_CREATED
    ).first()
    t.project_event = AuditEvent.objects.filter(
        project=t.project, event_type=AuditEvent.Type.JOINED_GROUP
    ).first()
    return t


@dataclass
class World:
    a: Tenant  # the caller's organization
    b: Tenant  # another tenant's: nothing of it may show through A's requests

    def known_ids(self) -> set[str]:
        return self.a.public_ids() | self.b.public_ids()


def build_world() -> World:
    engineer = person("tse@provider.example", "Support", "Engineer")
    engineer.is_staff = True
    engineer.save(update_fields=["is_staff"])
    engineer.groups.add(Group.objects.get_or_create(name=SUPPORT_GROUP_NAME)[0])
    return World(a=build_tenant("Alpha", engineer), b=build_tenant("Bravo", engineer))


# ---- kinds of reference -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """How to fill a reference of one kind.

    ``foreign(tenant)``: [(flavor, value)], the tenant's objects of this kind (each flavor is tried);
    ``missing``: {flavor: value}, a value of the same shape that names nothing;
    ``own(tenant)``: the caller's own values, tried in order: at least one must be answered differently from the
    missing value, which proves the reference is looked at (a test that never reaches it proves nothing)."""

    foreign: object
    missing: dict
    own: object


def _ids(*objects):
    return [obj.public_id for obj in objects]


MISSING_ID = "ffffffffffffffffffff0001"

KINDS: dict[str, Kind] = {
    "organization": Kind(
        foreign=lambda t: [("id", t.organization.public_id)],
        missing={"id": MISSING_ID},
        own=lambda t: [t.organization.public_id],
    ),
    "project": Kind(
        foreign=lambda t: [("id", t.project.public_id)],
        missing={"id": MISSING_ID},
        own=lambda t: _ids(t.project, t.other_project),
    ),
    "project_name": Kind(
        foreign=lambda t: [("name", t.project.name)],
        missing={"name": "Matrix Missing Project"},
        own=lambda t: [t.project.name],
    ),
    # A person by id (orgOwnerId, linkedUserId, /users/{userId}, offboarding).
    "person_id": Kind(
        foreign=lambda t: [("id", t.monitored.public_id)],
        missing={"id": MISSING_ID},
        own=lambda t: _ids(t.monitored, t.teammate, t.owner),
    ),
    "person_email": Kind(
        foreign=lambda t: [("email", t.owner.email)],
        missing={"email": "matrix-nobody@missing.example"},
        own=lambda t: [t.owner.email, t.teammate.email],
    ),
    # A person by user id or user name (team members).
    "person_ref": Kind(
        foreign=lambda t: [("id", t.teammate.public_id), ("email", t.teammate.email)],
        missing={"id": MISSING_ID, "email": "matrix-nobody@missing.example"},
        own=lambda t: [t.teammate.public_id, t.monitored.email, t.teammate.email],
    ),
    # A ``userId`` of a users list: a member, or an invitation while the person is only invited.
    "user": Kind(
        foreign=lambda t: [
            ("member", t.by_role[roles.GROUP_READ_ONLY].public_id),
            ("org-invitation", t.org_invitation.public_id),
            ("project-invitation", t.project_invitation.public_id),
        ],
        missing={
            "member": MISSING_ID,
            "org-invitation": "ffffffffffffffffffff0003",
            "project-invitation": "ffffffffffffffffffff0004",
        },
        own=lambda t: [
            *_ids(t.by_role[roles.GROUP_READ_ONLY], t.teammate),
            *_ids(t.org_invitation, t.project_invitation),
        ],
    ),
    # An email address that may name an invitation (or an invitee): the foreign tenant's people and invitees.
    "invitee_email": Kind(
        foreign=lambda t: [("person", t.owner.email), ("invitee", t.org_invitation.email)],
        missing={"person": "matrix-nobody@missing.example", "invitee": "matrix-nobody-2@missing.example"},
        own=lambda t: [t.org_invitation.email, t.project_invitation.email, t.teammate.email],
    ),
    "team": Kind(
        foreign=lambda t: [("assigned", t.team.public_id)],
        missing={"assigned": MISSING_ID},
        own=lambda t: _ids(t.team, t.empty_team),
    ),
    # The organization page's invitation form names teams by their row id (a ModelMultipleChoiceField).
    "team_pk": Kind(
        foreign=lambda t: [("pk", str(t.team.pk))],
        missing={"pk": "987654321"},
        own=lambda t: [str(t.team.pk)],
    ),
    "team_name": Kind(
        foreign=lambda t: [("name", t.team.name)],
        missing={"name": "Matrix Missing Team"},
        own=lambda t: [t.team.name],
    ),
    "api_key": Kind(
        foreign=lambda t: [("project-key", t.project_key.public_id)],
        missing={"project-key": MISSING_ID},
        own=lambda t: _ids(t.owner_key, t.project_key),
    ),
    "access_list_entry": Kind(
        foreign=lambda t: [("address", t.access_entries[-1])],
        missing={"address": "192.0.2.77"},
        own=lambda t: list(reversed(t.access_entries)),
    ),
    "service_account": Kind(
        foreign=lambda t: [("account", t.service_account.client_id)],
        missing={"account": "mdb_sa_id_ffffffffffffffffffff0001"},
        own=lambda t: [t.service_account.client_id],
    ),
    "service_account_secret": Kind(
        foreign=lambda t: [("secret", t.service_account_secret.public_id)],
        missing={"secret": MISSING_ID},
        own=lambda t: [t.service_account_secret.public_id],
    ),
    "service_account_access_list_entry": Kind(
        foreign=lambda t: [("address", t.service_account_entries[-1])],
        missing={"address": "192.0.2.78"},
        own=lambda t: list(reversed(t.service_account_entries)),
    ),
    "event": Kind(
        foreign=lambda t: [
            ("org-event", t.org_event.public_id),
            ("project-event", t.project_event.public_id),
        ],
        missing={"org-event": MISSING_ID, "project-event": "ffffffffffffffffffff0002"},
        own=lambda t: _ids(t.org_event, t.project_event),
    ),
    "invitation": Kind(
        foreign=lambda t: [
            ("org-invitation", t.org_invitation.public_id),
            ("project-invitation", t.project_invitation.public_id),
        ],
        missing={"org-invitation": MISSING_ID, "project-invitation": "ffffffffffffffffffff0002"},
        own=lambda t: _ids(t.org_invitation, t.project_invitation),
    ),
    "join_request": Kind(
        foreign=lambda t: [("request", t.join_request.public_id)],
        missing={"request": MISSING_ID},
        own=lambda t: [t.join_request.public_id],
    ),
    "monitoring_user": Kind(
        foreign=lambda t: [
            ("attached", t.linked_monitoring_user.public_id),
            ("manual", t.manual_monitoring_user.public_id),
        ],
        missing={"attached": MISSING_ID, "manual": "ffffffffffffffffffff0002"},
        own=lambda t: _ids(t.linked_monitoring_user, t.manual_monitoring_user, t.plain_monitoring_user),
    ),
    "monitoring_username": Kind(
        foreign=lambda t: [("username", t.plain_monitoring_user.username)],
        missing={"username": "matrix-missing-mms"},
        own=lambda t: [t.plain_monitoring_user.username],
    ),
    "monitoring_email": Kind(
        foreign=lambda t: [("email", t.plain_monitoring_user.email)],
        missing={"email": "matrix-missing-mms@missing.example"},
        own=lambda t: [t.plain_monitoring_user.email],
    ),
    "monitoring_group": Kind(
        foreign=lambda t: [("system", t.system_group.public_id), ("custom", t.custom_group.public_id)],
        missing={"system": MISSING_ID, "custom": "ffffffffffffffffffff0002"},
        own=lambda t: _ids(t.custom_group, t.system_group),
    ),
    "cluster": Kind(
        foreign=lambda t: [("dedicated", t.clusters[Cluster.Tier.DEDICATED].name)],
        missing={"dedicated": "matrix-missing-cluster"},
        own=lambda t: [t.clusters[Cluster.Tier.DEDICATED].name, t.clusters[Cluster.Tier.SANDBOX].name],
    ),
}

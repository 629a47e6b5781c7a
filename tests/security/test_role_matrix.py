"""The role matrix (issue 11): every organization role, and every project role held directly or through a team,
against every write service of accounts, monitoring and support. What each one may do is derived from the one
catalogue, ``accounts/roles.py``: a write needs one of its permissions on its organization or project (``WRITES``
says which, and ``test_each_write_needs_what_its_docstring_says`` ties that to the roles the service's docstring
names); a principal may do it exactly when the catalogue gives its roles that permission. A refusal is "not
found" to one who may not even see the object, USER_UNAUTHORIZED otherwise.

Then the no-escalation rule: whoever manages a project's members grants, assigns or takes away only roles that
carry nothing more than they hold themselves (a Project User Admin cannot make a Project Owner).

Every public function of the services packages is either in ``WRITES`` or in ``NOT_AN_ACTORS_WRITE`` with the
reason; a new one in neither fails ``test_every_service_is_in_the_matrix``."""

import importlib
import inspect
import pkgutil
import re
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, is_dataclass

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Model

from accounts import roles
from accounts.errors import ServiceError
from accounts.models import Cluster
from accounts.services import (
    cluster_create,
    cluster_delete,
    cluster_update,
    organization_create,
    organization_delete,
    organization_member_add,
    organization_member_remove,
    organization_member_role_add,
    organization_member_role_remove,
    organization_member_roles_set,
    organization_member_update,
    organization_rename,
    organization_settings_update,
    project_create,
    project_delete,
    project_member_add,
    project_member_remove,
    project_member_role_add,
    project_member_role_remove,
    project_member_roles_set,
    project_rename,
    project_users_add,
    team_create,
    team_delete,
    team_member_add,
    team_member_remove,
    team_members_add,
    team_project_assign,
    team_project_roles_set,
    team_project_unassign,
    team_projects_assign,
    team_rename,
)
from accounts.services.api_keys import (
    api_key_access_list_add,
    api_key_access_list_remove,
    api_key_create,
    api_key_create_for_project,
    api_key_delete,
    api_key_project_assign,
    api_key_project_roles_set,
    api_key_project_unassign,
    api_key_update,
)
from accounts.services.invitations import (
    invitation_resend,
    invitation_revoke,
    invitation_update,
    organization_invitations_create,
    project_invitations_create,
)
from accounts.services.join_requests import join_request_approve, join_request_deny
from monitoring.models import MonitoringUserAttachment
from monitoring.services import (
    monitoring_group_create,
    monitoring_group_delete,
    monitoring_group_member_add,
    monitoring_group_member_remove,
    monitoring_groups_reconcile,
    monitoring_user_attach,
    monitoring_user_detach,
    person_offboard,
)
from serviceaccounts.services.accounts import (
    service_account_access_list_add,
    service_account_access_list_remove,
    service_account_create,
    service_account_delete,
    service_account_project_assign,
    service_account_project_roles_set,
    service_account_project_unassign,
    service_account_secret_create,
    service_account_secret_delete,
    service_account_update,
)
from support.models import SupportAccessGrant
from support.services import (
    organization_settings_set,
    support_access_restrict_set,
    support_grant_create,
    support_grant_revoke,
)
from tests.factories import MemberFactory

from .conftest import isolated
from .world import person

pytestmark = pytest.mark.django_db

ORG, PROJECT = "organization", "project"


# ---- who acts ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Principal:
    """Someone in Alpha holding ``org_roles`` there and ``project_roles`` on its project (``through`` says how)."""

    label: str
    org_roles: tuple
    project_roles: tuple = ()
    through: str = "direct"

    def holds(self, scope) -> set[str]:
        """What the catalogue says this principal may do on the organization or on the project."""
        if scope == ORG:
            return roles.organization_permissions(self.org_roles)
        return roles.project_permissions(self.project_roles, self.org_roles)


PRINCIPALS = (
    [Principal(f"org:{name}", (name,)) for name in roles.ORGANIZATION_ROLES]
    + [Principal(f"project:{name}", (roles.ORG_MEMBER,), (name,)) for name in roles.PROJECT_ROLES]
    + [Principal(f"team:{name}", (roles.ORG_MEMBER,), (name,), "team") for name in roles.PROJECT_ROLES]
    + [
        Principal(
            "project:GROUP_USER_ADMIN+GROUP_CLUSTER_MANAGER",
            (roles.ORG_MEMBER,),
            (roles.GROUP_USER_ADMIN, roles.GROUP_CLUSTER_MANAGER),
        )
    ]
)


@dataclass
class Cast:
    """The matrix's people and objects in Alpha, beside the shared world."""

    world: object
    people: dict = field(default_factory=dict)  # principal label -> user
    subject: object = None  # ORG_MEMBER, GROUP_READ_ONLY on the project: whose roles the writes change
    subject2: object = None  # GROUP_READ_ONLY + GROUP_USER_ADMIN
    org_subject: object = None  # ORG_MEMBER + ORG_BILLING_READ_ONLY
    outsider: object = None  # a member of the organization, not of the project
    newcomer: object = None  # not in the organization
    holders: dict = field(default_factory=dict)  # project role -> a member holding only it
    subject_team: object = None  # assigned to the project with GROUP_READ_ONLY
    empty_organization: object = None  # no project: may be deleted; the principals hold their org roles there
    instances: list | None = None  # the model instances above, restored after each call (``as_built``)

    @property
    def a(self):
        return self.world.a

    def actor(self, principal):
        """A fresh row each time: no permission cache outlives a call."""
        return get_user_model().objects.get(pk=self.people[principal.label].pk)


@pytest.fixture(scope="module")
def cast(world, django_db_blocker):
    with django_db_blocker.unblock():
        a, c = world.a, Cast(world)
        org, owner, project = a.organization, a.owner, a.project
        for principal in PRINCIPALS:
            if principal.label.startswith("org:"):
                name = principal.org_roles[0]
                c.people[principal.label] = owner if name == roles.ORG_OWNER else a.by_role[name]
            elif principal.through == "direct" and len(principal.project_roles) == 1:
                c.people[principal.label] = a.by_role[principal.project_roles[0]]
            else:
                user = person(a.email(principal.label.replace(":", "-").replace("+", "-").lower()), "Matrix")
                organization_member_add(organization=org, user=user, actor=owner)
                if principal.through == "team":
                    team = team_create(
                        organization=org, name=f"Role {principal.label}", members=[user], actor=owner
                    )
                    team_project_assign(
                        team=team, project=project, roles=list(principal.project_roles), actor=owner
                    )
                else:
                    project_member_add(
                        project=project, user=user, roles=list(principal.project_roles), actor=owner
                    )
                c.people[principal.label] = user

        # Members of the organization, as world.person() makes people (no password), added by its owner.
        matrix = dict(
            organization=org, actor=owner, first_name="Matrix", last_name="Tester", passwordless=True
        )
        c.subject = MemberFactory(
            email=a.email("subject"), project=project, project_roles=[roles.GROUP_READ_ONLY], **matrix
        )
        c.subject2 = MemberFactory(
            email=a.email("subject2"),
            project=project,
            project_roles=[roles.GROUP_READ_ONLY, roles.GROUP_USER_ADMIN],
            **matrix,
        )
        c.org_subject = MemberFactory(
            email=a.email("org-subject"), roles=[roles.ORG_MEMBER, roles.ORG_BILLING_READ_ONLY], **matrix
        )
        c.outsider = MemberFactory(email=a.email("outsider"), **matrix)
        c.newcomer = person(a.email("newcomer"), "Matrix")
        for name in roles.PROJECT_ROLES:
            c.holders[name] = MemberFactory(
                email=a.email(f"holder-{name.lower()}"), project=project, project_roles=[name], **matrix
            )
        c.subject_team = team_create(organization=org, name="Subject team", members=[c.subject], actor=owner)
        team_project_assign(team=c.subject_team, project=project, roles=[roles.GROUP_READ_ONLY], actor=owner)

        c.empty_organization = organization_create(name="Alpha Empty", actor=owner)
        for principal in PRINCIPALS:
            user = c.people[principal.label]
            if user != owner:
                organization_member_add(
                    organization=c.empty_organization, user=user, roles=list(principal.org_roles), actor=owner
                )
        yield c


# ---- the writes -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Write:
    """A write service, the catalogue permission it needs on its organization or project, and a call with
    arguments under which that permission is the only thing that can refuse it."""

    label: str
    service: object
    scope: str
    need: str
    call: object  # (cast, actor) -> result
    denied_code: str = "USER_UNAUTHORIZED"  # to one who sees the object but lacks the permission


def _clusters(c):
    return c.a.clusters


def _delete_project(c, actor):
    for cluster in list(c.a.project.clusters.all()):  # a project with clusters cannot go: they go first
        cluster_delete(cluster=cluster, actor=None)
    return project_delete(project=c.a.project, actor=actor)


def _attachment(c, monitoring_user):
    return MonitoringUserAttachment.objects.get(
        organization=c.a.organization, monitoring_user=monitoring_user
    )


def _assign_service_account_anew(c, actor):
    """The world's service account is in the project already: the system takes it out first (rolled back with
    the rest), so that only the actor's permission can refuse the assignment."""
    service_account_project_unassign(service_account=c.a.service_account, project=c.a.project, actor=None)
    return service_account_project_assign(
        service_account=c.a.service_account, project=c.a.project, roles=[roles.GROUP_READ_ONLY], actor=actor
    )


P = roles  # shorter below

WRITES = [
    # organization
    Write("organization_rename", organization_rename, ORG, P.CHANGE_ORGANIZATION,
          lambda c, u: organization_rename(organization=c.a.organization, name="Alpha Renamed", actor=u)),
    Write("organization_settings_update", organization_settings_update, ORG, P.CHANGE_ORGANIZATION,
          lambda c, u: organization_settings_update(
              organization=c.a.organization, api_access_list_required=True, actor=u)),
    Write("organization_delete", organization_delete, ORG, P.DELETE_ORGANIZATION,
          lambda c, u: organization_delete(organization=c.empty_organization, actor=u)),
    Write("project_create", project_create, ORG, P.CREATE_PROJECT,
          lambda c, u: project_create(organization=c.a.organization, name="Matrix Project", actor=u),
          denied_code="NOT_ORG_GROUP_CREATOR"),
    # organization members
    Write("organization_member_add", organization_member_add, ORG, P.MANAGE_ORGANIZATION_MEMBERS,
          lambda c, u: organization_member_add(organization=c.a.organization, user=c.newcomer, actor=u)),
    Write("organization_member_remove", organization_member_remove, ORG, P.MANAGE_ORGANIZATION_MEMBERS,
          lambda c, u: organization_member_remove(organization=c.a.organization, user=c.subject, actor=u)),
    Write("organization_member_roles_set", organization_member_roles_set, ORG, P.MANAGE_ORGANIZATION_MEMBERS,
          lambda c, u: organization_member_roles_set(
              organization=c.a.organization, user=c.subject, roles=[P.ORG_READ_ONLY], actor=u)),
    Write("organization_member_role_add", organization_member_role_add, ORG, P.MANAGE_ORGANIZATION_MEMBERS,
          lambda c, u: organization_member_role_add(
              organization=c.a.organization, user=c.subject, role=P.ORG_READ_ONLY, actor=u)),
    Write("organization_member_role_remove", organization_member_role_remove, ORG, P.MANAGE_ORGANIZATION_MEMBERS,
          lambda c, u: organization_member_role_remove(
              organization=c.a.organization, user=c.org_subject, role=P.ORG_BILLING_READ_ONLY, actor=u)),
    Write("organization_member_update", organization_member_update, ORG, P.MANAGE_ORGANIZATION_MEMBERS,
          lambda c, u: organization_member_update(
              organization=c.a.organization, user=c.subject, roles=[P.ORG_MEMBER, P.ORG_READ_ONLY], actor=u)),
    Write("organization_invitations_create", organization_invitations_create, ORG, P.MANAGE_ORGANIZATION_MEMBERS,
          lambda c, u: organization_invitations_create(
              organization=c.a.organization, emails=["matrix-new@invitee.example"], actor=u)),
    Write("invitation_update[organization]", invitation_update, ORG, P.MANAGE_ORGANIZATION_MEMBERS,
          lambda c, u: invitation_update(invitation=c.a.org_invitation, roles=[P.ORG_READ_ONLY], actor=u)),
    Write("invitation_resend[organization]", invitation_resend, ORG, P.MANAGE_ORGANIZATION_MEMBERS,
          lambda c, u: invitation_resend(invitation=c.a.org_invitation, actor=u)),
    Write("invitation_revoke[organization]", invitation_revoke, ORG, P.MANAGE_ORGANIZATION_MEMBERS,
          lambda c, u: invitation_revoke(invitation=c.a.org_invitation, actor=u)),
    # teams
    Write("team_create", team_create, ORG, P.MANAGE_TEAMS,
          lambda c, u: team_create(organization=c.a.organization, name="Matrix Team", actor=u)),
    Write("team_rename", team_rename, ORG, P.MANAGE_TEAMS,
          lambda c, u: team_rename(team=c.a.empty_team, name="Matrix Renamed", actor=u)),
    Write("team_delete", team_delete, ORG, P.MANAGE_TEAMS,
          lambda c, u: team_delete(team=c.a.empty_team, actor=u)),
    Write("team_members_add", team_members_add, ORG, P.MANAGE_TEAMS,
          lambda c, u: team_members_add(team=c.a.empty_team, users=[c.outsider], actor=u)),
    Write("team_member_add", team_member_add, ORG, P.MANAGE_TEAMS,
          lambda c, u: team_member_add(team=c.a.empty_team, user=c.outsider, actor=u)),
    Write("team_member_remove", team_member_remove, ORG, P.MANAGE_TEAMS,
          lambda c, u: team_member_remove(team=c.a.team, user=c.a.teammate, actor=u)),
    # API keys
    Write("api_key_create", api_key_create, ORG, P.MANAGE_API_KEYS,
          lambda c, u: api_key_create(
              organization=c.a.organization, description="matrix", roles=[P.ORG_MEMBER], actor=u)),
    Write("api_key_create_for_project", api_key_create_for_project, ORG, P.MANAGE_API_KEYS,
          lambda c, u: api_key_create_for_project(
              project=c.a.project, description="matrix", roles=[P.GROUP_READ_ONLY], actor=u)),
    Write("api_key_update", api_key_update, ORG, P.MANAGE_API_KEYS,
          lambda c, u: api_key_update(api_key=c.a.project_key, description="matrix changed", actor=u)),
    Write("api_key_delete", api_key_delete, ORG, P.MANAGE_API_KEYS,
          lambda c, u: api_key_delete(api_key=c.a.project_key, actor=u)),
    Write("api_key_access_list_add", api_key_access_list_add, ORG, P.MANAGE_API_KEYS,
          lambda c, u: api_key_access_list_add(api_key=c.a.owner_key, entries=["198.51.100.7"], actor=u)),
    Write("api_key_access_list_remove", api_key_access_list_remove, ORG, P.MANAGE_API_KEYS,
          lambda c, u: api_key_access_list_remove(api_key=c.a.owner_key, entry="203.0.113.10", actor=u)),
    # service accounts
    Write("service_account_create", service_account_create, ORG, P.MANAGE_API_KEYS,
          lambda c, u: service_account_create(
              organization=c.a.organization, name="matrix", description="matrix", roles=[P.ORG_MEMBER],
              secret_expires_after_hours=24, actor=u)),
    Write("service_account_update", service_account_update, ORG, P.MANAGE_API_KEYS,
          lambda c, u: service_account_update(
              service_account=c.a.service_account, description="matrix changed", actor=u)),
    Write("service_account_delete", service_account_delete, ORG, P.MANAGE_API_KEYS,
          lambda c, u: service_account_delete(service_account=c.a.service_account, actor=u)),
    Write("service_account_secret_create", service_account_secret_create, ORG, P.MANAGE_API_KEYS,
          lambda c, u: service_account_secret_create(
              service_account=c.a.service_account, secret_expires_after_hours=24, actor=u)),
    Write("service_account_secret_delete", service_account_secret_delete, ORG, P.MANAGE_API_KEYS,
          lambda c, u: service_account_secret_delete(
              service_account=c.a.service_account, secret_id=c.a.service_account_secret.public_id, actor=u)),
    Write("service_account_access_list_add", service_account_access_list_add, ORG, P.MANAGE_API_KEYS,
          lambda c, u: service_account_access_list_add(
              service_account=c.a.service_account, entries=["198.51.100.7"], actor=u)),
    Write("service_account_access_list_remove", service_account_access_list_remove, ORG, P.MANAGE_API_KEYS,
          lambda c, u: service_account_access_list_remove(
              service_account=c.a.service_account, entry="203.0.113.11", actor=u)),
    # monitoring users, offboarding
    Write("monitoring_user_attach", monitoring_user_attach, ORG, P.MANAGE_ORGANIZATION_MEMBERS,
          lambda c, u: monitoring_user_attach(
              organization=c.a.organization, username="matrix-mms", email="matrix-mms@alpha.example", actor=u)),
    Write("monitoring_user_detach", monitoring_user_detach, ORG, P.MANAGE_ORGANIZATION_MEMBERS,
          lambda c, u: monitoring_user_detach(attachment=_attachment(c, c.a.plain_monitoring_user), actor=u)),
    Write("monitoring_groups_reconcile", monitoring_groups_reconcile, ORG, P.MANAGE_ORGANIZATION_MEMBERS,
          lambda c, u: monitoring_groups_reconcile(organization=c.a.organization, actor=u)),
    Write("person_offboard", person_offboard, ORG, P.MANAGE_ORGANIZATION_MEMBERS,
          lambda c, u: person_offboard(organization=c.a.organization, user=c.a.monitored, actor=u)),
    # support settings
    Write("support_access_restrict_set", support_access_restrict_set, ORG, P.CHANGE_ORGANIZATION,
          lambda c, u: support_access_restrict_set(organization=c.a.organization, restrict=False, actor=u)),
    Write("organization_settings_set", organization_settings_set, ORG, P.CHANGE_ORGANIZATION,
          lambda c, u: organization_settings_set(
              organization=c.a.organization, api_access_list_required=True, actor=u)),
    # the project
    Write("project_rename", project_rename, PROJECT, P.CHANGE_PROJECT,
          lambda c, u: project_rename(project=c.a.project, name="Alpha Renamed Project", actor=u)),
    Write("project_delete", project_delete, PROJECT, P.DELETE_PROJECT, _delete_project),
    # project members, teams, keys, invitations, requests
    Write("project_member_add", project_member_add, PROJECT, P.MANAGE_PROJECT_MEMBERS,
          lambda c, u: project_member_add(project=c.a.project, user=c.outsider, actor=u)),
    Write("project_users_add", project_users_add, PROJECT, P.MANAGE_PROJECT_MEMBERS,
          lambda c, u: project_users_add(
              project=c.a.project, emails=[c.outsider.email, "matrix-add@invitee.example"], actor=u)),
    Write("project_member_remove", project_member_remove, PROJECT, P.MANAGE_PROJECT_MEMBERS,
          lambda c, u: project_member_remove(project=c.a.project, user=c.subject, actor=u)),
    Write("project_member_roles_set", project_member_roles_set, PROJECT, P.MANAGE_PROJECT_MEMBERS,
          lambda c, u: project_member_roles_set(
              project=c.a.project, user=c.subject, roles=[P.GROUP_USER_ADMIN], actor=u)),
    Write("project_member_role_add", project_member_role_add, PROJECT, P.MANAGE_PROJECT_MEMBERS,
          lambda c, u: project_member_role_add(
              project=c.a.project, user=c.subject, role=P.GROUP_USER_ADMIN, actor=u)),
    Write("project_member_role_remove", project_member_role_remove, PROJECT, P.MANAGE_PROJECT_MEMBERS,
          lambda c, u: project_member_role_remove(
              project=c.a.project, user=c.subject2, role=P.GROUP_USER_ADMIN, actor=u)),
    Write("team_project_assign", team_project_assign, PROJECT, P.MANAGE_PROJECT_MEMBERS,
          lambda c, u: team_project_assign(team=c.a.empty_team, project=c.a.project, actor=u)),
    Write("team_projects_assign", team_projects_assign, PROJECT, P.MANAGE_PROJECT_MEMBERS,
          lambda c, u: team_projects_assign(project=c.a.project, assignments=[(c.a.empty_team, None)], actor=u)),
    Write("team_project_unassign", team_project_unassign, PROJECT, P.MANAGE_PROJECT_MEMBERS,
          lambda c, u: team_project_unassign(team=c.subject_team, project=c.a.project, actor=u)),
    Write("team_project_roles_set", team_project_roles_set, PROJECT, P.MANAGE_PROJECT_MEMBERS,
          lambda c, u: team_project_roles_set(
              team=c.subject_team, project=c.a.project, roles=[P.GROUP_USER_ADMIN], actor=u)),
    Write("api_key_project_assign", api_key_project_assign, PROJECT, P.MANAGE_PROJECT_MEMBERS,
          lambda c, u: api_key_project_assign(
              api_key=c.a.owner_key, project=c.a.project, roles=[P.GROUP_READ_ONLY], actor=u)),
    Write("api_key_project_roles_set", api_key_project_roles_set, PROJECT, P.MANAGE_PROJECT_MEMBERS,
          lambda c, u: api_key_project_roles_set(
              api_key=c.a.project_key, project=c.a.project, roles=[P.GROUP_USER_ADMIN], actor=u)),
    Write("api_key_project_unassign", api_key_project_unassign, PROJECT, P.MANAGE_PROJECT_MEMBERS,
          lambda c, u: api_key_project_unassign(api_key=c.a.project_key, project=c.a.project, actor=u)),
    Write("service_account_project_assign", service_account_project_assign, PROJECT, P.MANAGE_PROJECT_MEMBERS,
          lambda c, u: _assign_service_account_anew(c, u)),
    Write("service_account_project_roles_set", service_account_project_roles_set, PROJECT,
          P.MANAGE_PROJECT_MEMBERS,
          lambda c, u: service_account_project_roles_set(
              service_account=c.a.service_account, project=c.a.project, roles=[P.GROUP_USER_ADMIN], actor=u)),
    Write("service_account_project_unassign", service_account_project_unassign, PROJECT, P.MANAGE_PROJECT_MEMBERS,
          lambda c, u: service_account_project_unassign(
              service_account=c.a.service_account, project=c.a.project, actor=u)),
    Write("project_invitations_create", project_invitations_create, PROJECT, P.MANAGE_PROJECT_MEMBERS,
          lambda c, u: project_invitations_create(
              project=c.a.project, emails=["matrix-new@invitee.example"], actor=u)),
    Write("invitation_update[project]", invitation_update, PROJECT, P.MANAGE_PROJECT_MEMBERS,
          lambda c, u: invitation_update(invitation=c.a.project_invitation, roles=[P.GROUP_USER_ADMIN], actor=u)),
    Write("invitation_resend[project]", invitation_resend, PROJECT, P.MANAGE_PROJECT_MEMBERS,
          lambda c, u: invitation_resend(invitation=c.a.project_invitation, actor=u)),
    Write("invitation_revoke[project]", invitation_revoke, PROJECT, P.MANAGE_PROJECT_MEMBERS,
          lambda c, u: invitation_revoke(invitation=c.a.project_invitation, actor=u)),
    Write("join_request_approve", join_request_approve, PROJECT, P.MANAGE_PROJECT_MEMBERS,
          lambda c, u: join_request_approve(join_request=c.a.join_request, actor=u)),
    Write("join_request_deny", join_request_deny, PROJECT, P.MANAGE_PROJECT_MEMBERS,
          lambda c, u: join_request_deny(join_request=c.a.join_request, actor=u)),
    # clusters, monitoring groups, support grants
    Write("cluster_create", cluster_create, PROJECT, P.MANAGE_CLUSTERS,
          lambda c, u: cluster_create(project=c.a.project, name="matrix-new", actor=u)),
    Write("cluster_update", cluster_update, PROJECT, P.MANAGE_CLUSTERS,
          lambda c, u: cluster_update(
              cluster=_clusters(c)[Cluster.Tier.SANDBOX], tier=Cluster.Tier.DEDICATED, actor=u)),
    Write("cluster_delete", cluster_delete, PROJECT, P.MANAGE_CLUSTERS,
          lambda c, u: cluster_delete(cluster=_clusters(c)[Cluster.Tier.SANDBOX], actor=u)),
    Write("monitoring_group_create", monitoring_group_create, PROJECT, P.MANAGE_MONITORING,
          lambda c, u: monitoring_group_create(project=c.a.project, name="matrix group", actor=u)),
    Write("monitoring_group_delete", monitoring_group_delete, PROJECT, P.MANAGE_MONITORING,
          lambda c, u: monitoring_group_delete(group=c.a.custom_group, actor=u)),
    Write("monitoring_group_member_add", monitoring_group_member_add, PROJECT, P.MANAGE_MONITORING,
          lambda c, u: monitoring_group_member_add(
              group=c.a.custom_group, username=c.a.plain_monitoring_user.username, actor=u)),
    Write("monitoring_group_member_remove", monitoring_group_member_remove, PROJECT, P.MANAGE_MONITORING,
          lambda c, u: monitoring_group_member_remove(
              group=c.a.custom_group, monitoring_user=c.a.manual_monitoring_user, actor=u)),
    Write("support_grant_create", support_grant_create, PROJECT, P.GRANT_SUPPORT_ACCESS,
          lambda c, u: support_grant_create(
              cluster=_clusters(c)[Cluster.Tier.DEDICATED],
              grant_type=SupportAccessGrant.GrantType.CLUSTER_DATABASE_LOGS,
              actor=u)),
    Write("support_grant_revoke", support_grant_revoke, PROJECT, P.GRANT_SUPPORT_ACCESS,
          lambda c, u: support_grant_revoke(cluster=_clusters(c)[Cluster.Tier.DEDICATED], actor=u)),
]  # fmt: skip

# Public functions of the services packages that are not an actor's permission-checked write, and why.
NOT_AN_ACTORS_WRITE = {
    "organization_create": "anyone signed in creates an organization of their own (and owns it)",
    "join_request_create": "anyone signed in may ask to join a project by its id (Cloud Manager's rule)",
    "invitation_accept": "the invitation's token speaks for the invitee",
    "invitation_signup_accept": "the invitation's token speaks for the invitee",
    "invitation_accept_addressed": "the invitee's own verified address speaks for them (tests/accounts)",
    "invitations_expire_due": "the system's beat job",
    "support_grants_expire_due": "the system's beat job",
    "support_access_decide": "support staff's attempts, decided by support.rules (tests/support)",
    "support_grants_end_with_cluster": "a cluster-change hook, inside cluster_delete's own check",
    "cluster_changed": "a cluster-change hook, inside the cluster services' own check",
    "register_cluster_change_hook": "wiring of the hooks at start-up",
    "add_to_organization": "a building block the services call after their own check (documented so)",
    "add_to_project": "a building block the services call after their own check (documented so)",
    "lock_organization": "a row lock the services take before their own check; it changes nothing",
    "lock_organization_for": "that lock and then the service's own permission check; it changes nothing",
    "add_to_team": "a building block the services call after their own check (documented so)",
    "audit_refused_acceptance": "records a refusal",
    "check_invitation_usable": "a read",
    "invitation_for_token": "a read",
    "clean_emails": "input cleaning",
    "token_hash": "a hash",
    "email_queue": "the outbox, behind the services",
    "emails_queue_bulk": "the outbox, behind the services",
    "email_send": "the outbox's task",
    "invitation_require_manage": "a permission check; writes nothing",
    "emails_send": "the outbox's task (a batch)",
    "publish_sending": "the outbox, behind the services",
    "expiry_notices": "builds the expiry beat job's messages",
    "email_give_up": "the outbox's task",
    "email_tracking_event_record": "the ESP's webhook (authenticated by the webhook secret)",
    "encrypt_secret": "API key secrets at rest",
    "decrypt_secret": "API key secrets at rest",
    "api_key_ha1": "HTTP Digest verification",
    "clean_access_list_entry": "input cleaning",
    "access_list_entry_for": "HTTP Digest: may this address use the key",
    "api_key_record_use": "HTTP Digest: when and from where a key was last used",
    "api_key_refusal_record": "HTTP Digest: audits a refused request",
    "may_manage_system_groups": "a predicate (only the system and superusers fill system groups by hand)",
    "monitoring_group_admins_notify": "the notification task",
    "notify_group_admins_after_commit": "queues the notification task",
    "group_admin_emails": "a read (who is told)",
    "added_by_group": "a read (the memberships a notice announces)",
    "HandRemoval": "a result type",
    "Decision": "a result type",
    "INVITATIONS_PER_REQUEST_MAX": "a constant (the cap on addresses per request)",
    "join_ask_record": "anyone signed in may ask to join a project by its id, recorded whatever it names",
    "join_asks_process": "the system's beat job (asks become join requests through join_request_create)",
    "authentication_failure_count": "records refused API authentications (aggregated audit)",
    "authentication_failures_flush": "the system's beat job (aggregated audit of refusals)",
    "sign_in_lockout_record": "records a sign-in lockout (django-axes)",
    "two_factor_event_record": "records a person's own two-factor change (allauth's signals)",
    "clean_time_zone": "input cleaning",
    "user_profile_update": "a person's own names and time zone, nobody else's (tests/accounts/test_signin.py)",
    "user_email_verified_set": "the invitation link or allauth's confirmation verifies the address",
    "emails_requeue_stalled": "the system's beat job",
    "queue_admin_notices": "the outbox, behind the monitoring services",
    "invitations_revoke_beyond_inviter": "a building block the removal services call after their own check",
    "remove_from_organization": "a building block the removal services call after their own check",
    "detach_from_organization": "a building block the offboarding service calls after its own check",
    "service_account_bootstrap": "the operator's provisioning command (manage.py bootstrap), no actor",
    "client_authenticate": "OAuth 2.0: the client's own credentials speak for it (tests/serviceaccounts)",
    "client_refusal_count": "records refused OAuth client authentications (aggregated audit)",
    "access_token_issue": "OAuth 2.0: after client_authenticate, for that client only",
    "access_token_revoke": "OAuth 2.0: the client's own tokens, after client_authenticate",
    "access_token_for": "a read (Bearer authentication)",
    "token_lifetime": "a setting",
    "access_tokens_purge": "the system's beat job",
    "service_account_record_use": "Bearer authentication: when and from where an account was last used",
    "service_account_refusal_record": "Bearer authentication: audits a refused request",
    "user_deactivate": "staff only (the admin, superusers): tests/accounts/test_staff_admin.py",
    "user_staff_access_update": "staff only (the admin, superusers): tests/accounts/test_staff_admin.py",
    "staff_group_save": "staff only (the admin, superusers): tests/accounts/test_staff_admin.py",
    "staff_group_delete": "staff only (the admin, superusers): tests/accounts/test_staff_admin.py",
    "records_export_record": "staff only (admin exports, accounts.export_records): tests/staff/test_exports.py",
    "organization_permissions_rebuild": "staff only (admin action, change_organization): tests/staff/test_actions.py",
    "sign_in_locks_release": "staff only (admin action, axes.delete_accessattempt): tests/staff/test_actions.py",
    "api_key_disable": "staff only (admin action, change_apikey): tests/accounts/test_api_key_disabling.py",
    "api_key_enable": "staff only (admin action, change_apikey): tests/accounts/test_api_key_disabling.py",
}


def _public_service_names() -> set[str]:
    """Every public function of accounts', monitoring's, support's and serviceaccounts' services packages:
    re-exported by the package, or defined in one of its public modules."""
    names = set()
    for package_name in (
        "accounts.services",
        "monitoring.services",
        "support.services",
        "serviceaccounts.services",
    ):
        package = importlib.import_module(package_name)
        names |= set(getattr(package, "__all__", ()))
        for module_info in pkgutil.walk_packages(package.__path__, prefix=f"{package_name}."):
            if any(part.startswith("_") for part in module_info.name.split(".")):
                continue
            module = importlib.import_module(module_info.name)
            names |= set(getattr(module, "__all__", ()))
            names |= {
                name
                for name, obj in vars(module).items()
                if inspect.isfunction(obj) and obj.__module__ == module.__name__ and not name.startswith("_")
            }
    return names


def test_every_service_is_in_the_matrix():
    in_matrix = {write.service.__name__ for write in WRITES}
    unclassified = _public_service_names() - in_matrix - NOT_AN_ACTORS_WRITE.keys()
    assert not unclassified, f"add to WRITES (or NOT_AN_ACTORS_WRITE, with why): {sorted(unclassified)}"


# ---- what the docstrings say ----------------------------------------------------------------------------------

_PERMISSION_NAMES = {
    name: value
    for name, value in vars(roles).items()
    if isinstance(value, str) and value in {**roles.ORGANIZATION_PERMISSIONS, **roles.PROJECT_PERMISSIONS}
}
_ROLE_NAMES = {**roles.ORGANIZATION_ROLES, **roles.PROJECT_ROLES}


def _holders(need, scope) -> set[str]:
    """The roles the catalogue gives ``need`` on an organization or a project."""
    if scope == ORG:
        return {
            name for name, role in roles.ORGANIZATION_ROLES.items() if need in role.organization_permissions
        }
    return {name for name, role in _ROLE_NAMES.items() if need in role.project_permissions}


@pytest.mark.parametrize("write", WRITES, ids=[w.label for w in WRITES])
def test_each_write_needs_what_its_docstring_says(write):
    """A docstring that names what a write needs (a permission, or the roles that may) agrees with the need
    the matrix holds it to, and the catalogue gives that need to exactly the roles named (Organization Owner
    always reaching every project of its organization)."""
    said = " ".join(re.findall(r"\(([^()]*)\)", inspect.getdoc(write.service) or ""))
    permissions = {
        _PERMISSION_NAMES[w] for w in re.findall(r"\b[A-Z_]{4,}\b", said) if w in _PERMISSION_NAMES
    }
    named_roles = {w for w in re.findall(r"\b[A-Z_]{4,}\b", said) if w in _ROLE_NAMES}
    if permissions:
        assert write.need in permissions, f"{write.label} documents {permissions}"
    if named_roles:
        implicit = {roles.ORG_OWNER} if write.scope == PROJECT else set()
        assert _holders(write.need, write.scope) == named_roles | implicit, (
            f"{write.label}: the docstring names {sorted(named_roles)}, the catalogue gives {write.need} to "
            f"{sorted(_holders(write.need, write.scope))}"
        )


# ---- the matrix -------------------------------------------------------------------------------------------------


def _instances(root, found):
    """The model instances a world object holds (in its fields, dicts and lists)."""
    if isinstance(root, str | int | bool | None):
        return found
    if isinstance(root, Model):
        if id(root) not in found:
            found[id(root)] = root
            _instances(list(root._state.fields_cache.values()), found)  # related rows it holds
    elif isinstance(root, dict):
        for value in root.values():
            _instances(value, found)
    elif isinstance(root, list | tuple):
        for value in root:
            _instances(value, found)
    elif is_dataclass(root):
        for item in fields(root):
            _instances(getattr(root, item.name), found)
    return found


@contextmanager
def as_built(cast):
    """The database is rolled back after each call; so are the world's objects in memory (a delete sets an
    instance's pk to None, an update changes its fields)."""
    if cast.instances is None:
        cast.instances = list(_instances([cast.world.a, cast], {}).values())
    saved = [
        (obj, dict(obj.__dict__), dict(obj._state.__dict__), dict(obj._state.fields_cache))
        for obj in cast.instances
    ]
    try:
        with isolated():
            yield
    finally:
        for obj, attributes, state, cache in saved:
            obj.__dict__.clear()
            obj.__dict__.update(attributes)
            obj._state.__dict__.update(state)
            obj._state.fields_cache = cache


def _outcome(cast, principal, call):
    with as_built(cast):
        try:
            call(cast, cast.actor(principal))
        except ServiceError as error:
            return error.code
    return "allowed"


def _expected(principal, write):
    if write.need in principal.holds(write.scope):
        return "allowed"
    sees = roles.VIEW_ORGANIZATION if write.scope == ORG else roles.VIEW_PROJECT
    return write.denied_code if sees in principal.holds(write.scope) else "RESOURCE_NOT_FOUND"


@pytest.mark.parametrize("write", WRITES, ids=[w.label for w in WRITES])
def test_every_role_may_do_a_write_exactly_as_the_catalogue_says(cast, write):
    wrong = {}
    for principal in PRINCIPALS:
        expected, got = _expected(principal, write), _outcome(cast, principal, write.call)
        if got != expected:
            wrong[principal.label] = f"expected {expected}, got {got}"
    assert not wrong, f"{write.label} (needs {write.need} on the {write.scope}): {wrong}"


def test_the_matrix_allows_and_refuses_something_for_every_write(cast):
    """Each write is allowed to someone and refused to someone: a matrix where all agree proves nothing."""
    for write in WRITES:
        outcomes = {_expected(principal, write) for principal in PRINCIPALS}
        assert "allowed" in outcomes and len(outcomes) > 1, write.label


# ---- no escalation ----------------------------------------------------------------------------------------------

GRANTS = [  # (label, call(cast, actor, role)): grants, assigns or takes away a project role
    ("project_member_add", lambda c, u, g: project_member_add(
        project=c.a.project, user=c.outsider, roles=[g], actor=u)),
    ("project_users_add", lambda c, u, g: project_users_add(
        project=c.a.project, emails=[c.outsider.email], roles=[g], actor=u)),
    ("project_member_roles_set", lambda c, u, g: project_member_roles_set(
        project=c.a.project, user=c.subject, roles=[g], actor=u)),
    ("project_member_role_add", lambda c, u, g: project_member_role_add(
        project=c.a.project, user=c.subject, role=g, actor=u)),
    ("project_member_remove[holder]", lambda c, u, g: project_member_remove(
        project=c.a.project, user=c.holders[g], actor=u)),
    ("project_member_roles_set[holder]", lambda c, u, g: project_member_roles_set(
        project=c.a.project, user=c.holders[g], roles=[P.GROUP_READ_ONLY], actor=u)),
    ("team_project_assign", lambda c, u, g: team_project_assign(
        team=c.a.empty_team, project=c.a.project, roles=[g], actor=u)),
    ("team_project_roles_set", lambda c, u, g: team_project_roles_set(
        team=c.subject_team, project=c.a.project, roles=[g], actor=u)),
    ("api_key_project_assign", lambda c, u, g: api_key_project_assign(
        api_key=c.a.owner_key, project=c.a.project, roles=[g], actor=u)),
    ("api_key_project_roles_set", lambda c, u, g: api_key_project_roles_set(
        api_key=c.a.project_key, project=c.a.project, roles=[g], actor=u)),
    ("project_invitations_create", lambda c, u, g: project_invitations_create(
        project=c.a.project, emails=["matrix-grant@invitee.example"], roles=[g], actor=u)),
    ("invitation_update[project]", lambda c, u, g: invitation_update(
        invitation=c.a.project_invitation, roles=[g], actor=u)),
]  # fmt: skip

ORGANIZATION_GRANTS = [  # (label, what it needs, call(cast, actor, role)): grants an organization role
    ("organization_member_add", P.MANAGE_ORGANIZATION_MEMBERS, lambda c, u, r: organization_member_add(
        organization=c.a.organization, user=c.newcomer, roles=[r], actor=u)),
    ("organization_member_roles_set", P.MANAGE_ORGANIZATION_MEMBERS, lambda c, u, r: organization_member_roles_set(
        organization=c.a.organization, user=c.subject, roles=[r], actor=u)),
    ("organization_invitations_create", P.MANAGE_ORGANIZATION_MEMBERS,
     lambda c, u, r: organization_invitations_create(
         organization=c.a.organization, emails=["matrix-grant@invitee.example"], roles=[r], actor=u)),
    ("api_key_create", P.MANAGE_API_KEYS, lambda c, u, r: api_key_create(
        organization=c.a.organization, description="matrix", roles=[r], actor=u)),
    ("api_key_update", P.MANAGE_API_KEYS, lambda c, u, r: api_key_update(
        api_key=c.a.project_key, roles=[r], actor=u)),
]  # fmt: skip


def _managers(scope, need):
    return [principal for principal in PRINCIPALS if need in principal.holds(scope)]


def _project_grantors():
    """Those who manage the project's members but lack some project permission (so that some grants must be
    refused to them), directly and through a team; and one who holds every permission, to whom none is."""
    managers = _managers(PROJECT, roles.MANAGE_PROJECT_MEMBERS)
    everything = set(roles.PROJECT_PERMISSIONS)
    limited = [p for p in managers if p.holds(PROJECT) != everything]
    return limited + [next(p for p in managers if p.holds(PROJECT) == everything and p.through == "direct")]


@pytest.mark.parametrize(("label", "call"), GRANTS, ids=[label for label, _ in GRANTS])
def test_nobody_grants_a_project_role_that_carries_more_than_they_hold(cast, label, call):
    wrong = {}
    managers = _project_grantors()
    assert {p.through for p in managers} == {"direct", "team"} and len(managers) >= 4
    for principal in managers:
        for role in roles.PROJECT_ROLES:
            carried = roles.project_permissions([role])
            expected = "allowed" if carried <= principal.holds(PROJECT) else "ROLE_ESCALATION"
            got = _outcome(cast, principal, lambda c, u, role=role: call(c, u, role))
            if got != expected:
                wrong[f"{principal.label} -> {role}"] = f"expected {expected}, got {got}"
    assert not wrong, f"{label}: {wrong}"


@pytest.mark.parametrize(
    ("label", "need", "call"), ORGANIZATION_GRANTS, ids=[label for label, _, _ in ORGANIZATION_GRANTS]
)
def test_nobody_grants_an_organization_role_that_carries_more_than_they_hold(cast, label, need, call):
    """Whoever may grant organization roles (the catalogue: Organization Owners, who hold every organization
    permission) grants those that carry nothing more than they hold. (Those who may not grant at all are in the
    matrix above.)"""
    wrong = {}
    managers = _managers(ORG, need)
    assert managers
    for principal in managers:
        for role in roles.ORGANIZATION_ROLES:
            holds = principal.holds(ORG)
            expected = "allowed" if roles.organization_permissions([role]) <= holds else "ROLE_ESCALATION"
            got = _outcome(cast, principal, lambda c, u, role=role: call(c, u, role))
            if got != expected:
                wrong[f"{principal.label} -> {role}"] = f"expected {expected}, got {got}"
    assert not wrong, f"{label}: {wrong}"


def test_a_project_user_admin_cannot_make_a_project_owner(cast):
    """The rule in Sentry's words, for the case everyone asks about."""
    for principal in PRINCIPALS:
        if principal.project_roles == (roles.GROUP_USER_ADMIN,):
            for label, call in GRANTS:
                got = _outcome(cast, principal, lambda c, u, call=call: call(c, u, roles.GROUP_OWNER))
                assert got == "ROLE_ESCALATION", (principal.label, label, got)

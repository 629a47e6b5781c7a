"""Atlas's OrgUserResponse and GroupUserResponse: members and invited people of one organization or project as
one list (members first, then invitations), the reads behind it, and the input pieces the user endpoints share."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accessportal.api.errors import AtlasAPIError
from accessportal.api.views import self_link
from accounts import roles, selectors
from accounts.errors import not_found
from accounts.models import Invitation, OrganizationMembership, ProjectMembership, Team

ACTIVE, PENDING, EXPIRED = "ACTIVE", "PENDING", "INVITATION_EXPIRED"
MEMBERSHIP_STATUSES = (ACTIVE, PENDING, EXPIRED, "INVITATION_REJECTED")  # nobody is ever "rejected" here
ORGANIZATION_ROLE_NAMES = list(roles.ORGANIZATION_ROLES)
PROJECT_ROLE_NAMES = list(roles.PROJECT_ROLES)


@dataclass
class Person:
    """One row of a users list: a member or an invitation, in the words of Atlas's user responses."""

    id: str
    username: str
    status: str
    path: str
    first_name: str | None = None
    last_name: str | None = None
    created_at: datetime | None = None
    invitation_created_at: datetime | None = None
    invitation_expires_at: datetime | None = None
    inviter_username: str | None = None
    invitation_email_bounced_at: datetime | None = None
    org_roles: list[str] = field(default_factory=list)
    group_role_assignments: list[dict] = field(default_factory=list)
    project_roles: list[str] = field(default_factory=list)
    team_ids: list[str] | None = None


def _member(user, path, **roles_and_teams) -> Person:
    return Person(
        id=user.public_id,
        username=user.email,
        status=ACTIVE,
        path=f"{path}/{user.public_id}",
        first_name=user.first_name,
        last_name=user.last_name,
        created_at=user.date_joined,
        **roles_and_teams,
    )


def _invited(invitation, path, **roles_and_teams) -> Person:
    return Person(
        id=invitation.public_id,
        username=invitation.email,
        status=EXPIRED if invitation.effective_status == Invitation.Status.EXPIRED else PENDING,
        path=f"{path}/{invitation.public_id}",
        invitation_created_at=invitation.created_at,
        invitation_expires_at=invitation.expires_at,
        inviter_username=invitation.inviter_email or None,
        invitation_email_bounced_at=invitation.bounced_at,
        **roles_and_teams,
    )


def organization_person(obj, organization, visible_project_ids, project_invitations=None) -> Person:
    """An OrganizationMembership from ``organization_users`` or an Invitation; project roles are shown only for
    projects the caller can see. A person invited only to projects of the organization is PENDING with the
    organization role accepting gives (Organization Member) and one assignment per project invitation
    (``project_invitations``: {email: [invitations]}, from ``pending_project_invitations``)."""
    path = f"orgs/{organization.public_id}/users"
    if isinstance(obj, Invitation) and obj.project_id is not None:
        siblings = (project_invitations or {}).get(obj.email.lower(), [obj])
        assignments = [
            {"groupId": i.project.public_id, "groupRoles": list(i.roles)}
            for i in siblings
            if i.project.public_id in visible_project_ids
        ]
        return _invited(
            obj,
            path,
            org_roles=[roles.DEFAULT_ORGANIZATION_ROLE],
            group_role_assignments=sorted(assignments, key=lambda a: a["groupId"]),
            team_ids=[],
        )
    if isinstance(obj, Invitation):
        assignments = [
            {"groupId": a["groupId"], "groupRoles": list(a["roles"])}
            for a in obj.group_role_assignments
            if a["groupId"] in visible_project_ids
        ]
        teams = sorted(team.public_id for team in obj.teams.all())
        return _invited(
            obj, path, org_roles=list(obj.roles), group_role_assignments=assignments, team_ids=teams
        )
    assignments = [
        {"groupId": pm.project.public_id, "groupRoles": pm.role_names}
        for pm in obj.user.projects_here
        if pm.project.public_id in visible_project_ids
    ]
    teams = sorted(tm.team.public_id for tm in obj.user.teams_here)
    return _member(
        obj.user,
        path,
        org_roles=obj.role_names,
        group_role_assignments=sorted(assignments, key=lambda a: a["groupId"]),
        team_ids=teams,
    )


member_person = _member  # a user as a member row (roles given by the caller)


def project_person(obj, project) -> Person:
    """A ProjectMembership from ``project_users`` or an Invitation to the project."""
    path = f"groups/{project.public_id}/users"
    if isinstance(obj, Invitation):
        return _invited(obj, path, project_roles=list(obj.roles))
    return _member(obj.user, path, project_roles=obj.role_names)


def _invitations_listed(scope: Q, joined):
    """Invitations shown among a scope's users: pending ones, and expired ones (by ``expires_at``, at read time,
    whether or not the expiry task has run yet) until the address is invited again or joins."""
    newer = Invitation.objects.filter(scope, email=OuterRef("email"), pk__gt=OuterRef("pk"))
    return (
        Invitation.objects.filter(scope, status__in=[Invitation.Status.PENDING, Invitation.Status.EXPIRED])
        .exclude(Exists(newer))
        .exclude(Exists(joined))
        .order_by("email", "pk")
    )


def organization_users(organization):
    """(members, invitations, project invitees) of an organization, each with what ``organization_person`` reads:
    a constant number of queries whatever the sizes. Project invitees are the people invited only to projects of
    the organization (as Cloud Manager lists everyone pending in it), one row per address: its newest project
    invitation. API keys' accounts are not people and are never listed."""
    project_memberships = ProjectMembership.objects.filter(project__organization=organization)
    members = (
        selectors.organization_members(organization)
        .filter(user__is_service_account=False)
        .prefetch_related(
            Prefetch(
                "user__project_memberships",
                queryset=project_memberships.select_related("project").prefetch_related("roles"),
                to_attr="projects_here",
            )
        )
    )
    joined = OrganizationMembership.objects.filter(organization=organization, user__email=OuterRef("email"))
    scope = Q(organization=organization, project__isnull=True)
    invitations = _invitations_listed(scope, joined).prefetch_related("teams")
    invited_to_organization = Invitation.objects.filter(
        scope, email=OuterRef("email"), status__in=[Invitation.Status.PENDING, Invitation.Status.EXPIRED]
    )
    project_invitees = (
        _invitations_listed(Q(organization=organization, project__isnull=False), joined)
        .exclude(Exists(invited_to_organization))
        .select_related("project")
    )
    return members, invitations, project_invitees


def pending_project_invitations(organization, invitations) -> dict[str, list[Invitation]]:
    """{address: its listed project invitations in ``organization``} for the project invitees among
    ``invitations`` (one page): one query for the page."""
    emails = {i.email for i in invitations if isinstance(i, Invitation) and i.project_id is not None}
    if not emails:
        return {}
    found: dict[str, list[Invitation]] = {}
    rows = (
        Invitation.objects.filter(
            organization=organization,
            project__isnull=False,
            email__in=emails,
            status__in=[Invitation.Status.PENDING, Invitation.Status.EXPIRED],
        )
        .select_related("project")
        .order_by("pk")
    )
    for invitation in rows:
        found.setdefault(invitation.email.lower(), []).append(invitation)
    return found


def project_users(project):
    """(members, invitations) of a project: its individual members (ORG_OWNERs reach it by inheritance and are
    not listed, as in Atlas) and the invitations to it."""
    members = selectors.project_members(project).filter(user__is_service_account=False)
    joined = ProjectMembership.objects.filter(project=project, user__email=OuterRef("email"))
    return members, _invitations_listed(Q(project=project), joined)


def with_filters(request, members, *invitation_lists):
    """Atlas's ``username`` and ``orgMembershipStatus`` filters, over the members and each list of invited
    people."""
    return members_filtered(request, members), *(
        invitations_filtered(request, invitations) for invitations in invitation_lists
    )


def members_filtered(request, members):
    username = request.query_params.get("username")
    if username:
        members = members.filter(user__email__iexact=username)
    status = _membership_status(request)
    if status and status != ACTIVE:
        members = members.none()
    return members


def _membership_status(request):
    status = request.query_params.get("orgMembershipStatus")
    if status and status not in MEMBERSHIP_STATUSES:
        raise AtlasAPIError(
            400,
            "INVALID_QUERY_PARAMETER",
            f"orgMembershipStatus must be one of {', '.join(MEMBERSHIP_STATUSES)}; got {status!r}.",
            ["orgMembershipStatus"],
        )
    return status


def invitations_filtered(request, invitations):
    username = request.query_params.get("username")
    if username:
        invitations = invitations.filter(email__iexact=username)
    status = _membership_status(request)
    if status:
        live = Q(status=Invitation.Status.PENDING, expires_at__gt=timezone.now())
        invitations = {PENDING: invitations.filter(live), EXPIRED: invitations.exclude(live)}.get(
            status, invitations.none()
        )
    return invitations


def person_or_404(members, *invitation_lists, person_id):
    """The member or invitation that ``person_id`` names in this scope; anything else is "not found"."""
    found = members.filter(user__public_id=person_id).first()
    for invitations in invitation_lists:
        found = found or invitations.filter(public_id=person_id).first()
    if found is None:
        raise not_found("user", person_id)
    return found


class Concatenation:
    """Querysets read as one list by the paginator (members, then invitations, ...): counts and one page cost a
    fixed number of queries whatever the sizes."""

    def __init__(self, *parts):
        self.parts = parts
        self._counts = None

    def _sizes(self) -> list[int]:
        if self._counts is None:
            self._counts = [part.count() for part in self.parts]
        return self._counts

    def count(self) -> int:
        return sum(self._sizes())

    def __getitem__(self, window: slice) -> list:
        start, stop = window.start or 0, window.stop
        rows, offset = [], 0
        for part, size in zip(self.parts, self._sizes(), strict=True):
            if start < offset + size and stop > offset:
                rows += list(part[max(start - offset, 0) : min(stop, offset + size) - offset])
            offset += size
        return rows


def visible_project_ids(actor, organization) -> set[str]:
    return set(
        selectors.projects_for_user(actor, organization=organization).values_list("public_id", flat=True)
    )


def teams_named(organization, team_ids) -> list[Team]:
    """The teams of ``organization`` these ids name; an id naming none of them (missing, or another
    organization's) is a 400 on ``teamIds``."""
    ids = list(dict.fromkeys(team_ids))
    teams = list(
        Team.objects.filter(organization=organization, public_id__in=ids).select_related("organization")
    )
    unknown = [team_id for team_id in ids if team_id not in {team.public_id for team in teams}]
    if unknown:
        raise serializers.ValidationError(
            {"teamIds": [f"No team with ID {', '.join(unknown)} exists in this organization."]}
        )
    return teams


# ---- serializers -----------------------------------------------------------------------------------------------


class _WithoutAbsent(serializers.Serializer):
    """Atlas leaves out what does not apply (invitation dates of a member, names of an invitee)."""

    links = serializers.SerializerMethodField()

    def get_links(self, person) -> list[dict]:
        return self_link(self.context["request"], person.path)

    def to_representation(self, instance):
        return {k: v for k, v in super().to_representation(instance).items() if v is not None}


class OrgUserGroupRoleAssignmentSerializer(serializers.Serializer):
    groupId = serializers.CharField()  # noqa: N815
    groupRoles = serializers.ListField(child=serializers.CharField())  # noqa: N815


class OrgUserRolesSerializer(serializers.Serializer):
    orgRoles = serializers.ListField(child=serializers.CharField(), source="org_roles")  # noqa: N815
    groupRoleAssignments = OrgUserGroupRoleAssignmentSerializer(  # noqa: N815
        many=True, source="group_role_assignments"
    )


class _PersonFields(_WithoutAbsent):
    id = serializers.CharField()
    username = serializers.CharField()
    firstName = serializers.CharField(source="first_name", required=False)  # noqa: N815
    lastName = serializers.CharField(source="last_name", required=False)  # noqa: N815
    orgMembershipStatus = serializers.ChoiceField(choices=[ACTIVE, PENDING, EXPIRED], source="status")  # noqa: N815
    createdAt = serializers.DateTimeField(source="created_at", required=False)  # noqa: N815
    invitationCreatedAt = serializers.DateTimeField(source="invitation_created_at", required=False)  # noqa: N815
    invitationExpiresAt = serializers.DateTimeField(source="invitation_expires_at", required=False)  # noqa: N815
    inviterUsername = serializers.CharField(source="inviter_username", required=False)  # noqa: N815
    # Ours (Atlas has none): the ESP reported that the invitation email bounced.
    invitationEmailBouncedAt = serializers.DateTimeField(  # noqa: N815
        source="invitation_email_bounced_at", required=False
    )


class OrgUserSerializer(_PersonFields):
    """Atlas's OrgUserResponse: ``id`` is the user's, or the invitation's while they are invited."""

    roles = OrgUserRolesSerializer(source="*")
    teamIds = serializers.ListField(child=serializers.CharField(), source="team_ids")  # noqa: N815


class GroupUserSerializer(_PersonFields):
    """Atlas's GroupUserResponse: ``roles`` are project roles."""

    roles = serializers.ListField(child=serializers.CharField(), source="project_roles")


# Input, in Atlas's request shapes. Role names are checked against the catalogue so that a 400 names the field.


def _role_schema(names, kind) -> dict:
    """A role name in the schema. Not an ``enum``: drf-spectacular would turn it into a shared enum component
    whose name collides across resources (organization and project roles are both ``roles`` in Atlas)."""
    return {
        "type": "string",
        "pattern": f"^({'|'.join(names)})$",
        "description": f"{kind} role: {', '.join(names)}",
    }


@extend_schema_field(_role_schema(ORGANIZATION_ROLE_NAMES, "An organization"))
class OrganizationRoleField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=ORGANIZATION_ROLE_NAMES, **kwargs)


@extend_schema_field(_role_schema(PROJECT_ROLE_NAMES, "A project"))
class ProjectRoleField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=PROJECT_ROLE_NAMES, **kwargs)


def org_role_names(**kwargs):
    return serializers.ListField(child=OrganizationRoleField(), **kwargs)


def project_role_names(**kwargs):
    return serializers.ListField(child=ProjectRoleField(), **kwargs)


def entity_ids(**kwargs):
    return serializers.ListField(child=serializers.CharField(max_length=24), **kwargs)


class GroupRoleAssignmentInputSerializer(serializers.Serializer):
    groupId = serializers.CharField(max_length=24)  # noqa: N815
    groupRoles = project_role_names()  # noqa: N815


class OrgUserRolesInputSerializer(serializers.Serializer):
    orgRoles = org_role_names()  # noqa: N815
    groupRoleAssignments = GroupRoleAssignmentInputSerializer(many=True, required=False)  # noqa: N815


class OrgUserRolesUpdateSerializer(OrgUserRolesInputSerializer):
    orgRoles = org_role_names(required=False)  # noqa: N815


class AddOrRemoveOrgRoleSerializer(serializers.Serializer):
    orgRole = OrganizationRoleField()  # noqa: N815


class AddOrRemoveGroupRoleSerializer(serializers.Serializer):
    groupRole = ProjectRoleField()  # noqa: N815

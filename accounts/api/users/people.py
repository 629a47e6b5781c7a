"""Atlas's OrgUserResponse and GroupUserResponse: members and invited people of one organization or project as
one list (members first, then invitations), the reads behind it, and the input pieces the user endpoints share."""

import hashlib
from array import array
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response

from accessportal.api.negotiation import RenderedJSON, rendered
from accessportal.api.query import ChoiceParameter, QueryParameters, TextParameter
from accessportal.api.views import self_link
from accessportal.prepared import PreparedLookup, PreparedRows
from accounts import roles, selectors
from accounts.errors import not_found
from accounts.models import (
    Invitation,
    OrganizationMembership,
    OrganizationRole,
    PeopleVersion,
    Project,
    ProjectMembership,
    Team,
    TeamMembership,
)
from accounts.permissions import held_by_user_id

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


def _member_projects(organization_id, user_ids, visible_projects):
    """(user id, project public id, role name or None) of these members' projects in the organization that are
    among ``visible_projects`` (decided in the same query: a page's members can hold hundreds), by project id
    as they are shown (hexadecimal: the same order in every collation)."""
    return (
        ProjectMembership.objects.filter(
            project__organization_id=organization_id,
            user_id__in=user_ids,
            project__in=visible_projects.values("pk"),
        )
        .order_by("user_id", "project__public_id")
        .values_list("user_id", "project__public_id", "roles__name")
    )


# A users page's reads of its members, compiled once per process and page length (accessportal.prepared):
# building and compiling them was most of the Python of the API's largest page (``make profile``).
_MEMBER_ROLES = PreparedRows(
    lambda membership_ids: OrganizationRole.objects.filter(membership_id__in=membership_ids).values_list(
        "membership_id", "name"
    ),
    kinds=(list,),
)
_MEMBER_PROJECTS_SEEN_BY = PreparedRows(
    lambda organization_id, user_ids, actor_id: _member_projects(
        organization_id,
        user_ids,
        held_by_user_id(actor_id, roles.VIEW_PROJECT, Project.objects.filter(organization_id=organization_id)),
    ),
    kinds=(int, list, int),
)
_MEMBER_TEAMS = PreparedRows(
    lambda organization_id, user_ids: TeamMembership.objects.filter(
        team__organization_id=organization_id, user_id__in=user_ids
    )
    .order_by()
    .values_list("user_id", "team__public_id"),
    kinds=(int, list),
)


def organization_people(rows, organization, actor) -> list[Person]:
    """Persons for a page of rows from ``organization_users`` (OrganizationMemberships and Invitations): project
    roles shown only for projects ``actor`` can see. What the rows show is read as plain tuples in four queries
    (five with invitations, six with the projects they name) whatever the page and organization sizes:
    no model instance per role, project or team, and unordered (the memberships' default order by address
    would join every user of the organization; the rows are sorted here)."""
    memberships = [row for row in rows if not isinstance(row, Invitation)]
    invitations = [row for row in rows if isinstance(row, Invitation)]
    org_roles, teams, projects = defaultdict(list), defaultdict(list), defaultdict(dict)
    if memberships:
        user_ids = [m.user_id for m in memberships]
        for membership_id, name in _MEMBER_ROLES.rows([m.pk for m in memberships]):
            org_roles[membership_id].append(name)
        if selectors.usual_actor(actor):
            held_projects = _MEMBER_PROJECTS_SEEN_BY.rows(organization.pk, user_ids, actor.pk)
        else:
            seen = selectors.projects_for_user(actor, organization=organization)
            held_projects = _member_projects(organization.pk, user_ids, seen)
        for user_id, project_id, name in held_projects:
            held = projects[user_id].setdefault(project_id, [])
            if name is not None:  # a membership without roles (LEFT JOIN)
                held.append(name)
        for user_id, team_id in _MEMBER_TEAMS.rows(organization.pk, user_ids):
            teams[user_id].append(team_id)
    invitation_teams = defaultdict(list)
    organization_invitations = [i for i in invitations if i.project_id is None]
    if organization_invitations:
        for invitation_id, team_id in Invitation.teams.through.objects.filter(
            invitation_id__in=[i.pk for i in organization_invitations]
        ).values_list("invitation_id", "team__public_id"):
            invitation_teams[invitation_id].append(team_id)
    invited_to_projects = pending_project_invitations(organization, invitations)
    shown = {a["groupId"] for i in organization_invitations for a in i.group_role_assignments}
    shown |= {project_id for held in invited_to_projects.values() for project_id, _ in held}
    visible_project_ids = visible_among(actor, organization, shown)

    path = f"orgs/{organization.public_id}/users"
    people = []
    for row in rows:
        if isinstance(row, Invitation) and row.project_id is not None:
            # Invited only to projects of the organization: PENDING with the organization role accepting gives,
            # and one assignment per project invitation of the address.
            people.append(
                _invited(
                    row,
                    path,
                    org_roles=[roles.DEFAULT_ORGANIZATION_ROLE],
                    group_role_assignments=[
                        {"groupId": project_id, "groupRoles": list(names)}
                        for project_id, names in sorted(invited_to_projects.get(row.email.lower(), []))
                        if project_id in visible_project_ids
                    ],
                    team_ids=[],
                )
            )
            continue
        if isinstance(row, Invitation):
            assignments = [
                {"groupId": a["groupId"], "groupRoles": list(a["roles"])}
                for a in row.group_role_assignments
                if a["groupId"] in visible_project_ids
            ]
            people.append(
                _invited(
                    row,
                    path,
                    org_roles=list(row.roles),
                    group_role_assignments=assignments,
                    team_ids=sorted(invitation_teams[row.pk]),
                )
            )
            continue
        held = projects[row.user_id]
        people.append(
            _member(
                row.user,
                path,
                org_roles=sorted(org_roles[row.pk]),
                group_role_assignments=[  # in the read's order, by project id
                    {"groupId": project_id, "groupRoles": sorted(names)} for project_id, names in held.items()
                ],
                team_ids=sorted(teams[row.user_id]),
            )
        )
    return people


def pending_project_invitations(organization, rows) -> dict[str, list[tuple[str, list[str]]]]:
    """{address: [(project id, roles)]} of the listed project invitations in ``organization`` of the project
    invitees among ``rows`` (one page): one query for the page, none without project invitees."""
    emails = {row.email for row in rows if isinstance(row, Invitation) and row.project_id is not None}
    if not emails:
        return {}
    found: dict[str, list[tuple[str, list[str]]]] = defaultdict(list)
    for email, project_id, names in (
        Invitation.objects.filter(
            organization=organization,
            project__isnull=False,
            email__in=emails,
            status__in=[Invitation.Status.PENDING, Invitation.Status.EXPIRED],
        )
        .order_by("pk")
        .values_list("email", "project__public_id", "roles")
    ):
        found[email.lower()].append((project_id, list(names)))
    return found


def organization_person(obj, organization, actor) -> Person:
    """One OrganizationMembership from ``organization_users``, or an Invitation, as a Person."""
    return organization_people([obj], organization, actor)[0]


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
    """(members, invitations, project invitees) of an organization, by email: plain querysets to page through
    (the user comes with its membership); ``organization_people`` reads what a page shows. Project invitees are
    the people invited only to projects of the organization (as Cloud Manager lists everyone pending in it), one
    row per address: its newest project invitation. API keys' accounts are not people and are never listed."""
    invitations, project_invitees = _organization_invitees(organization)
    return _organization_members(organization.pk), invitations(), project_invitees()


def _organization_members(organization_id):
    return (
        OrganizationMembership.objects.filter(organization_id=organization_id, user__is_service_account=False)
        .select_related("user")
        .order_by("user__email")
    )


# The members' page of the unfiltered list, compiled once per process (accessportal.prepared).
_MEMBERS_BY_EMAIL = PreparedLookup(_organization_members, kinds=(int,))


def organization_users_built_later(organization):
    """``organization_users``' three lists for the unfiltered list: the members read by windows of a query
    compiled once, the invitations as functions that build each queryset when it is asked for (a page among
    the members, their counts known, never builds the invitations' subqueries)."""
    return (_MEMBERS_BY_EMAIL.bound(organization.pk), *_organization_invitees(organization))


def _organization_invitees(organization):
    """Functions building the querysets of (invitations to the organization, people invited only to its
    projects)."""
    scope = Q(organization=organization, project__isnull=True)

    def joined():
        return OrganizationMembership.objects.filter(organization=organization, user__email=OuterRef("email"))

    def invitations():
        return _invitations_listed(scope, joined())

    def project_invitees():
        invited_to_organization = Invitation.objects.filter(
            scope, email=OuterRef("email"), status__in=[Invitation.Status.PENDING, Invitation.Status.EXPIRED]
        )
        return _invitations_listed(Q(organization=organization, project__isnull=False), joined()).exclude(
            Exists(invited_to_organization)
        )

    return invitations, project_invitees


def project_users(project):
    """(members, invitations) of a project: its individual members (ORG_OWNERs reach it by inheritance and are
    not listed, as in Atlas) and the invitations to it."""
    members = selectors.project_members(project).filter(user__is_service_account=False)
    joined = ProjectMembership.objects.filter(project=project, user__email=OuterRef("email"))
    return members, _invitations_listed(Q(project=project), joined)


class UserFilters(QueryParameters):
    """Atlas's filters of a users list."""

    username = TextParameter(help_text="only the user with this email address")
    orgMembershipStatus = ChoiceParameter(MEMBERSHIP_STATUSES, help_text="only these")


def with_filters(filters, members, *invitation_lists):
    """Atlas's ``username`` and ``orgMembershipStatus`` filters (read by ``UserFilters``), over the members and
    each list of invited people."""
    return members_filtered(filters, members), *(
        invitations_filtered(filters, invitations) for invitations in invitation_lists
    )


def members_filtered(filters, members):
    if filters["username"]:
        members = members.filter(user__email__iexact=filters["username"])
    status = filters["orgMembershipStatus"]
    if status and status != ACTIVE:
        members = members.none()
    return members


def invitations_filtered(filters, invitations):
    if filters["username"]:
        invitations = invitations.filter(email__iexact=filters["username"])
    status = filters["orgMembershipStatus"]
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
    fixed number of queries whatever the sizes. A part may be given as a function that builds its queryset:
    it is called when the part is counted or read."""

    def __init__(self, *parts, sizes: list[int] | None = None):
        self._parts = list(parts)
        self._counts = sizes

    def part(self, index):
        if callable(self._parts[index]):
            self._parts[index] = self._parts[index]()
        return self._parts[index]

    def sizes(self) -> list[int]:
        if self._counts is None:
            self._counts = [self.part(index).count() for index in range(len(self._parts))]
        return self._counts

    def count(self) -> int:
        return sum(self.sizes())

    def __getitem__(self, window: slice) -> list:
        start, stop = window.start or 0, window.stop
        rows, offset = [], 0
        for index, size in enumerate(self.sizes()):
            if start < offset + size and stop > offset:
                rows += list(self.part(index)[max(start - offset, 0) : min(stop, offset + size) - offset])
            offset += size
        return rows


PEOPLE_COUNTS_SECONDS = 24 * 3600
USERS_PAGE_SECONDS = 10 * 60
_PEOPLE_VERSION = PreparedRows(
    lambda organization_id: PeopleVersion.objects.filter(organization_id=organization_id).values_list(
        "version", "content"
    ),
    kinds=(int,),
)
# The ids of the organization's projects a usual actor may see, in order: what a users page shows of the
# projects its members hold depends on the caller through these alone.
_VISIBLE_PROJECT_IDS = PreparedRows(
    lambda organization_id, actor_id: held_by_user_id(
        actor_id, roles.VIEW_PROJECT, Project.objects.filter(organization_id=organization_id)
    )
    .order_by("pk")
    .values_list("pk"),
    kinds=(int, int),
)


def people_versions(organization) -> tuple[int, int]:
    """The organization's (version, content) of ``PeopleVersion``: (0, 0) before its first change."""
    found = _PEOPLE_VERSION.rows(organization.pk)
    return found[0] if found else (0, 0)


def organization_users_counted(organization, parts, version: int | None = None) -> Concatenation:
    """The unfiltered ``organization_users`` as one list, its parts' sizes counted once for each version of the
    organization's people (``PeopleVersion``, which database triggers bump on every change that could alter
    them) and read from the cache until the next change. Counting 10,000 invitations (each the newest of its
    address, of no member) was most of a users page's database time. The sizes do not depend on the actor nor
    on the time (PENDING and EXPIRED are both listed), so one entry serves every reader of the version.
    ``parts``: the querysets, or functions that build them (``organization_users_built_later``); ``version``:
    the version, when the caller has read it."""
    if version is None:
        version = people_versions(organization)[0]
    key = f"accessportal:people-counts:{organization.public_id}:{version}"
    sizes = cache.get(key)
    if sizes is not None and len(sizes) == len(parts):
        return Concatenation(*parts, sizes=sizes)
    people = Concatenation(*parts)
    cache.set(key, people.sizes(), PEOPLE_COUNTS_SECONDS)
    return people


def users_page_cached(request, organization, build: Callable[[int | None], Response]) -> Response:
    """A page of the unfiltered users list as ``build(version)`` answers it, kept in the cache until the
    organization's people change (``PeopleVersion``: the version and content numbers, bumped by database
    triggers on every write that could change what the list shows), for at most ``USERS_PAGE_SECONDS``, and
    never past the moment a PENDING invitation on it expires (it would show EXPIRED): the entry holds that
    moment, checked on the portal's clock. What a page shows of the caller is which projects they may see: the
    key holds a digest of those projects' ids (read in one query), so callers who see the same projects share
    the page and a change of the caller's permissions is a new key. The key holds the whole address too (the
    links name it). A caller who is not a usual actor (a superuser, an inactive account) is answered afresh.
    ``build`` gets the version, to count under it."""
    actor = request.user
    if not selectors.usual_actor(actor):
        return build(None)
    version, content = people_versions(organization)
    visible = array("q", [pk for (pk,) in _VISIBLE_PROJECT_IDS.rows(organization.pk, actor.pk)])
    digest = hashlib.blake2b(visible.tobytes(), digest_size=16)
    digest.update(request.build_absolute_uri().encode())
    key = f"accessportal:users-page:{organization.public_id}:{version}:{content}:{digest.hexdigest()}"
    now = timezone.now()
    kept = cache.get(key)
    if kept is not None and now < kept[0]:
        return Response(RenderedJSON(kept[1]))
    response = build(version)
    until = now + timedelta(seconds=USERS_PAGE_SECONDS)
    for person in response.data["results"]:
        if person["orgMembershipStatus"] == PENDING:
            until = min(until, datetime.fromisoformat(person["invitationExpiresAt"]))
    if until > now:
        # Kept as the JSON it is sent as: unpickling a page of a hundred people (a member holding 500
        # projects) took 2.4 ms, three times parsing its JSON, and it was then rendered again.
        cache.set(key, (until, rendered(response.data).content), max(1, int((until - now).total_seconds())))
    return response


def visible_among(actor, organization, project_ids) -> set[str]:
    """Which of these projects (public ids) ``actor`` may see: one query, none for no project."""
    if not project_ids:
        return set()
    return set(
        selectors.projects_for_user(actor, organization=organization)
        .filter(public_id__in=project_ids)
        .values_list("public_id", flat=True)
    )


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
    groupId = serializers.CharField()
    groupRoles = serializers.ListField(child=serializers.CharField())


class OrgUserRolesSerializer(serializers.Serializer):
    orgRoles = serializers.ListField(child=serializers.CharField(), source="org_roles")
    groupRoleAssignments = OrgUserGroupRoleAssignmentSerializer(many=True, source="group_role_assignments")


class _PersonFields(_WithoutAbsent):
    id = serializers.CharField()
    username = serializers.CharField()
    firstName = serializers.CharField(source="first_name", required=False)
    lastName = serializers.CharField(source="last_name", required=False)
    orgMembershipStatus = serializers.ChoiceField(choices=[ACTIVE, PENDING, EXPIRED], source="status")
    createdAt = serializers.DateTimeField(source="created_at", required=False)
    invitationCreatedAt = serializers.DateTimeField(source="invitation_created_at", required=False)
    invitationExpiresAt = serializers.DateTimeField(source="invitation_expires_at", required=False)
    inviterUsername = serializers.CharField(source="inviter_username", required=False)
    # Ours (Atlas has none): the ESP reported that the invitation email bounced.
    invitationEmailBouncedAt = serializers.DateTimeField(source="invitation_email_bounced_at", required=False)


class OrgUserSerializer(_PersonFields):
    """Atlas's OrgUserResponse: ``id`` is the user's, or the invitation's while they are invited."""

    roles = OrgUserRolesSerializer(source="*")
    teamIds = serializers.ListField(child=serializers.CharField(), source="team_ids")


_DATETIME = serializers.DateTimeField()  # DRF's own formatting (ISO 8601 in the current time zone, "Z")


def when(value):
    """A date as DRF's DateTimeField writes it, or None."""
    return None if value is None else _DATETIME.to_representation(value)



def org_users_data(people, request) -> list[dict]:
    """``OrgUserSerializer(people, many=True).data``, written out: the same JSON (a test holds the two equal)
    for a fraction of the cost of DRF's field-by-field machinery, which dominated a 100-user page.

    Pages of it are kept until a trigger bumps ``PeopleVersion`` (``users_page_cached``): a column shown here
    that no trigger of migrations accounts 0024 and 0025 watches must get one, or kept pages show it stale
    (``tests/api/test_users_page_cache.py`` lists the changes it holds to be seen at once)."""
    base = request.build_absolute_uri("/api/atlas/v2/")
    results = []
    for person in people:
        data = {
            "links": [{"href": f"{base}{person.path}", "rel": "self"}],
            "id": person.id,
            "username": person.username,
            "firstName": person.first_name,
            "lastName": person.last_name,
            "orgMembershipStatus": person.status,
            "createdAt": when(person.created_at),
            "invitationCreatedAt": when(person.invitation_created_at),
            "invitationExpiresAt": when(person.invitation_expires_at),
            "inviterUsername": person.inviter_username,
            "invitationEmailBouncedAt": when(person.invitation_email_bounced_at),
            "roles": {
                "orgRoles": [str(name) for name in person.org_roles],
                "groupRoleAssignments": [
                    {"groupId": str(a["groupId"]), "groupRoles": [str(name) for name in a["groupRoles"]]}
                    for a in person.group_role_assignments
                ],
            },
            "teamIds": None if person.team_ids is None else [str(team) for team in person.team_ids],
        }
        results.append({key: value for key, value in data.items() if value is not None})
    return results


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
    groupId = serializers.CharField(max_length=24)
    groupRoles = project_role_names()


class OrgUserRolesInputSerializer(serializers.Serializer):
    orgRoles = org_role_names()
    groupRoleAssignments = GroupRoleAssignmentInputSerializer(many=True, required=False)


class OrgUserRolesUpdateSerializer(OrgUserRolesInputSerializer):
    orgRoles = org_role_names(required=False)


class AddOrRemoveOrgRoleSerializer(serializers.Serializer):
    orgRole = OrganizationRoleField()


class AddOrRemoveGroupRoleSerializer(serializers.Serializer):
    groupRole = ProjectRoleField()

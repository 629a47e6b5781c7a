"""Fetching an object is a permission check. Every reference to an object (in a path, a query or a body, on a
page or in the API) is read through one of the ``access_*`` functions here, and all of them through
``access_common``: so "missing or another tenant's → not found, seen but too weak → unauthorized" is written once.

A missing object and one the actor may not see get the same answer: the same code, message and parameters, and
the same work, because the lookup itself is scoped to what the actor may see (one query either way; the
permission of ``need`` is looked at only once the object is known to be visible).
"""

from contextlib import contextmanager

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet

from accessportal.prepared import PreparedLookup
from accounts import roles
from accounts.errors import ServiceError, not_found
from accounts.models import (
    ApiKey,
    Cluster,
    Invitation,
    JoinRequest,
    Organization,
    OrganizationMembership,
    Project,
    Team,
    team_name_key,
)
from accounts.permissions import actor_may, held_by_user_id, objects_held, permission_refusal_log


def access_common(
    *, actor, visible: QuerySet, kind: str, identifier, need=None, permission_target=None, missing=None
):
    """The one way an object named by an outsider's reference is fetched.

    ``visible`` is already narrowed to the reference and to what ``actor`` may see; no row means "not found",
    whether the object is missing or belongs to someone the actor may not see. Then, when ``need`` is given,
    the actor must hold it on ``permission_target(obj)`` (the object itself by default), or the answer is
    USER_UNAUTHORIZED: the actor already knows the object exists, so saying so leaks nothing. ``missing`` makes
    the "not found" error where Atlas has a code of its own for the kind (API_KEY_NOT_FOUND)."""
    obj = visible.first()
    if obj is None:
        permission_refusal_log(
            actor=actor, code="RESOURCE_NOT_FOUND", kind=kind, object_id=identifier, permission=need or ""
        )
        raise missing() if missing else not_found(kind, identifier)
    if need is not None:
        target = permission_target(obj) if permission_target else obj
        if not actor_may(actor, need, target):
            permission_refusal_log(
                actor=actor, code="USER_UNAUTHORIZED", kind=kind, object_id=identifier, permission=need
            )
            raise ServiceError(
                "USER_UNAUTHORIZED",
                f"You do not have the permission to do this on {kind} {identifier}.",
                permission=need,
            )
    return obj


@contextmanager
def body_reference(field: str, *, code: str = "VALIDATION_ERROR", message: str | None = None):
    """Around an ``access_*`` call for a reference in a request body or a form: naming nothing the actor may see
    is a 400 on ``field`` (the address itself was fine), in the same words for a missing object and another
    tenant's."""
    try:
        yield
    except ServiceError as error:
        if error.code != "RESOURCE_NOT_FOUND":
            raise
        raise ServiceError(code, message or error.message, field=field) from None


# ---- what an actor may see ------------------------------------------------------------------------------------
# ``actor`` None is the system itself (commands, tasks): it sees everything. An inactive actor sees nothing.


def visible_organizations(actor, queryset=None) -> QuerySet:
    """The organizations ``actor`` may read (VIEW_ORGANIZATION: its members, and staff given the model-wide
    permission)."""
    return _visible(
        actor, roles.VIEW_ORGANIZATION, Organization.objects.all() if queryset is None else queryset
    )


def visible_projects(actor, queryset=None) -> QuerySet:
    """The projects ``actor`` may read: its own, its teams', and those its organization roles reach."""
    queryset = Project.objects.select_related("organization") if queryset is None else queryset
    return _visible(actor, roles.VIEW_PROJECT, queryset)


def _visible(actor, permission: str, queryset: QuerySet) -> QuerySet:
    """The rows of ``queryset`` on which ``actor`` holds ``permission`` (guardian's object permissions, or the
    model-wide one); all of them for the system (None), none for an inactive actor."""
    if actor is None:
        return queryset
    if not actor.is_active:
        return queryset.none()
    return objects_held(actor, permission, queryset)


def visible_people(actor, queryset=None) -> QuerySet:
    """People (never an API key's account) ``actor`` may know of: itself, and the members of the organizations
    it may read."""
    User = get_user_model()
    queryset = User.objects.all() if queryset is None else queryset
    queryset = queryset.filter(is_service_account=False)
    if actor is None:
        return queryset
    if not actor.is_active:
        return queryset.none()
    shares = Exists(
        OrganizationMembership.objects.filter(
            user=OuterRef("pk"), organization__in=visible_organizations(actor).values("pk")
        )
    )
    return queryset.filter(shares | Q(pk=actor.pk))


# ---- organizations and projects -------------------------------------------------------------------------------


# The organization or project a request names, with the caller's permission to see it, is asked on almost every
# API request: for the usual caller (an active user, no superuser) its query is compiled once per process.
_VISIBLE_ORGANIZATION = PreparedLookup(
    lambda public_id, user_id: held_by_user_id(
        user_id, roles.VIEW_ORGANIZATION, Organization.objects.filter(public_id=public_id)
    ),
    kinds=(str, int),
)
_VISIBLE_PROJECT = PreparedLookup(
    lambda public_id, user_id: held_by_user_id(
        user_id,
        roles.VIEW_PROJECT,
        Project.objects.select_related("organization").filter(public_id=public_id),
    ),
    kinds=(str, int),
)
_VISIBLE_PROJECT_OF = PreparedLookup(
    lambda public_id, organization_id, user_id: held_by_user_id(
        user_id,
        roles.VIEW_PROJECT,
        Project.objects.select_related("organization").filter(
            public_id=public_id, organization_id=organization_id
        ),
    ),
    kinds=(str, int, int),
)


def usual_actor(actor) -> bool:
    """An actor whose visibility is its permissions alone (not the system, not inactive, not a superuser)."""
    return actor is not None and actor.is_active and not actor.is_superuser


def access_organization(*, actor, organization_id, need=roles.VIEW_ORGANIZATION) -> Organization:
    return access_common(
        actor=actor,
        visible=(
            _VISIBLE_ORGANIZATION.bound(organization_id, actor.pk)
            if usual_actor(actor)
            else visible_organizations(actor).filter(public_id=organization_id)
        ),
        kind="organization",
        identifier=organization_id,
        # Being visible is holding VIEW_ORGANIZATION (the same permissions, asked the same way): asked again
        # only for more.
        need=None if need == roles.VIEW_ORGANIZATION else need,
    )


def access_project(*, actor, project_id, need=roles.VIEW_PROJECT, organization=None) -> Project:
    """A project the actor may read (and ``need``); with ``organization``, only one of that organization."""
    if usual_actor(actor):
        visible = (
            _VISIBLE_PROJECT.bound(project_id, actor.pk)
            if organization is None
            else _VISIBLE_PROJECT_OF.bound(project_id, organization.pk, actor.pk)
        )
    else:
        projects = Project.objects.select_related("organization").filter(public_id=project_id)
        if organization is not None:
            projects = projects.filter(organization=organization)
        visible = visible_projects(actor, projects)
    return access_common(
        actor=actor,
        visible=visible,
        kind="project",
        identifier=project_id,
        need=None if need == roles.VIEW_PROJECT else need,  # visible is VIEW_PROJECT already
    )


def join_request_label(actor, project) -> str:
    """How a project a person asked to join is named to them: its name if they may read its organization,
    otherwise only the id they gave."""
    if actor_may(actor, roles.VIEW_ORGANIZATION, project.organization):
        return project.name
    return f"project {project.public_id}"


def access_cluster(*, actor, project, name, need=roles.VIEW_PROJECT) -> Cluster:
    """A cluster of ``project`` (itself fetched through ``access_project``); ``need`` is held on the project."""
    clusters = Cluster.objects.select_related("project__organization").filter(
        project__in=visible_projects(actor, Project.objects.filter(pk=project.pk)).values("pk"), name=name
    )
    return access_common(
        actor=actor,
        visible=clusters,
        kind="cluster",
        identifier=name,
        need=need,
        permission_target=lambda cluster: cluster.project,
    )


# ---- what belongs to an organization --------------------------------------------------------------------------


def _of_visible_organization(actor, queryset, organization):
    if organization is not None:
        queryset = queryset.filter(organization=organization)
    return queryset.filter(organization__in=visible_organizations(actor).values("pk"))


def access_team(*, actor, team_id, organization=None, need=roles.VIEW_ORGANIZATION) -> Team:
    """A team of an organization the actor may read (of ``organization`` when given); ``need`` is held on
    the team's organization."""
    teams = Team.objects.select_related("organization").filter(public_id=team_id)
    return access_common(
        actor=actor,
        visible=_of_visible_organization(actor, teams, organization),
        kind="team",
        identifier=team_id,
        need=need,
        permission_target=lambda team: team.organization,
    )


def access_team_by_name(*, actor, organization, name, need=roles.VIEW_ORGANIZATION) -> Team:
    """A team of ``organization`` by its name, compared as the unique constraint compares it (case-folded)."""
    teams = Team.objects.select_related("organization").filter(name_key=team_name_key(name or ""))
    return access_common(
        actor=actor,
        visible=_of_visible_organization(actor, teams, organization),
        kind="team",
        identifier=name,
        need=need,
        permission_target=lambda team: team.organization,
    )


def access_api_key(*, actor, api_key_id, organization, need=None) -> ApiKey:
    """One of ``organization``'s API keys by its id; ``need`` is held on the organization. Atlas's own code
    for a key that is not there, whether missing or another organization's."""
    keys = ApiKey.objects.select_related("user", "organization").filter(public_id=api_key_id)
    return access_common(
        actor=actor,
        visible=_of_visible_organization(actor, keys, organization),
        kind="API key",
        identifier=api_key_id,
        need=need,
        permission_target=lambda key: key.organization,
        missing=lambda: ServiceError(
            "API_KEY_NOT_FOUND",
            f"No API key with ID {api_key_id} exists in organization {organization.public_id}.",
            id=api_key_id,
        ),
    )


# ---- people ---------------------------------------------------------------------------------------------------


def _person_lookup(user_id, email) -> Q:
    if (user_id is None) == (email is None):
        raise ValueError("give exactly one of user_id and email")
    if user_id is not None:
        return Q(public_id=str(user_id).strip().lower())
    return Q(email__iexact=str(email).strip())


def access_person(*, actor, user_id=None, email=None, queryset=None):
    """A person the actor may know of (itself, or a member of an organization it may read), by id or email;
    ``queryset`` may add what the caller reads of them (prefetches)."""
    people = visible_people(actor, queryset).filter(_person_lookup(user_id, email))
    return access_common(actor=actor, visible=people, kind="user", identifier=user_id or email)


def access_member(*, actor, organization, user_id=None, email=None, need=roles.VIEW_ORGANIZATION):
    """A person who is a member of ``organization`` (which the actor reached through ``access_organization``),
    by id or email. Anyone else (missing, of another organization, an API key's account) is "not found" in
    the same words, so a reference in a request body reveals nothing of accounts elsewhere."""
    people = visible_people(actor).filter(
        _person_lookup(user_id, email),
        organization_memberships__organization__in=visible_organizations(
            actor, Organization.objects.filter(pk=organization.pk)
        ).values("pk"),
    )
    return access_common(
        actor=actor,
        visible=people,
        kind="user",
        identifier=user_id or email,
        need=need,
        permission_target=lambda _user: organization,
    )


def access_colleague(*, actor, user_id, need=roles.MANAGE_ORGANIZATION_MEMBERS):
    """A person the actor may hand something to by id (e.g. a new organization's owner): itself, or a member of
    an organization in which the actor holds ``need`` (as Atlas asks that ``orgOwnerId`` be a member of the
    calling key's organization)."""
    people = get_user_model().objects.filter(_person_lookup(user_id, None), is_service_account=False)
    if actor is not None:
        managed = visible_organizations(actor).filter(pk__in=_organizations_where(actor, need))
        people = people.filter(
            Q(pk=actor.pk) | Q(organization_memberships__organization__in=managed.values("pk"))
        ).distinct()
    return access_common(actor=actor, visible=people, kind="user", identifier=user_id)


def _organizations_where(actor, permission):
    if not actor.is_active:
        return Organization.objects.none().values("pk")
    return objects_held(actor, permission, Organization.objects.all()).values("pk")


# ---- invitations and requests ---------------------------------------------------------------------------------


def access_invitation(*, actor, invitation_id, need=None) -> Invitation:
    """An invitation to an organization the actor may read, or to a project it may read. ``need`` is held on
    that organization or project."""
    invitations = Invitation.objects.select_related("organization", "project__organization").filter(
        Q(project__isnull=True, organization__in=visible_organizations(actor).values("pk"))
        | Q(project__in=visible_projects(actor, Project.objects.all()).values("pk")),
        public_id=invitation_id,
    )
    return access_common(
        actor=actor,
        visible=invitations,
        kind="invitation",
        identifier=invitation_id,
        need=need,
        permission_target=lambda invitation: invitation.project or invitation.organization,
    )


def access_join_request(*, actor, request_id, need=roles.MANAGE_PROJECT_MEMBERS) -> JoinRequest:
    """A request to join a project the actor may read; deciding it needs ``need`` on the project."""
    requests = JoinRequest.objects.select_related("project__organization", "user").filter(
        public_id=request_id, project__in=visible_projects(actor, Project.objects.all()).values("pk")
    )
    return access_common(
        actor=actor,
        visible=requests,
        kind="request",
        identifier=request_id,
        need=need,
        permission_target=lambda join_request: join_request.project,
    )


def access_organization_project(*, actor, organization, project_id) -> Project:
    """A project of ``organization`` (which the actor reached through ``access_organization``) by its id,
    whether or not the actor reaches the project itself: what a member of the organization may ask to join.
    A project of another organization is "not found", exactly like a missing one."""
    projects = Project.objects.select_related("organization").filter(
        public_id=project_id,
        organization__in=visible_organizations(actor, Organization.objects.filter(pk=organization.pk)).values(
            "pk"
        ),
    )
    return access_common(actor=actor, visible=projects, kind="project", identifier=project_id)

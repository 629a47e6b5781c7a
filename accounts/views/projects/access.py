"""A project's Access tab: its users with their effective roles and where each comes from, its teams, its API
keys, pending invitations and requests to join; add people, change or remove a direct member, add a team, change
or remove it, approve or deny a request (resending and revoking an invitation are the Users tab's
``invitation_action``). Every change is a service call; every destructive one asks first (``confirm_page``)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts import roles, selectors
from accounts.errors import ServiceError
from accounts.models import Invitation, JoinRequest, ProjectMembership, TeamProjectAssignment
from accounts.permissions import actor_may, require
from accounts.selectors import reach
from accounts.services import join_requests as join_request_services
from accounts.services import (
    project_member_remove,
    project_member_roles_set,
    project_users_add,
    team_project_assign,
    team_project_roles_set,
    team_project_unassign,
)

from ..pages import confirm_page, paginate, render_page, search_term
from .forms import ProjectUsersAddForm, RolesForm, TeamAddForm


def _access_url(project, anchor=""):
    url = reverse("accounts:project_access", kwargs={"project_id": project.public_id})
    return f"{url}#{anchor}" if anchor else url


def _may_manage(request, project) -> bool:
    return actor_may(request.user, roles.MANAGE_PROJECT_MEMBERS, project)


def _project_api_keys_url(project):
    """The project's API keys page, once it exists (another part of the pages builds it)."""
    try:
        return reverse("accounts:project_api_keys", kwargs={"project_id": project.public_id})
    except NoReverseMatch:
        return None


@login_required
def project_access(request, project_id):
    """Users (everyone who reaches the project, with each grant: direct, via a team, from an organization role),
    then pending invitations ("Pending User", "--invite sent--"), then requests to join, as Cloud Manager orders
    them; the project's teams and API keys. Each list is paged (50) at a constant number of queries. Project
    Owners and User Admins add people here (POST)."""
    project = selectors.access_project(actor=request.user, project_id=project_id)
    may_manage = _may_manage(request, project)
    add_form = ProjectUsersAddForm(auto_id="id_add_%s")
    if request.method == "POST":
        if not may_manage:
            require(request.user, roles.MANAGE_PROJECT_MEMBERS, project)
        add_form = ProjectUsersAddForm(request.POST, auto_id="id_add_%s")
        if add_form.is_valid():
            try:
                added, invited = project_users_add(
                    project=project,
                    emails=add_form.cleaned_data["emails"],
                    roles=add_form.roles_or_default(),
                    actor=request.user,
                )
            except ServiceError as error:
                field = "roles" if error.code in ("INVALID_ROLE", "ROLE_ESCALATION") else "emails"
                add_form.add_error(field, error.message)
            else:
                if added:
                    names = ", ".join(m.user.email for m in added)
                    messages.success(request, f"Added to {project.name}: {names}.")
                if invited:
                    messages.success(request, f"Invitation sent to {', '.join(i.email for i in invited)}.")
                return redirect(_access_url(project))
    return render_page(
        request,
        "accounts/project_access.html",
        _access_context(request, project, may_manage, add_form),
        project=project,
        tab="access",
    )


def _access_context(request, project, may_manage, add_form) -> dict:
    term = search_term(request)
    people = reach.people_reaching_project(project)
    if term:
        people = people.filter(
            Q(email__icontains=term) | Q(first_name__icontains=term) | Q(last_name__icontains=term)
        )
    users_page = paginate(request, people)
    users = reach.project_reach(project, users_page.object_list)
    for row in users:
        row.form = RolesForm(initial={"roles": row.direct_roles}, auto_id=f"id_user_{row.user.public_id}_%s")

    assignments = (
        TeamProjectAssignment.objects.filter(project=project)
        .select_related("team")
        .prefetch_related("roles")
        .order_by("team__name", "pk")
    )
    teams_page = paginate(request, assignments, param="teams_page")
    for assignment in teams_page.object_list:
        assignment.form = RolesForm(
            initial={"roles": assignment.role_names}, auto_id=f"id_team_{assignment.team.public_id}_%s"
        )
    team_form = None
    if may_manage:
        unassigned = project.organization.teams.exclude(project_assignments__project=project).order_by("name")
        team_form = TeamAddForm(
            teams=list(unassigned.values_list("public_id", "name")), auto_id="id_team_add_%s"
        )

    keys = (
        ProjectMembership.objects.filter(project=project, user__api_key__isnull=False)  # not service accounts
        .select_related("user__api_key")
        .prefetch_related("roles")
        .order_by("user__api_key__public_key", "pk")
    )
    invitations = Invitation.objects.filter(
        project=project, status=Invitation.Status.PENDING, expires_at__gt=timezone.now()
    ).order_by("email", "pk")
    requests = (
        JoinRequest.objects.filter(project=project, status=JoinRequest.Status.PENDING)
        .select_related("user")
        .order_by("created_at", "pk")
    )
    return {
        "project": project,
        "may_manage": may_manage,
        "project_role_choices": roles.PROJECT_ROLE_CHOICES,
        "default_project_role": roles.DEFAULT_PROJECT_ROLE,
        "term": term,
        "users_page": users_page,
        "users": users,
        "owner_ids": reach.project_owner_ids(project),
        "teams_page": teams_page,
        "team_form": team_form,
        "keys_page": paginate(request, keys, param="keys_page"),
        "api_keys_url": _project_api_keys_url(project),
        "invitations_page": paginate(request, invitations, param="invitations_page"),
        "requests_page": paginate(request, requests, param="requests_page"),
        "add_form": add_form,
    }


# ---- direct members ---------------------------------------------------------------------------------------------


def _project_and_member(request, project_id, user_id):
    project = selectors.access_project(actor=request.user, project_id=project_id)
    user = selectors.access_member(actor=request.user, organization=project.organization, user_id=user_id)
    return project, user


@login_required
@require_POST
def project_user_roles(request, project_id, user_id):
    """Replace a direct member's project roles (at least one; the only Project Owner keeps Project Owner)."""
    project, user = _project_and_member(request, project_id, user_id)
    form = RolesForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Pick at least one project role for {user.email}.")
        return redirect(_access_url(project, f"user-{user.public_id}"))
    try:
        project_member_roles_set(
            project=project, user=user, roles=form.cleaned_data["roles"], actor=request.user
        )
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        labels = ", ".join(roles.label(name) for name in form.cleaned_data["roles"])
        messages.success(request, f"{user.email} now holds {labels} directly in {project.name}.")
    return redirect(_access_url(project, f"user-{user.public_id}"))


@login_required
def project_user_remove(request, project_id, user_id):
    """Remove a person's direct roles on the project, after a confirmation; what teams and organization roles
    give them stays, and the page says so. A member may also leave by themself."""
    project, user = _project_and_member(request, project_id, user_id)
    leaving = user.pk == request.user.pk
    if request.method == "POST":
        try:
            project_member_remove(project=project, user=user, actor=request.user)
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            done = (
                f"You left {project.name}." if leaving else f"{user.email} was removed from {project.name}."
            )
            messages.success(request, done)
        if leaving and not actor_may(request.user, roles.VIEW_PROJECT, project):
            return redirect("accounts:organization_projects", org_id=project.organization.public_id)
        return redirect(_access_url(project))
    if not leaving:
        require(request.user, roles.MANAGE_PROJECT_MEMBERS, project)
    (row,) = reach.project_reach(project, [user])
    if not row.direct_roles:
        raise ServiceError(
            "USER_NOT_IN_GROUP",
            f"{user.email} has no direct roles in project {project.name}.",
            username=user.email,
        )
    others = [
        f"{', '.join(map(roles.label, g.roles))} ({g.reason})" for g in row.grants if g.source != reach.DIRECT
    ]
    warnings = []
    if reach.project_owner_ids(project) == {user.pk}:
        warnings.append(
            f"{user.email} is the only Project Owner of {project.name}: make someone else Project Owner first, "
            "or removing them will be refused."
        )
    if leaving:
        title, intro, button = (
            f"Leave {project.name}?",
            "You lose the roles given to you directly:",
            "Leave project",
        )
        keep = "You keep what other grants give you"
    else:
        title, intro = (
            f"Remove {user.email} from {project.name}?",
            "They lose the roles given to them directly:",
        )
        button, keep = "Remove from project", "They keep what other grants give them"
    return confirm_page(
        request,
        title=title,
        intro=intro,
        items=[roles.label(name) for name in row.direct_roles],
        warnings=warnings + ([f"{keep}: {'; '.join(others)}."] if others else []),
        button=button,
        cancel_url=_access_url(project),
        project=project,
        tab="access",
    )


# ---- teams ------------------------------------------------------------------------------------------------------


@login_required
@require_POST
def project_team_add(request, project_id):
    """Give one of the organization's teams project roles here (the default when none is picked)."""
    project = selectors.access_project(actor=request.user, project_id=project_id)
    unassigned = project.organization.teams.exclude(project_assignments__project=project)
    form = TeamAddForm(request.POST, teams=list(unassigned.values_list("public_id", "name")))
    if not form.is_valid():
        problems = "; ".join(" ".join(errors) for errors in form.errors.values())
        messages.error(request, f"The team was not added: {problems}")
        return redirect(_access_url(project, "teams"))
    team = selectors.access_team(
        actor=request.user, team_id=form.cleaned_data["team"], organization=project.organization
    )
    try:
        team_project_assign(team=team, project=project, roles=form.roles_or_default(), actor=request.user)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Team {team.name} was added to {project.name}.")
    return redirect(_access_url(project, "teams"))


def _project_and_team(request, project_id, team_id):
    project = selectors.access_project(actor=request.user, project_id=project_id)
    team = selectors.access_team(actor=request.user, team_id=team_id, organization=project.organization)
    return project, team


@login_required
@require_POST
def project_team_roles(request, project_id, team_id):
    project, team = _project_and_team(request, project_id, team_id)
    form = RolesForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Pick at least one project role for team {team.name}.")
        return redirect(_access_url(project, "teams"))
    try:
        team_project_roles_set(
            team=team, project=project, roles=form.cleaned_data["roles"], actor=request.user
        )
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        labels = ", ".join(roles.label(name) for name in form.cleaned_data["roles"])
        messages.success(request, f"Team {team.name} now gives {labels} in {project.name}.")
    return redirect(_access_url(project, "teams"))


@login_required
def project_team_remove(request, project_id, team_id):
    """Take a team off the project, after a confirmation naming the access its members lose."""
    project, team = _project_and_team(request, project_id, team_id)
    if request.method == "POST":
        try:
            team_project_unassign(team=team, project=project, actor=request.user)
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"Team {team.name} was removed from {project.name}.")
        return redirect(_access_url(project, "teams"))
    require(request.user, roles.MANAGE_PROJECT_MEMBERS, project)
    assignment = (
        TeamProjectAssignment.objects.filter(team=team, project=project).prefetch_related("roles").first()
    )
    if assignment is None:
        raise ServiceError(
            "TEAM_NOT_IN_GROUP",
            f"Team {team.name} is not assigned to project {project.name}.",
            team=team.name,
        )
    members = team.memberships.count()
    return confirm_page(
        request,
        title=f"Remove team {team.name} from {project.name}?",
        intro=f"Its {members} member{'s' if members != 1 else ''} lose the roles the team gives here "
        "(what they hold directly or through another team stays):",
        items=[roles.label(name) for name in assignment.role_names],
        button="Remove team",
        cancel_url=_access_url(project, "teams"),
        project=project,
        tab="access",
    )


# ---- invitations and requests to join ---------------------------------------------------------------------------


@login_required
def join_request_action(request, request_id, action):
    """Approve a request to join (the person joins with the role picked beside Approve, Project Read Only by
    default), or deny it after a confirmation."""
    if action not in ("approve", "deny"):
        raise Http404("No such action.")
    join_request = selectors.access_join_request(actor=request.user, request_id=request_id, need=None)
    project = join_request.project
    if request.method != "POST":
        if action == "approve":
            return redirect(_access_url(project, "requests"))
        require(request.user, roles.MANAGE_PROJECT_MEMBERS, project)
        return confirm_page(
            request,
            title=f"Deny {join_request.user.email}'s request to join {project.name}?",
            intro="They are emailed that their request was denied.",
            items=[f"Their message: {join_request.message}"] if join_request.message else [],
            button="Deny request",
            cancel_url=_access_url(project, "requests"),
            project=project,
            tab="access",
        )
    service = {
        "approve": join_request_services.join_request_approve,
        "deny": join_request_services.join_request_deny,
    }[action]
    chosen = request.POST.getlist("roles") or [roles.DEFAULT_PROJECT_ROLE]
    extra = {"roles": chosen} if action == "approve" else {}
    try:
        service(join_request=join_request, actor=request.user, **extra)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        if action == "approve":
            given = ", ".join(roles.label(name) for name in chosen)
            messages.success(request, f"{join_request.user.email} joined {project.name} as {given}.")
        else:
            messages.success(request, f"{join_request.user.email}'s request was denied.")
    return redirect(_access_url(project, "requests"))

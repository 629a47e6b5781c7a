"""The organization's Teams tab and a team's page: create, rename, members, projects and roles, delete.

Everyone who reads the organization sees its teams; Organization Owners (MANAGE_TEAMS) change them. Every change
is a service call (accounts.services.teams); members are named by email and fetched with ``access_member``, so an
address of another organization is refused in the same words as one that names nobody."""

import re

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import path, reverse

from .. import roles, selectors
from ..errors import ServiceError
from ..models import OrganizationMembership, TeamMembership, TeamProjectAssignment
from ..permissions import actor_may
from ..services import teams as team_services
from .pages import confirm_page, paginate, render_page, search_term

# The type-ahead offers at most this many members at a time (the datalist of the members field).
MEMBER_OPTIONS = 20
# At most this many addresses in one submission of the members field.
MEMBERS_PER_REQUEST = 50
MEMBER_OPTIONS_ID = "team-member-options"


class MembersField(forms.CharField):
    """Organization members by email, separated by commas, spaces or new lines; a type-ahead (an
    ``<input list>`` whose ``<datalist>`` htmx refills from ``team_member_options``) suggests them."""

    def to_python(self, value):
        emails = [e for e in re.split(r"[\s,;]+", super().to_python(value)) if e]
        if len(emails) > MEMBERS_PER_REQUEST:
            raise forms.ValidationError(
                f"At most {MEMBERS_PER_REQUEST} members at once; you gave {len(emails)}."
            )
        return list(dict.fromkeys(email.lower() for email in emails))


def _members_widget(organization):
    return forms.TextInput(
        attrs={
            "list": MEMBER_OPTIONS_ID,
            "autocomplete": "off",
            "hx-get": reverse("accounts:team_member_options", kwargs={"org_id": organization.public_id}),
            "hx-trigger": "input changed delay:250ms",
            "hx-target": f"#{MEMBER_OPTIONS_ID}",
            "hx-swap": "outerHTML",
        }
    )


class TeamForm(forms.Form):
    name = forms.CharField(label="Team name", max_length=64)
    members = MembersField(
        label="Members",
        required=False,
        help_text="Email addresses of members of the organization, separated by commas. Only people who have "
        "accepted their invitation can join a team.",
    )

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].widget = _members_widget(organization)


class RenameForm(forms.Form):
    name = forms.CharField(label="New name", max_length=64)


class AddMembersForm(forms.Form):
    members = MembersField(
        label="Email addresses", help_text="Members of the organization, separated by commas."
    )

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].widget = _members_widget(organization)


def _organization(request, org_id, need=roles.VIEW_ORGANIZATION):
    return selectors.access_organization(actor=request.user, organization_id=org_id, need=need)


def _team(request, organization, team_id, need=roles.VIEW_ORGANIZATION):
    return selectors.access_team(actor=request.user, team_id=team_id, organization=organization, need=need)


def _people(request, organization, emails):
    """The organization's members these addresses name: anyone else (of another organization, or nobody) is
    refused on the members field in the same words."""
    people = []
    for email in emails:
        with selectors.body_reference(
            "members", code="USER_NOT_IN_ORG", message=f"{email} is not a member of {organization.name}."
        ):
            people.append(selectors.access_member(actor=request.user, organization=organization, email=email))
    return people


def _field_of(error, form):
    """The form field a service's refusal is about (shown next to it), or None (above the form)."""
    if error.code.startswith(("USER_", "TEAM_MEMBER_")) or error.parameters.get("field") == "members":
        return "members" if "members" in form.fields else None
    field = error.parameters.get("field")
    if error.code in ("TEAM_NAME_TAKEN", "VALIDATION_ERROR") and field in (None, "name"):
        return "name" if "name" in form.fields else None
    return field if field in form.fields else None


def _member_options(organization, term="", limit=MEMBER_OPTIONS):
    """Up to ``limit`` accepted members of the organization (people, not API keys) whose email or name holds
    ``term``: one query."""
    members = OrganizationMembership.objects.filter(organization=organization, user__is_service_account=False)
    if term:
        members = members.filter(
            Q(user__email__icontains=term)
            | Q(user__first_name__icontains=term)
            | Q(user__last_name__icontains=term)
        )
    return [m.user for m in members.select_related("user").order_by("user__email")[:limit]]


def _options(people, head=""):
    """(value, person) pairs of the datalist: ``head`` is what the field holds before the address being typed."""
    return [(f"{head}{person.email}", person) for person in people]


# ---- the Teams tab ----------------------------------------------------------------------------------------------


@login_required
def organization_teams(request, org_id):
    """The organization's teams (search by name, pages of 50) with their member and project counts; owners
    create a team here, with members picked from the organization's accepted members."""
    organization = _organization(request, org_id)
    may_manage = actor_may(request.user, roles.MANAGE_TEAMS, organization)
    form = TeamForm(organization=organization, prefix="team")
    if request.method == "POST":
        organization = _organization(request, org_id, need=roles.MANAGE_TEAMS)
        form = TeamForm(request.POST, organization=organization, prefix="team")
        if form.is_valid():
            try:
                members = _people(request, organization, form.cleaned_data["members"])
                team = team_services.team_create(
                    organization=organization,
                    name=form.cleaned_data["name"],
                    members=members,
                    actor=request.user,
                )
            except ServiceError as error:
                form.add_error(_field_of(error, form), error.message)
            else:
                messages.success(request, f"The team {team.name} was created with {len(members)} member(s).")
                return redirect("accounts:team_detail", org_id=organization.public_id, team_id=team.public_id)
    term = search_term(request)
    teams = selectors.organization_teams(organization)
    if term:
        teams = teams.filter(name__icontains=term)
    return render_page(
        request,
        "accounts/teams.html",
        {
            "organization": organization,
            "page": paginate(request, teams),
            "term": term,
            "may_manage": may_manage,
            "form": form,
            "member_options": _options(_member_options(organization)) if may_manage else [],
            "member_options_id": MEMBER_OPTIONS_ID,
        },
        organization=organization,
        tab="teams",
        status=400 if form.errors else 200,
    )


@login_required
def team_member_options(request, org_id):
    """The type-ahead of a members field: a ``<datalist>`` of at most 20 members matching the last address being
    typed, each option the whole field's value with that address completed (so several can be picked)."""
    organization = _organization(request, org_id, need=roles.MANAGE_TEAMS)
    typed = "".join(
        ch for ch in request.GET.get("team-members", request.GET.get("add-members", "")) if ch.isprintable()
    )
    typed = typed[:2000]
    head, _, last = typed.rpartition(",")
    head = f"{head.strip()}, " if head.strip() else ""
    people = _member_options(organization, last.strip()[:100])
    return render(
        request,
        "accounts/teams_member_options.html",
        {"options": _options(people, head), "member_options_id": MEMBER_OPTIONS_ID},
    )


# ---- a team's page ------------------------------------------------------------------------------------------------


def _assignments(team, projects=None):
    """The team's projects with their roles (two queries); ``projects`` narrows them (to those the viewer may
    open)."""
    assignments = TeamProjectAssignment.objects.filter(team=team)
    if projects is not None:
        assignments = assignments.filter(project__in=projects.values("pk"))
    return assignments.select_related("project").prefetch_related("roles").order_by("project__name")


@login_required
def team_detail(request, org_id, team_id):
    """A team: its members (search, pages of 50) and the projects it gives with their roles; owners rename it
    and add members here (``action`` says which form was posted)."""
    organization = _organization(request, org_id)
    team = _team(request, organization, team_id)
    may_manage = actor_may(request.user, roles.MANAGE_TEAMS, organization)
    rename_form = RenameForm(prefix="rename", initial={"name": team.name})
    add_form = AddMembersForm(organization=organization, prefix="add")
    if request.method == "POST":
        team = _team(request, organization, team_id, need=roles.MANAGE_TEAMS)
        action = request.POST.get("action")
        try:
            if action == "rename":
                rename_form = RenameForm(request.POST, prefix="rename")
                if rename_form.is_valid():
                    old = team.name
                    team = team_services.team_rename(
                        team=team, name=rename_form.cleaned_data["name"], actor=request.user
                    )
                    messages.success(request, f"The team {old} is now named {team.name}.")
                    return redirect(
                        "accounts:team_detail", org_id=organization.public_id, team_id=team.public_id
                    )
            else:
                add_form = AddMembersForm(request.POST, organization=organization, prefix="add")
                if add_form.is_valid():
                    people = _people(request, organization, add_form.cleaned_data["members"])
                    team_services.team_members_add(team=team, users=people, actor=request.user)
                    messages.success(
                        request, f"{', '.join(p.email for p in people)} joined the team {team.name}."
                    )
                    return redirect(
                        "accounts:team_detail", org_id=organization.public_id, team_id=team.public_id
                    )
        except ServiceError as error:
            form = rename_form if action == "rename" else add_form
            form.add_error(_field_of(error, form), error.message)
    term = search_term(request)
    members = TeamMembership.objects.filter(team=team).select_related("user").order_by("user__email")
    if term:
        members = members.filter(
            Q(user__email__icontains=term)
            | Q(user__first_name__icontains=term)
            | Q(user__last_name__icontains=term)
        )
    visible = selectors.visible_projects(request.user, organization.projects.all())
    return render_page(
        request,
        "accounts/team_detail.html",
        {
            "organization": organization,
            "team": team,
            "page": paginate(request, members),
            "term": term,
            "assignments": _assignments(team, visible),
            "may_manage": may_manage,
            "rename_form": rename_form,
            "add_form": add_form,
            "member_options": _options(_member_options(organization)) if may_manage else [],
            "member_options_id": MEMBER_OPTIONS_ID,
        },
        organization=organization,
        tab="teams",
        crumbs=[(team.name, None)],
        status=400 if rename_form.errors or add_form.errors else 200,
    )


def _team_url(organization, team):
    return reverse(
        "accounts:team_detail", kwargs={"org_id": organization.public_id, "team_id": team.public_id}
    )


def _on_team(organization, team) -> dict:
    """Where a confirmation about ``team`` stands: the Teams tab, with the team's page to go back to."""
    return {"organization": organization, "tab": "teams", "back": (team.name, _team_url(organization, team))}


def _access_lines(assignments):
    return [f"{a.project.name}: {', '.join(roles.label(n) for n in a.role_names)}" for a in assignments]


@login_required
def team_member_remove(request, org_id, team_id, user_id):
    """Remove a member from a team after a confirmation naming the project access they lose with it (their
    own assignments to the same projects stay)."""
    organization = _organization(request, org_id, need=roles.MANAGE_TEAMS)
    team = _team(request, organization, team_id, need=roles.MANAGE_TEAMS)
    person = selectors.access_member(actor=request.user, organization=organization, user_id=user_id)
    if request.method == "POST":
        try:
            team_services.team_member_remove(team=team, user=person, actor=request.user)
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"{person.email} left the team {team.name}.")
        return redirect("accounts:team_detail", org_id=organization.public_id, team_id=team.public_id)
    lines = _access_lines(_assignments(team))
    return confirm_page(
        request,
        title=f"Remove {person.email} from the team {team.name}?",
        intro=(
            f"{person.email} loses the project access the team gives:"
            if lines
            else f"The team {team.name} gives no project access; {person.email} only leaves the team."
        ),
        items=lines,
        warnings=["Access given to them directly or by another team stays."] if lines else [],
        button="Remove from team",
        **_on_team(organization, team),
    )


@login_required
def team_delete(request, org_id, team_id):
    """Delete a team after a confirmation naming the project access that goes with it."""
    organization = _organization(request, org_id, need=roles.MANAGE_TEAMS)
    team = _team(request, organization, team_id, need=roles.MANAGE_TEAMS)
    if request.method == "POST":
        try:
            removed = team_services.team_delete(team=team, actor=request.user)
        except ServiceError as error:
            messages.error(request, error.message)
            return redirect("accounts:team_detail", org_id=organization.public_id, team_id=team.public_id)
        projects = ", ".join(sorted(removed["projects"])) or "no project"
        messages.success(
            request, f"The team {team.name} was deleted; the access it gave to {projects} is gone."
        )
        return redirect("accounts:organization_teams", org_id=organization.public_id)
    lines = _access_lines(_assignments(team))
    count = team.memberships.count()
    return confirm_page(
        request,
        title=f"Delete the team {team.name}?",
        intro=(
            f"Its {count} member(s) lose the project access the team gives:"
            if lines
            else f"The team gives no project access; its {count} member(s) only lose the team."
        ),
        items=lines,
        warnings=["Access given to the members directly or by another team stays."] if lines else [],
        button="Delete team",
        **_on_team(organization, team),
    )


urlpatterns = [
    path("orgs/<str:org_id>/teams/", organization_teams, name="organization_teams"),
    path("orgs/<str:org_id>/teams/member-options/", team_member_options, name="team_member_options"),
    path("orgs/<str:org_id>/teams/<str:team_id>/", team_detail, name="team_detail"),
    path(
        "orgs/<str:org_id>/teams/<str:team_id>/members/<str:user_id>/remove/",
        team_member_remove,
        name="team_member_remove",
    ),
    path("orgs/<str:org_id>/teams/<str:team_id>/delete/", team_delete, name="team_delete"),
]

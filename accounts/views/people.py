"""The organization's Users tab: its members, then everyone pending in the organization or any of its projects,
then requests to join; invite; a member's page (change their roles); remove a member; resend and revoke
invitations. Every change is a service call; every destructive one asks first (``confirm_page``)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme

from .. import roles, selectors, services
from ..errors import ServiceError
from ..forms import member_roles_form, organization_invite_form
from ..permissions import actor_may
from ..selectors import people as people_selectors
from ..services import invitations as invitation_services
from .pages import confirm_page, error_page, is_fragment_request, paginate, render_page, search_term

# Which field of the invite form a service's refusal is about (the rest goes above the form).
INVITE_REFUSAL_FIELDS = {
    "USER_ALREADY_IN_ORG": "emails",
    "INVALID_ROLE": "roles",
    "ROLE_ESCALATION": "roles",
    "TEAM_NOT_IN_ORG": "teams",
}


def _invite_refusal_field(error) -> str | None:
    if error.parameters.get("field") == "username":
        return "emails"
    return INVITE_REFUSAL_FIELDS.get(error.code)


def _safe_next(request, value):
    """``value`` when it is an address of this site (where to go back to), else None."""
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return None


@login_required
def organization_access(request, org_id):
    """The Users tab: the invite form (owners), then members, everyone pending, requests to join; each list
    searched by name or email with ``?q=`` and paged by 50 on its own (``?members=``, ``?pending=``,
    ``?requests=``). A constant number of queries whatever the sizes."""
    organization = selectors.access_organization(actor=request.user, organization_id=org_id)
    may_manage = actor_may(request.user, roles.MANAGE_ORGANIZATION_MEMBERS, organization)
    form = organization_invite_form(organization) if may_manage else None
    if request.method == "POST":
        if not may_manage:
            return error_page(request, status=403)
        form = organization_invite_form(organization, request.POST)
        if form.is_valid():
            try:
                invitations = invitation_services.organization_invitations_create(
                    organization=organization,
                    emails=form.cleaned_data["emails"],
                    roles=form.cleaned_data["roles"],
                    teams=form.cleaned_data["teams"],
                    actor=request.user,
                )
            except ServiceError as error:
                form.add_error(_invite_refusal_field(error), error.message)
            else:
                messages.success(request, f"Invitation sent to {', '.join(i.email for i in invitations)}.")
                return redirect("accounts:organization_access", org_id=organization.public_id)
    term = search_term(request)
    members = paginate(
        request, people_selectors.organization_people_members(organization, term), param="members"
    )
    pending = paginate(
        request,
        people_selectors.organization_pending_invitations(organization, request.user, term),
        param="pending",
    )
    requests = paginate(
        request,
        people_selectors.organization_join_requests(organization, request.user, term),
        param="requests",
    )
    return render_page(
        request,
        "accounts/organization_access.html",
        {
            "organization": organization,
            "may_manage": may_manage,
            "form": form,
            "term": term,
            "members": members,
            "member_rows": [
                (row, member_roles_form(row.user, initial=row.role_names))
                for row in people_selectors.member_rows(members.object_list, organization, request.user)
            ],
            "pending": pending,
            "pending_rows": people_selectors.pending_rows(pending.object_list, organization, request.user),
            "requests": requests,
        },
        organization=organization,
        tab="users",
    )


def _member(request, org_id, user_id):
    organization = selectors.access_organization(actor=request.user, organization_id=org_id)
    user = selectors.access_member(actor=request.user, organization=organization, user_id=user_id)
    return organization, user


def _users_tab(organization) -> str:
    return reverse("accounts:organization_access", kwargs={"org_id": organization.public_id})


@login_required
def organization_member(request, org_id, user_id):
    """A member's page: their organization roles (a form for those who manage members; a plain POST, also from
    the Users tab's rows), projects and teams. A refusal (the last Organization Owner, a role above the actor's
    own) shows next to the roles."""
    organization, user = _member(request, org_id, user_id)
    may_manage = actor_may(request.user, roles.MANAGE_ORGANIZATION_MEMBERS, organization)
    row = people_selectors.member_row(organization, user, request.user)
    form = member_roles_form(user, initial=row.role_names)
    if request.method == "POST":
        if not may_manage:
            return error_page(request, status=403)
        form = member_roles_form(user, request.POST, initial=row.role_names)
        if form.is_valid():
            try:
                services.organization_member_roles_set(
                    organization=organization, user=user, roles=form.cleaned_data["roles"], actor=request.user
                )
            except ServiceError as error:
                form.add_error("roles", error.message)
            else:
                messages.success(request, f"{user.email}'s roles were changed.")
                back = _safe_next(request, form.cleaned_data["next"])
                return redirect(back or request.path)
        if is_fragment_request(request):  # a Users tab row's form: the row again, with the refusal in place
            return render(
                request,
                "accounts/includes/member_row_refused.html",
                {
                    "organization": organization,
                    "row": row,
                    "roles_form": form,
                    "may_manage": may_manage,
                    "back": _safe_next(request, form.data.get(form.add_prefix("next"))),
                },
            )
    return render_page(
        request,
        "accounts/organization_member.html",
        {"organization": organization, "row": row, "form": form, "may_manage": may_manage},
        organization=organization,
        tab="users",
        crumbs=[(user.get_full_name() or user.email, None)],
    )


@login_required
def organization_member_remove(request, org_id, user_id):
    """Remove a member: the confirmation lists what goes (organization roles, projects and their roles there,
    teams); a refusal of the service (the last Organization Owner, the only Project Owner of a project) comes
    back on the same page, as an alert."""
    organization, user = _member(request, org_id, user_id)
    if not actor_may(request.user, roles.MANAGE_ORGANIZATION_MEMBERS, organization) and user != request.user:
        return error_page(request, status=403)
    row = people_selectors.member_row(organization, user, request.user)
    warnings = []
    if request.method == "POST":
        try:
            services.organization_member_remove(organization=organization, user=user, actor=request.user)
        except ServiceError as error:
            warnings = [error.message]
        else:
            if user == request.user:
                messages.success(request, f"You left {organization.name}.")
                return redirect("accounts:home")
            messages.success(request, f"{user.email} was removed from {organization.name}.")
            return redirect("accounts:organization_access", org_id=organization.public_id)
    items = [f"Organization roles: {row.role_labels}"]
    items += [f"Project {p.name}: {p.role_labels or 'no role'}" for p in row.projects]
    items += [f"Team {name}" for name, _ in row.teams]
    name = user.get_full_name() or user.email
    leaving = user == request.user
    return confirm_page(
        request,
        title=f"Leave {organization.name}?" if leaving else f"Remove {name} from {organization.name}?",
        intro=f"{'You lose' if leaving else f'{user.email} loses'} every access to {organization.name} at once:",
        items=items,
        warnings=warnings,
        button="Leave organization" if leaving else "Remove member",
        cancel_url=_users_tab(organization),
        organization=organization,
        tab="users",
        crumbs=[
            (name, reverse("accounts:organization_member", args=[organization.public_id, user.public_id]))
        ],
    )


def _back_to(request, invitation):
    back = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if back:
        return redirect(back)
    if invitation.project_id:
        return redirect("accounts:project_access", project_id=invitation.project.public_id)
    return redirect("accounts:organization_access", org_id=invitation.organization.public_id)


@login_required
def invitation_action(request, invitation_id, action):
    """Resend (a new link and 30 more days: a POST) or revoke (a confirmation page, then a POST) a pending
    invitation. ``next`` (an address of this site) says where to go back to."""
    if action not in ("resend", "revoke"):
        raise Http404("No such action.")
    if request.method != "POST" and not (request.method == "GET" and action == "revoke"):
        return HttpResponseNotAllowed(["POST"] if action == "resend" else ["GET", "POST"])
    invitation = selectors.access_invitation(actor=request.user, invitation_id=invitation_id)
    if request.method == "GET":
        invitation_services.invitation_require_manage(invitation, request.user)  # 403 before anything shows
        place = invitation.project or invitation.organization
        cancel = _safe_next(request, request.GET.get("next")) or (
            reverse("accounts:project_access", args=[invitation.project.public_id])
            if invitation.project_id
            else _users_tab(invitation.organization)
        )
        return confirm_page(
            request,
            title=f"Revoke the invitation to {invitation.email}?",
            intro=f"The link sent to {invitation.email} stops working; they do not join {place.name}.",
            items=[f"Roles it would give: {', '.join(roles.label(n) for n in invitation.roles)}"],
            button="Revoke invitation",
            cancel_url=cancel,
            organization=invitation.organization,
            project=invitation.project,
            tab="access" if invitation.project_id else "users",
            context={"next": _safe_next(request, request.GET.get("next"))},
            template="accounts/confirm_with_next.html",
        )
    service = {
        "resend": invitation_services.invitation_resend,
        "revoke": invitation_services.invitation_revoke,
    }[action]
    try:
        service(invitation=invitation, actor=request.user)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        done = "sent again" if action == "resend" else "revoked"
        messages.success(request, f"The invitation to {invitation.email} was {done}.")
    return _back_to(request, invitation)


urlpatterns = [
    path("orgs/<str:org_id>/", organization_access, name="organization_access"),
    path("orgs/<str:org_id>/users/<str:user_id>/", organization_member, name="organization_member"),
    path(
        "orgs/<str:org_id>/users/<str:user_id>/remove/",
        organization_member_remove,
        name="organization_member_remove",
    ),
    path(
        "pending-invitations/<str:invitation_id>/<str:action>/",
        invitation_action,
        name="invitation_action",
    ),
]

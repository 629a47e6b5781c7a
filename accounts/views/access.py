"""The Access Manager pages of an organization and of a project: people, pending invitations (with bounces),
requests to join, teams; invite, resend, revoke, approve, deny. Every change is a service call."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from .. import roles, selectors
from ..errors import ServiceError
from ..forms import organization_invite_form, project_invite_form
from ..permissions import actor_may
from ..services import invitations as invitation_services
from ..services import join_requests as join_request_services
from .pages import render_page


@login_required
def organization_access(request, org_id):
    """Users (members, then pending invitations), teams and projects of an organization; owners invite here."""
    organization = selectors.access_organization(actor=request.user, organization_id=org_id)
    may_manage = actor_may(request.user, roles.MANAGE_ORGANIZATION_MEMBERS, organization)
    form = organization_invite_form(organization)
    if request.method == "POST" and may_manage:
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
                form.add_error(None, error.message)
            else:
                messages.success(request, f"Invitation sent to {', '.join(i.email for i in invitations)}.")
                return redirect("organization_access", org_id=organization.public_id)
    members = selectors.organization_members(organization).filter(user__is_service_account=False)
    invitations = selectors.invitations_listed(organization=organization)
    return render_page(
        request,
        "accounts/organization_access.html",
        {
            "organization": organization,
            "members": members,
            "invitations": invitations,
            "teams": selectors.organization_teams(organization),
            "projects": selectors.projects_for_user(request.user, organization=organization).order_by("name"),
            "may_manage": may_manage,
            "form": form,
        },
        organization=organization,
        tab="users",
    )


@login_required
def project_access(request, project_id):
    """A project's Users list in Cloud Manager's order: members, pending invitations ("Pending User",
    "--invite sent--"), requests to join; its owners and user admins invite and decide here."""
    project = selectors.access_project(actor=request.user, project_id=project_id)
    may_manage = actor_may(request.user, roles.MANAGE_PROJECT_MEMBERS, project)
    form = project_invite_form()
    if request.method == "POST" and may_manage:
        form = project_invite_form(request.POST)
        if form.is_valid():
            try:
                invitation_services.project_invitations_create(
                    project=project,
                    emails=form.cleaned_data["emails"],
                    roles=form.cleaned_data["roles"],
                    actor=request.user,
                )
            except ServiceError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, "Invitation sent.")
                return redirect("project_access", project_id=project.public_id)
    return render_page(
        request,
        "accounts/project_access.html",
        {
            "project": project,
            "people": selectors.project_people(project),
            "may_manage": may_manage,
            "form": form,
        },
        project=project,
        tab="access",
    )


def _back_to(invitation):
    if invitation.project_id:
        return redirect("project_access", project_id=invitation.project.public_id)
    return redirect("organization_access", org_id=invitation.organization.public_id)


@login_required
@require_POST
def invitation_action(request, invitation_id, action):
    """Resend (a new link and 30 more days) or revoke a pending invitation."""
    invitation = selectors.access_invitation(actor=request.user, invitation_id=invitation_id)
    service = {
        "resend": invitation_services.invitation_resend,
        "revoke": invitation_services.invitation_revoke,
    }
    if action not in service:
        raise Http404("No such action.")
    try:
        service[action](invitation=invitation, actor=request.user)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        done = "sent again" if action == "resend" else "revoked"
        messages.success(request, f"The invitation to {invitation.email} was {done}.")
    return _back_to(invitation)


@login_required
@require_POST
def join_request_action(request, request_id, action):
    """Approve (the user joins read-only) or deny a request to join a project."""
    join_request = selectors.access_join_request(actor=request.user, request_id=request_id, need=None)
    service = {
        "approve": join_request_services.join_request_approve,
        "deny": join_request_services.join_request_deny,
    }
    if action not in service:
        raise Http404("No such action.")
    try:
        service[action](join_request=join_request, actor=request.user)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{join_request.user.email}'s request was {action}d.")
    return redirect("project_access", project_id=join_request.project.public_id)

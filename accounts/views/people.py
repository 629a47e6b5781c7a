"""The organization's Users tab: its members, then everyone pending in the organization or any of its projects,
then requests to join; invite; change a member's roles; remove a member; resend and revoke invitations.
Every change is a service call."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path
from django.views.decorators.http import require_POST

from .. import roles, selectors
from ..errors import ServiceError
from ..forms import organization_invite_form
from ..permissions import actor_may
from ..services import invitations as invitation_services
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


urlpatterns = [
    path("orgs/<str:org_id>/", organization_access, name="organization_access"),
    path(
        "pending-invitations/<str:invitation_id>/<str:action>/",
        invitation_action,
        name="invitation_action",
    ),
]

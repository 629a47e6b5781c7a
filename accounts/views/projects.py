"""A project's Access tab (its users and where their access comes from, pending invitations, requests to join;
add, invite, change, remove), its Teams section, and deciding requests to join. Every change is a service call."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path
from django.views.decorators.http import require_POST

from .. import roles, selectors
from ..errors import ServiceError
from ..forms import project_invite_form
from ..permissions import actor_may
from ..services import invitations as invitation_services
from ..services import join_requests as join_request_services
from .pages import render_page


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


urlpatterns = [
    path("projects/<str:project_id>/", project_access, name="project_access"),
    path("join-requests/<str:request_id>/<str:action>/", join_request_action, name="join_request_action"),
]

"""The home page (the person's organizations and projects, the invitations sent to them with Accept), the
invitation link's page, and asking to join a project by its id."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import path
from django.views.decorators.http import require_POST

from .. import selectors
from ..errors import ServiceError
from ..forms import InvitationSignupForm
from ..selectors import people as people_selectors
from ..services import invitations as invitation_services
from ..services import join_requests as join_request_services
from ..signin.lockout import token_guard
from .pages import PER_PAGE, render_page


@login_required
def home(request):
    """The person's organizations with the projects open to them, and the invitations sent to their address
    still awaiting an answer (each with Accept): a constant number of queries."""
    return render_page(
        request,
        "accounts/home.html",
        {
            "organizations": selectors.organizations_overview(request.user),
            "invitations": list(people_selectors.invitations_addressed_to(request.user)[:PER_PAGE]),
        },
    )


@login_required
@require_POST
def invitation_accept_addressed(request, invitation_id):
    """Accept, from the home page, an invitation sent to the signed-in person's own (verified) address. One
    sent to someone else is refused (by the service) if the person may see it anyway, and otherwise "not
    found", like a missing one."""
    invitation = people_selectors.invitation_addressed_to(request.user, invitation_id)
    if invitation is None:
        invitation = selectors.access_invitation(actor=request.user, invitation_id=invitation_id)
    try:
        invitation_services.invitation_accept_addressed(invitation=invitation, user=request.user)
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect("accounts:home")
    if invitation.project_id:
        messages.success(request, f"Welcome to project {invitation.project.name}.")
        return redirect("accounts:project_access", project_id=invitation.project.public_id)
    messages.success(request, f"Welcome to {invitation.organization.name}.")
    return redirect("accounts:organization_access", org_id=invitation.organization.public_id)


@token_guard(failed=lambda response: response.status_code == 404)  # an unknown token: a guess, counted
def invitation_accept(request, token):
    """The link in the invitation email: shows the invitation, accepts it for the signed-in invitee, or signs
    the invitee up with the invited address and accepts it. Each refusal has its own message."""
    try:
        invitation = invitation_services.invitation_for_token(token)
        invitation_services.check_invitation_usable(invitation)
    except ServiceError as error:
        return _refused(request, token, error)
    form = InvitationSignupForm()
    if request.method == "POST":
        try:
            if request.user.is_authenticated:
                invitation_services.invitation_accept(token=token, user=request.user)
            else:
                form = InvitationSignupForm(request.POST)
                if not form.is_valid():
                    return _invitation_page(request, invitation, form)
                user = invitation_services.invitation_signup_accept(
                    token=token, email=invitation.email, **form.cleaned_data
                )
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        except ServiceError as error:
            if error.code == "VALIDATION_ERROR" and not request.user.is_authenticated:
                field = error.parameters.get("field")
                form.add_error(field if field in form.fields else None, error.message)
                return _invitation_page(request, invitation, form, status=400)
            return _refused(request, token, error)
        target = invitation.project or invitation.organization
        messages.success(request, f"Welcome to {target.name}.")
        return redirect("accounts:home")
    return _invitation_page(request, invitation, form)


def _invitation_page(request, invitation, form, status=200):
    wrong_user = request.user.is_authenticated and request.user.email.lower() != invitation.email.lower()
    return render_page(
        request,
        "accounts/invitation_accept.html",
        {"invitation": invitation, "form": form, "wrong_user": wrong_user},
        status=status,
    )


def _refused(request, token, error):
    invitation_services.audit_refused_acceptance(token=token, user=request.user, error=error)
    return render_page(request, "accounts/invitation_refused.html", {"error": error}, status=error.status)


def join_asked_message(project_id) -> str:
    """What asking to join by id answers, whatever the id names (see ``join_ask_record``)."""
    return (
        f"Your request to join project {project_id} is recorded: if that id names a project, its owners are asked "
        "within a minute, and you will be emailed their answer."
    )


@login_required
@require_POST
def project_join_request(request, project_id):
    """Ask to join a project by its id. Recorded whatever the id names, so that an id naming no project and one
    of another organization's projects get the same answer for the same work: the asker learns nothing they
    did not give."""
    try:
        join_request_services.join_ask_record(
            user=request.user, project_id=project_id, message=request.POST.get("message")
        )
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, join_asked_message(project_id))
    return redirect("accounts:home")


urlpatterns = [
    path("", home, name="home"),
    path("invitations/<str:token>/", invitation_accept, name="invitation_accept"),
    path(
        "my-invitations/<str:invitation_id>/accept/",
        invitation_accept_addressed,
        name="invitation_accept_addressed",
    ),
    path("projects/<str:project_id>/join/", project_join_request, name="project_join_request"),
]

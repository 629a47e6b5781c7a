"""The organization's Projects tab: its projects with the person's access on each, creating a project, and asking
to join one. Every change is a service call."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import reverse

from accounts import roles, selectors
from accounts.errors import ServiceError
from accounts.models import JoinRequest
from accounts.permissions import actor_may
from accounts.selectors import reach
from accounts.services import project_create
from accounts.services.join_requests import join_request_create

from ..pages import error_page, paginate, render_page, search_term
from .forms import JoinRequestForm, ProjectCreateForm


def _projects_url(organization):
    return reverse("accounts:organization_projects", kwargs={"org_id": organization.public_id})


@login_required
def organization_projects(request, org_id):
    """Every project of the organization, by name, 50 a page, with the person's roles on each and where they come
    from; "Request to join" where they reach nothing. A constant number of queries (``projects_reached`` asks
    about the page's projects only)."""
    organization = selectors.access_organization(actor=request.user, organization_id=org_id)
    term = search_term(request)
    projects = organization.projects.order_by("name", "pk")
    if term:
        projects = projects.filter(name__icontains=term)
    page = paginate(request, projects)
    reached = reach.projects_reached(request.user, organization, page.object_list)
    asked = set(
        JoinRequest.objects.filter(
            user=request.user, project__in=page.object_list, status=JoinRequest.Status.PENDING
        ).values_list("project_id", flat=True)
    )
    rows = [
        {"project": project, "reach": reached.get(project.pk), "asked": project.pk in asked}
        for project in page.object_list
    ]
    return render_page(
        request,
        "accounts/projects/organization_projects.html",
        {
            "organization": organization,
            "page": page,
            "rows": rows,
            "term": term,
            "may_create": actor_may(request.user, roles.CREATE_PROJECT, organization),
        },
        organization=organization,
        tab="projects",
    )


@login_required
def organization_project_create(request, org_id):
    """Create a project (Organization Owner or Organization Project Creator) and land in it as its owner."""
    organization = selectors.access_organization(actor=request.user, organization_id=org_id)
    if not actor_may(request.user, roles.CREATE_PROJECT, organization):
        return error_page(
            request,
            status=403,
            message=f"Creating a project in {organization.name} needs the Organization Owner or Organization "
            "Project Creator role.",
        )
    form = ProjectCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            project = project_create(
                organization=organization, name=form.cleaned_data["name"], actor=request.user
            )
        except ServiceError as error:
            form.add_error("name" if error.parameters.get("field", "name") == "name" else None, error.message)
        else:
            messages.success(request, f"The project {project.name} was created; you are its Project Owner.")
            return redirect("accounts:project_access", project_id=project.public_id)
    return render_page(
        request,
        "accounts/projects/project_create.html",
        {"organization": organization, "form": form, "cancel_url": _projects_url(organization)},
        organization=organization,
        tab="projects",
        crumbs=[("Create a project", None)],
    )


@login_required
def organization_project_join(request, org_id, project_id):
    """Ask to join a project of the organization, with a message for its owners (they are emailed; the person
    hears their decision by email). Someone who already reaches the project is told how, on the form."""
    organization = selectors.access_organization(actor=request.user, organization_id=org_id)
    project = selectors.access_organization_project(
        actor=request.user, organization=organization, project_id=project_id
    )
    form = JoinRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            join_request_create(project=project, user=request.user, message=form.cleaned_data["message"])
        except ServiceError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                f"Your request to join {project.name} was sent to its owners; you will be emailed their answer.",
            )
            return redirect("accounts:organization_projects", org_id=organization.public_id)
    return render_page(
        request,
        "accounts/projects/project_join.html",
        {
            "organization": organization,
            "project": project,
            "form": form,
            "cancel_url": _projects_url(organization),
        },
        organization=organization,
        tab="projects",
        crumbs=[(f"Request to join {project.name}", None)],
    )

"""Customers' pages of support access: a project's clusters with their grants (grant, revoke, time left), the
organization's block setting, and the log of support staff's attempts for the organization's owners."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts import roles
from accounts import selectors as accounts_selectors
from accounts.errors import ServiceError
from accounts.permissions import actor_may
from accounts.views.pages import render_page

from . import selectors, services
from .forms import GrantForm, OrganizationSettingsForm

DECISIONS_PER_PAGE = 100


def _cluster(request, project_id, cluster_name, need=roles.VIEW_PROJECT):
    project = accounts_selectors.access_project(actor=request.user, project_id=project_id)
    cluster = accounts_selectors.access_cluster(
        actor=request.user, project=project, name=cluster_name, need=need
    )
    return project, cluster


@login_required
def project_clusters(request, project_id):
    """The Clusters page: each cluster with its grant in force and the time left; for those who may grant, the
    grant form (the types the block and the cluster allow) and the revoke button."""
    project = accounts_selectors.access_project(actor=request.user, project_id=project_id)
    restricted = selectors.support_access_restricted(project.organization)
    may_grant = actor_may(request.user, roles.GRANT_SUPPORT_ACCESS, project)
    now = timezone.now()
    rows = []
    for cluster in selectors.project_clusters(project, now):
        form = GrantForm.offering(
            restricted=restricted, sync_enabled=cluster.sync_enabled, prefix=cluster.name
        )
        rows.append(
            {
                "cluster": cluster,
                "grant": selectors.cluster_active_grant(cluster, now),
                "form": form if may_grant and form.fields["grant_type"].choices else None,
            }
        )
    return render_page(
        request,
        "support/project_clusters.html",
        {"project": project, "restricted": restricted, "may_grant": may_grant, "rows": rows, "now": now},
        project=project,
        tab="clusters",
    )


@login_required
@require_POST
def cluster_grant(request, project_id, cluster_name):
    project, cluster = _cluster(request, project_id, cluster_name)
    form = GrantForm(request.POST, prefix=cluster.name)
    if not form.is_valid():
        errors = "; ".join(message for field in form.errors.values() for message in field)
        messages.error(request, f"Nothing was granted. {errors}")
        return redirect("support:project_clusters", project.public_id)
    hours = form.cleaned_data["hours"]
    try:
        grant = services.support_grant_create(
            cluster=cluster,
            grant_type=form.cleaned_data["grant_type"],
            expires_at=timezone.now() + timedelta(hours=hours) if hours else None,
            actor=request.user,
        )
    except ServiceError as error:
        messages.error(request, f"Nothing was granted. {error.message}")
    else:
        messages.success(
            request,
            f"Support staff have {grant.get_grant_type_display().lower()} access to {cluster.name} until "
            f"{grant.expires_at:%Y-%m-%d %H:%M} UTC ({grant.time_left()} left).",
        )
    return redirect("support:project_clusters", project.public_id)


@login_required
@require_POST
def cluster_revoke(request, project_id, cluster_name):
    project, cluster = _cluster(request, project_id, cluster_name)
    try:
        grant = services.support_grant_revoke(cluster=cluster, actor=request.user)
    except ServiceError as error:
        messages.error(request, f"Nothing was revoked. {error.message}")
    else:
        if grant is None:
            messages.info(request, f"Support staff had no temporary access to {cluster.name}.")
        else:
            messages.success(request, f"Support staff's temporary access to {cluster.name} was revoked.")
    return redirect("support:project_clusters", project.public_id)


@login_required
def organization_settings(request, org_id):
    """The organization's settings page: the block on support staff and the API keys' access list rule (its
    owners change them, together, through one service)."""
    organization = accounts_selectors.access_organization(actor=request.user, organization_id=org_id)
    if request.method == "POST":
        form = OrganizationSettingsForm(request.POST)
        if form.is_valid():
            try:
                services.organization_settings_set(
                    organization=organization,
                    actor=request.user,
                    restrict_employee_access=form.cleaned_data["restrict_employee_access"],
                    api_access_list_required=form.cleaned_data["api_access_list_required"],
                    multi_factor_auth_required=form.cleaned_data["multi_factor_auth_required"],
                )
            except ServiceError as error:
                messages.error(request, f"Nothing was changed. {error.message}")
            else:
                messages.success(request, "The organization's settings were saved.")
            return redirect("support:organization_settings", organization.public_id)
    current = selectors.organization_settings(organization)
    setting = selectors.support_access_setting(organization)
    form = OrganizationSettingsForm(
        initial={
            "restrict_employee_access": current.restrict_employee_access,
            "api_access_list_required": current.api_access_list_required,
            "multi_factor_auth_required": current.multi_factor_auth_required,
        }
    )
    return render_page(
        request,
        "support/organization_settings.html",
        {
            "organization": organization,
            "settings": current,
            "setting": setting,
            "form": form,
            "is_owner": actor_may(request.user, roles.CHANGE_ORGANIZATION, organization),
        },
        organization=organization,
        tab="settings",
    )


@login_required
def organization_decisions(request, org_id):
    """Every attempt of support staff to reach the organization's clusters, allowed or refused, newest first:
    for the organization's owners (CHANGE_ORGANIZATION, which only Organization Owner carries)."""
    organization = accounts_selectors.access_organization(
        actor=request.user, organization_id=org_id, need=roles.CHANGE_ORGANIZATION
    )
    page = Paginator(selectors.organization_decisions(organization), DECISIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render_page(
        request,
        "support/organization_decisions.html",
        {"organization": organization, "page": page},
        organization=organization,
        tab="settings",
        crumbs=[("Support access log", None)],
    )

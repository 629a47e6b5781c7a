"""Customers' pages of support access: a project's clusters with their grants (grant, revoke, time left), the
organization's block setting, and the log of support staff's attempts for the organization's owners."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from accounts import roles
from accounts import selectors as accounts_selectors
from accounts.errors import ServiceError
from accounts.permissions import actor_may
from accounts.views.pages import confirm_page, paginate, render_page, search_term

from . import rules, selectors, services
from .forms import GrantForm, OrganizationSettingsForm
from .templatetags.support_grants import time_left

DECISIONS_PER_PAGE = 100


def _cluster(request, project_id, cluster_name, need=roles.VIEW_PROJECT):
    project = accounts_selectors.access_project(actor=request.user, project_id=project_id)
    cluster = accounts_selectors.access_cluster(
        actor=request.user, project=project, name=cluster_name, need=need
    )
    return project, cluster


def _clusters_url(project):
    return reverse("support:project_clusters", kwargs={"project_id": project.public_id})


def _local(moment) -> str:
    """A time in the viewer's zone, the zone named: "2026-03-03 18:00 JST"."""
    return date_format(timezone.localtime(moment), "Y-m-d H:i T")


@login_required
def project_clusters(request, project_id):
    """The Clusters page: the project's clusters, 50 a page with a search by name, each with its grant in force
    and the time left (ticking, static/accessportal/countdown.js); for those who may grant, a link to each
    cluster's grant page and to the revoke confirmation. The grant form lives on its own page, so the list stays
    small whatever the number of clusters."""
    project = accounts_selectors.access_project(actor=request.user, project_id=project_id)
    restricted = selectors.support_access_restricted(project.organization)
    may_grant = actor_may(request.user, roles.GRANT_SUPPORT_ACCESS, project)
    now = timezone.now()
    term = search_term(request)
    clusters = selectors.project_clusters(project, now)
    if term:
        clusters = clusters.filter(name__icontains=term)
    page = paginate(request, clusters)
    rows = []
    for cluster in page:
        offered = rules.grant_types_offered(restricted=restricted, sync_enabled=cluster.sync_enabled)
        rows.append(
            {
                "cluster": cluster,
                "grant": selectors.cluster_active_grant(cluster, now),
                "may_grant": may_grant and bool(offered),
            }
        )
    return render_page(
        request,
        "support/project_clusters.html",
        {
            "project": project,
            "restricted": restricted,
            "may_grant": may_grant,
            "rows": rows,
            "page": page,
            "now": now,
            "searched": term,
        },
        project=project,
        tab="clusters",
    )


def _grant_page(request, project, cluster, form, status=200):
    return render_page(
        request,
        "support/cluster_grant.html",
        {
            "project": project,
            "cluster": cluster,
            "form": form,
            "grant": selectors.cluster_active_grant(cluster),
            "restricted": selectors.support_access_restricted(project.organization),
        },
        project=project,
        tab="clusters",
        crumbs=[(cluster.name, None), ("Grant support access", None)],
        status=status,
    )


@login_required
def cluster_grant(request, project_id, cluster_name):
    """GET: the grant form of one cluster (the access types the block and the cluster allow, and how long);
    POST: grant, then back to the clusters page. Refusals are shown on the form."""
    if request.method != "POST":
        project, cluster = _cluster(request, project_id, cluster_name, need=roles.GRANT_SUPPORT_ACCESS)
        restricted = selectors.support_access_restricted(project.organization)
        form = GrantForm.offering(restricted=restricted, sync_enabled=cluster.sync_enabled)
        return _grant_page(request, project, cluster, form)
    project, cluster = _cluster(request, project_id, cluster_name)
    form = GrantForm(request.POST)
    if not form.is_valid():
        return _grant_page(request, project, cluster, form, status=400)
    hours = form.cleaned_data["hours"]
    try:
        grant = services.support_grant_create(
            cluster=cluster,
            grant_type=form.cleaned_data["grant_type"],
            expires_at=timezone.now() + timedelta(hours=hours) if hours else None,
            actor=request.user,
        )
    except ServiceError as error:
        form.add_error(None, f"Nothing was granted. {error.message}")
        return _grant_page(request, project, cluster, form, status=error.status)
    messages.success(
        request,
        f"Support staff have {grant.get_grant_type_display().lower()} access to {cluster.name} until "
        f"{_local(grant.expires_at)} ({time_left(grant)} left).",
    )
    return redirect(_clusters_url(project))


@login_required
def cluster_revoke(request, project_id, cluster_name):
    """GET: what revoking ends, and a confirmation (no JavaScript needed); POST: revoke."""
    project, cluster = _cluster(request, project_id, cluster_name)
    if request.method == "POST":
        try:
            grant = services.support_grant_revoke(cluster=cluster, actor=request.user)
        except ServiceError as error:
            messages.error(request, f"Nothing was revoked. {error.message}")
        else:
            if grant is None:
                messages.info(request, f"Support staff had no temporary access to {cluster.name}.")
            else:
                messages.success(request, f"Support staff's temporary access to {cluster.name} was revoked.")
        return redirect(_clusters_url(project))
    grant = selectors.cluster_active_grant(cluster)
    if grant is None:
        messages.info(request, f"Support staff have no temporary access to {cluster.name} to revoke.")
        return redirect(_clusters_url(project))
    return confirm_page(
        request,
        title=f"Revoke support access to {cluster.name}?",
        intro="Support staff lose this access at once; a new grant can be made later.",
        items=[
            f"{grant.get_grant_type_display()}, granted by {grant.granted_by_email or 'staff'}, "
            f"until {_local(grant.expires_at)} ({time_left(grant)} left)"
        ],
        button="Revoke access",
        cancel_url=_clusters_url(project),
        project=project,
        tab="clusters",
        crumbs=[(cluster.name, None)],
    )


SETTINGS_FIELDS = {
    "restrictEmployeeAccess": "restrict_employee_access",
    "apiAccessListRequired": "api_access_list_required",
    "multiFactorAuthRequired": "multi_factor_auth_required",
}


@login_required
def organization_settings(request, org_id):
    """The organization's Settings tab: the block on support staff, two-factor authentication required or not,
    and the API keys' access list rule. Every member reads them; its owners change them, together, through one
    service (a refusal is shown next to the setting it concerns)."""
    organization = accounts_selectors.access_organization(actor=request.user, organization_id=org_id)
    status = 200
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
                field = SETTINGS_FIELDS.get(error.parameters.get("field"))
                if field is None:  # not about one setting (e.g. not an owner): said above the page
                    messages.error(request, f"Nothing was changed. {error.message}")
                    return redirect("support:organization_settings", organization.public_id)
                form.add_error(field, f"Nothing was changed. {error.message}")
                status = error.status
            else:
                messages.success(request, "The organization's settings were saved.")
                return redirect("support:organization_settings", organization.public_id)
        else:
            status = 400
    current = selectors.organization_settings(organization)
    setting = selectors.support_access_setting(organization)
    if request.method != "POST":
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
        status=status,
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

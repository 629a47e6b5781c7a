"""Customers' monitoring pages: the organization's Monitoring tab (attach, detach), a project's monitoring
groups and a cluster's, and the offboarding confirmation."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts import roles
from accounts import selectors as account_selectors
from accounts.errors import ServiceError
from accounts.models import Cluster
from accounts.permissions import actor_may
from accounts.views.pages import render_page

from . import selectors, services
from .forms import AttachForm, GroupCreateForm, MemberAddForm
from .models import NOT_ELIGIBLE_MESSAGE, is_eligible
from .services import may_manage_system_groups


def _organization(request, org_id, need=roles.VIEW_ORGANIZATION):
    return account_selectors.access_organization(actor=request.user, organization_id=org_id, need=need)


def _project(request, project_id):
    return account_selectors.access_project(actor=request.user, project_id=project_id)


def _refused(request, error):
    messages.error(request, error.message)


# ---- the organization's Monitoring tab ------------------------------------------------------------------------


@login_required
def organization_monitoring(request, org_id):
    """The attached monitoring users, the attach form, the clusters with their groups, and offboarding."""
    organization = _organization(request, org_id)
    may_manage = actor_may(request.user, roles.MANAGE_ORGANIZATION_MEMBERS, organization)
    form = AttachForm()
    if request.method == "POST":
        form = AttachForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                linked_user = None
                if data["linked_user"]:
                    with account_selectors.body_reference(
                        "linked_user",
                        code="USER_NOT_IN_ORG",
                        message=f"{data['linked_user']} is not a member of {organization.name}.",
                    ):
                        linked_user = account_selectors.access_member(
                            actor=request.user, organization=organization, email=data["linked_user"]
                        )
                attachment = services.monitoring_user_attach(
                    organization=organization,
                    username=data["username"],
                    email=data["email"] or None,
                    group_role=data["group_role"],
                    linked_user=linked_user,
                    actor=request.user,
                )
            except ServiceError as error:
                field = {"username": "username", "emailAddress": "email", "groupRole": "group_role"}.get(
                    error.parameters.get("field"), error.parameters.get("field")
                )
                form.add_error(field if field in form.fields else None, error.message)
            else:
                count = attachment.memberships.count()
                messages.success(
                    request,
                    f"{attachment.monitoring_user.username} is attached to {organization.name} and was added "
                    f"to {count} monitoring group(s); the groups' admins are being emailed.",
                )
                return redirect("monitoring:organization", org_id=organization.public_id)
    attachments = list(selectors.organization_attachments(organization))
    people = selectors.linked_people(organization, attachments)
    rows = [(attachment, people[attachment.pk]) for attachment in attachments]
    projects = account_selectors.projects_for_user(request.user, organization=organization)
    clusters = (
        Cluster.objects.filter(project__in=projects)
        .select_related("project", "monitoring_group")
        .order_by("project__name", "name")
    )
    members = list(
        account_selectors.organization_members(organization).filter(user__is_service_account=False)
    )
    return render_page(
        request,
        "monitoring/organization.html",
        {
            "organization": organization,
            "rows": rows,
            "form": form,
            "may_manage": may_manage,
            "clusters": [(cluster, is_eligible(cluster)) for cluster in clusters],
            "not_eligible_message": NOT_ELIGIBLE_MESSAGE,
            "members": members if may_manage else [],
        },
        organization=organization,
        tab="monitoring",
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def detach(request, org_id, monitoring_user_id):
    organization = _organization(request, org_id)
    attachment = selectors.access_attachment(
        actor=request.user, organization=organization, monitoring_user_id=monitoring_user_id
    )
    try:
        result = services.monitoring_user_detach(attachment=attachment, actor=request.user)
    except ServiceError as error:
        _refused(request, error)
    else:
        messages.success(
            request,
            f"{result['monitoringUser'].username} is detached from {organization.name}: it was removed from "
            f"every group its attachment put it in ({len(result['groups'])}), and clusters created later will "
            "not add it.",
        )
    return redirect("monitoring:organization", org_id=organization.public_id)


# ---- offboarding --------------------------------------------------------------------------------------------


def _offboarding(request, organization, subject):
    plan = selectors.offboarding_plan(organization=organization, **subject)
    if request.method == "POST":
        try:
            report = services.person_offboard(organization=organization, actor=request.user, **subject)
        except ServiceError as error:
            _refused(request, error)
        else:
            return render_page(
                request,
                "monitoring/offboarded.html",
                {"organization": organization, "report": report},
                organization=organization,
                tab="monitoring",
                crumbs=[("Offboarded", None)],
            )
    return render_page(
        request,
        "monitoring/offboard.html",
        {"organization": organization, "plan": plan},
        organization=organization,
        tab="monitoring",
        crumbs=[("Offboard", None)],
    )


@login_required
def offboard_user(request, org_id, user_id):
    """Confirm, then offboard a portal user and the monitoring user linked to them."""
    organization = _organization(request, org_id, need=roles.MANAGE_ORGANIZATION_MEMBERS)
    user = selectors.access_offboarding_person(actor=request.user, organization=organization, user_id=user_id)
    return _offboarding(request, organization, {"user": user})


@login_required
def offboard_monitoring_user(request, org_id, monitoring_user_id):
    """Confirm, then offboard the person behind a monitoring user: it and its linked portal user."""
    organization = _organization(request, org_id, need=roles.MANAGE_ORGANIZATION_MEMBERS)
    monitoring_user = selectors.access_monitoring_user(
        actor=request.user, organization=organization, monitoring_user_id=monitoring_user_id
    )
    return _offboarding(request, organization, {"monitoring_user": monitoring_user})


# ---- a project's groups, a cluster's group ----------------------------------------------------------------------


@login_required
def project_monitoring(request, project_id):
    """The project's monitoring groups (one per eligible cluster, then its own) and the form to make one."""
    project = _project(request, project_id)
    form = GroupCreateForm()
    if request.method == "POST":
        form = GroupCreateForm(request.POST)
        if form.is_valid():
            try:
                group = services.monitoring_group_create(
                    project=project, name=form.cleaned_data["name"], actor=request.user
                )
            except ServiceError as error:
                form.add_error("name", error.message)
            else:
                messages.success(request, f"The monitoring group {group.name} was created.")
                return redirect("monitoring:group", project_id=project.public_id, group_id=group.public_id)
    return render_page(
        request,
        "monitoring/project.html",
        {
            "project": project,
            "groups": selectors.project_groups(project),
            "form": form,
            "may_manage": actor_may(request.user, roles.MANAGE_MONITORING, project),
        },
        project=project,
        tab="monitoring",
        status=400 if form.errors else 200,
    )


def _group_page(request, project, group, form=None, status=200):
    may_manage = actor_may(request.user, roles.MANAGE_MONITORING, project)
    may_add = may_manage and (not group.is_system or may_manage_system_groups(request.user))
    return render_page(
        request,
        "monitoring/group.html",
        {
            "project": project,
            "group": group,
            "may_manage": may_manage,
            "may_add": may_add,
            "form": form or MemberAddForm(),
        },
        project=project,
        tab="monitoring",
        crumbs=[(group.name, None)],
        status=status,
    )


@login_required
def group_detail(request, project_id, group_id):
    """One group's members; add one by hand (customers' own groups only), remove one by hand."""
    project = _project(request, project_id)
    group = selectors.access_group(actor=request.user, project=project, group_id=group_id)
    if request.method != "POST":
        return _group_page(request, project, group)
    form = MemberAddForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            membership = services.monitoring_group_member_add(
                group=group,
                username=data["username"],
                email=data["email"] or None,
                role=data["role"],
                actor=request.user,
            )
        except ServiceError as error:
            field = {"username": "username", "emailAddress": "email"}.get(error.parameters.get("field"))
            form.add_error(field, error.message)
        else:
            messages.success(request, f"{membership.monitoring_user.username} was added to {group.name}.")
            return redirect(request.path)
    return _group_page(request, project, group, form, status=400)


@login_required
def cluster_monitoring(request, project_id, cluster_name):
    """A cluster's monitoring group, or mLab's message when the cluster is not eligible."""
    project = _project(request, project_id)
    cluster = account_selectors.access_cluster(actor=request.user, project=project, name=cluster_name)
    if not is_eligible(cluster):
        return render_page(
            request,
            "monitoring/not_eligible.html",
            {"project": project, "cluster": cluster, "message": NOT_ELIGIBLE_MESSAGE},
            project=project,
            tab="monitoring",
            crumbs=[(cluster.name, None)],
        )
    group = selectors.cluster_group(cluster)
    return redirect("monitoring:group", project_id=project.public_id, group_id=group.public_id)


@login_required
@require_POST
def group_member_remove(request, project_id, group_id, monitoring_user_id):
    project = _project(request, project_id)
    group = selectors.access_group(actor=request.user, project=project, group_id=group_id)
    membership = selectors.group_member(group, monitoring_user_id)
    try:
        removal = services.monitoring_group_member_remove(
            group=group, monitoring_user=membership.monitoring_user, actor=request.user
        )
    except ServiceError as error:
        _refused(request, error)
    else:
        messages.success(request, removal.note)
    return redirect("monitoring:group", project_id=project.public_id, group_id=group.public_id)


@login_required
@require_POST
def group_delete(request, project_id, group_id):
    project = _project(request, project_id)
    group = selectors.access_group(actor=request.user, project=project, group_id=group_id)
    try:
        services.monitoring_group_delete(group=group, actor=request.user)
    except ServiceError as error:
        _refused(request, error)
        return redirect("monitoring:group", project_id=project.public_id, group_id=group.public_id)
    messages.success(request, f"The monitoring group {group.name} was deleted.")
    return redirect(reverse("monitoring:project", kwargs={"project_id": project.public_id}))

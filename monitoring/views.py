"""Customers' monitoring pages: the organization's Monitoring tab (attach, detach), a project's monitoring
groups and a cluster's, and the offboarding confirmation."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.db.models.functions import Lower
from django.shortcuts import redirect
from django.urls import reverse

from accounts import roles
from accounts import selectors as account_selectors
from accounts.errors import ServiceError
from accounts.models import Cluster
from accounts.permissions import actor_may
from accounts.views.pages import confirm_page, paginate, render_page, search_term

from . import selectors, services
from .forms import AttachForm, GroupCreateForm, MemberAddForm
from .models import NOT_ELIGIBLE_MESSAGE, MonitoringGroupMembership, is_eligible
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
    attachments = selectors.organization_attachments(organization)
    term = search_term(request)
    if term:
        attachments = attachments.filter(
            Q(monitoring_user__username__icontains=term) | Q(monitoring_user__email__icontains=term)
        )
    page = paginate(request, attachments)
    people = selectors.linked_people(organization, list(page))
    rows = [(attachment, people[attachment.pk]) for attachment in page]
    projects = account_selectors.projects_for_user(request.user, organization=organization)
    clusters = (
        Cluster.objects.filter(project__in=projects)
        .select_related("project", "monitoring_group")
        .order_by("project__name", "name", "pk")
    )
    cluster_page = paginate(request, clusters, param="clusters_page")
    member_page = None
    if may_manage:
        members = account_selectors.organization_members(organization).filter(user__is_service_account=False)
        if member_term := search_term(request, "member_q"):
            members = members.filter(
                Q(user__email__icontains=member_term)
                | Q(user__first_name__icontains=member_term)
                | Q(user__last_name__icontains=member_term)
            )
        member_page = paginate(request, members, param="members_page")
    return render_page(
        request,
        "monitoring/organization.html",
        {
            "organization": organization,
            "rows": rows,
            "page": page,
            "form": form,
            "may_manage": may_manage,
            "clusters": [(cluster, is_eligible(cluster)) for cluster in cluster_page],
            "cluster_page": cluster_page,
            "not_eligible_message": NOT_ELIGIBLE_MESSAGE,
            "member_page": member_page,
        },
        organization=organization,
        tab="monitoring",
        status=400 if form.errors else 200,
    )


GROUPS_NAMED = 20  # a confirmation names this many groups, then counts the rest


def _groups_line(names, count) -> str:
    """ "3 monitoring group(s): a, b, c", the first ``GROUPS_NAMED`` named and the rest counted."""
    line = f"{count} monitoring group(s): {', '.join(names) or 'none'}"
    return f"{line} and {count - len(names)} more" if count > len(names) else line


@login_required
def detach(request, org_id, monitoring_user_id):
    """GET: what detaching removes (every group the attachment put the user in), and a confirmation; POST:
    detach."""
    organization = _organization(request, org_id)
    if request.method != "POST":
        attachment = selectors.access_attachment(
            actor=request.user,
            organization=organization,
            monitoring_user_id=monitoring_user_id,
            need=roles.MANAGE_ORGANIZATION_MEMBERS,
        )
        username = attachment.monitoring_user.username
        groups = list(
            attachment.memberships.order_by(Lower("group__name")).values_list("group__name", flat=True)[
                :GROUPS_NAMED
            ]
        )
        return confirm_page(
            request,
            title=f"Detach {username} from {organization.name}?",
            intro=f"{username} is removed from every monitoring group its attachment put it in, and clusters "
            "created later will not add it. Its monitoring user and any groups it was added to by hand stay.",
            items=[_groups_line(groups, attachment.group_count)],
            button="Detach",
            cancel_url=reverse("monitoring:organization", kwargs={"org_id": organization.public_id}),
            organization=organization,
            tab="monitoring",
            crumbs=[(username, None)],
        )
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
            "groups": paginate(request, selectors.project_groups(project)),
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
    members = selectors.group_members(group)
    if term := search_term(request):
        members = members.filter(
            Q(monitoring_user__username__icontains=term) | Q(monitoring_user__email__icontains=term)
        )
    return render_page(
        request,
        "monitoring/group.html",
        {
            "project": project,
            "group": group,
            "page": paginate(request, members),
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
    """One group's members, 50 a page; add one by hand (customers' own groups only); remove one (confirmed)."""
    project = _project(request, project_id)
    group = selectors.access_group(actor=request.user, project=project, group_id=group_id, with_members=False)
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


def _group_url(project, group):
    return reverse("monitoring:group", kwargs={"project_id": project.public_id, "group_id": group.public_id})


@login_required
def group_member_remove(request, project_id, group_id, monitoring_user_id):
    """GET: a confirmation (from this group only: an attached user stays attached); POST: remove."""
    project = _project(request, project_id)
    need = None if request.method == "POST" else roles.MANAGE_MONITORING
    group = selectors.access_group(
        actor=request.user, project=project, group_id=group_id, need=need, with_members=False
    )
    membership = selectors.group_member(group, monitoring_user_id)
    username = membership.monitoring_user.username
    if request.method != "POST":
        attached = membership.source == MonitoringGroupMembership.Source.ATTACHMENT
        return confirm_page(
            request,
            title=f"Remove {username} from {group.name}?",
            intro=f"{username} leaves this group only."
            + (
                f" It stays attached to {project.organization.name}: it keeps its other groups and joins "
                "the groups of clusters created later. To remove it from every group, detach it on the "
                "organization's Monitoring tab."
                if attached
                else ""
            ),
            button="Remove from this group",
            cancel_url=_group_url(project, group),
            project=project,
            tab="monitoring",
            crumbs=[(group.name, _group_url(project, group))],
        )
    try:
        removal = services.monitoring_group_member_remove(
            group=group, monitoring_user=membership.monitoring_user, actor=request.user
        )
    except ServiceError as error:
        _refused(request, error)
    else:
        messages.success(request, removal.note)
    return redirect(_group_url(project, group))


@login_required
def group_delete(request, project_id, group_id):
    """GET: a confirmation naming how many members lose the group; POST: delete."""
    project = _project(request, project_id)
    need = None if request.method == "POST" else roles.MANAGE_MONITORING
    group = selectors.access_group(
        actor=request.user, project=project, group_id=group_id, need=need, with_members=False
    )
    if request.method != "POST":
        count = selectors.group_members(group).count()
        return confirm_page(
            request,
            title=f"Delete the monitoring group {group.name}?",
            items=[f"{count} member(s) lose this group"],
            button="Delete group",
            cancel_url=_group_url(project, group),
            project=project,
            tab="monitoring",
            crumbs=[(group.name, _group_url(project, group))],
        )
    try:
        services.monitoring_group_delete(group=group, actor=request.user)
    except ServiceError as error:
        _refused(request, error)
        return redirect(_group_url(project, group))
    messages.success(request, f"The monitoring group {group.name} was deleted.")
    return redirect(reverse("monitoring:project", kwargs={"project_id": project.public_id}))

"""The organization's API Keys tab and a project's API keys page: create (the private key shown once), roles,
projects, access lists, delete.

The organization's keys are managed by those who hold MANAGE_API_KEYS there (Organization Owners); a project's
owners and user admins (MANAGE_PROJECT_MEMBERS) assign its organization's keys to it. Every change is a service
call (accounts.services.api_keys). The private key exists only in the response to the creating POST (sent with
``Cache-Control: no-store``); a form that was sent already (a reload re-posting it) creates nothing."""

import functools

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch, Q
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.cache import add_never_cache_headers

from .. import roles, selectors
from ..errors import ServiceError
from ..models import ApiKey, OrganizationMembership, Project, ProjectMembership
from ..permissions import actor_may
from ..services import api_keys as key_services
from .pages import confirm_page, paginate, render_page, search_term

# The session's count of keys created through a create form: a form carries the count it was shown with, and
# is refused once the count moved on (it was sent already).
SEQUENCE_KEY = "api_key_form_sequence"


class KeyForm(forms.Form):
    description = forms.CharField(label="Description", max_length=250)
    roles = forms.MultipleChoiceField(
        label="Organization roles",
        choices=roles.ORGANIZATION_ROLE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )


class DefaultRoleMixin:
    """Roles to pick, none ticked beforehand: the default role applies only when none is picked (a ticked
    default would be granted along with whatever else is picked)."""

    default_role = roles.DEFAULT_PROJECT_ROLE

    def _default_when_none(self, label):
        field = self.fields["roles"]
        field.required = False
        field.help_text = f"{roles.label(self.default_role)} when none is picked."
        field.label = label

    def clean_roles(self):
        return self.cleaned_data["roles"] or [self.default_role]


class CreateKeyForm(DefaultRoleMixin, KeyForm):
    sequence = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, request, role_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sequence"].initial = request.session.get(SEQUENCE_KEY, 0)
        if role_choices is not None:  # a project's key: project roles
            self.fields["roles"].choices = role_choices
            self._default_when_none("Project roles")
        else:
            self.default_role = roles.DEFAULT_ORGANIZATION_ROLE
            self._default_when_none("Organization roles")


class ProjectRolesForm(DefaultRoleMixin, forms.Form):
    roles = forms.MultipleChoiceField(choices=roles.PROJECT_ROLE_CHOICES, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._default_when_none("Project roles")


class AssignProjectForm(ProjectRolesForm):
    """Assign the key to a project (or change its roles there when it is assigned already)."""

    project = forms.CharField(label="Project", widget=forms.Select)
    field_order = ["project", "roles"]

    def __init__(self, *args, projects, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].widget.choices = [(p.public_id, p.name) for p in projects]


class AssignKeyForm(ProjectRolesForm):
    api_key = forms.CharField(label="API key", widget=forms.Select)
    field_order = ["api_key", "roles"]

    def __init__(self, *args, keys, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["api_key"].widget.choices = [
            (k.public_id, f"{k.description} ({k.public_key})") for k in keys
        ]


class AccessListForm(forms.Form):
    ip_address = forms.CharField(
        label="IP address or CIDR block",
        max_length=64,
        help_text="For example 203.0.113.7 or 203.0.113.0/24. Once a key has an entry, it is refused from anywhere "
        "else.",
    )


def _field_of(error, form):
    field = {"desc": "description", "roles": "roles", "ipAddress": "ip_address"}.get(
        error.parameters.get("field"), error.parameters.get("field")
    )
    if error.code in ("INVALID_ROLE", "ROLE_ESCALATION"):
        field = "roles"
    if error.code == "INVALID_IP_ADDRESS":
        field = "ip_address"
    return field if field in form.fields else None


def _organization(request, org_id, need=roles.MANAGE_API_KEYS):
    return selectors.access_organization(actor=request.user, organization_id=org_id, need=need)


def _key(request, organization, api_key_id, need=roles.MANAGE_API_KEYS):
    return selectors.access_api_key(
        actor=request.user, api_key_id=api_key_id, organization=organization, need=need
    )


def _keys_with_access(organization):
    """The organization's keys, each with ``organization_roles`` and ``assignments`` (its projects, with their
    roles): six queries with the page's count, whatever the number of keys."""
    return (
        ApiKey.objects.filter(organization=organization)
        .select_related("user")
        .prefetch_related(
            Prefetch(
                "user__organization_memberships",
                queryset=OrganizationMembership.objects.filter(organization=organization).prefetch_related(
                    "roles"
                ),
                to_attr="memberships_here",
            ),
            Prefetch(
                "user__project_memberships",
                queryset=ProjectMembership.objects.select_related("project")
                .prefetch_related("roles")
                .order_by("project__name"),
                to_attr="assignments",
            ),
        )
        .order_by("description", "public_key")
    )


def _organization_roles(api_key):
    memberships = api_key.user.memberships_here
    return memberships[0].role_names if memberships else []


def _sent_already(request, form):
    """A create form shown before the last key this session created (a reload posting it again)."""
    return form.cleaned_data["sequence"] != request.session.get(SEQUENCE_KEY, 0)


def _created_page(request, api_key, private_key, *, organization=None, project=None, tab):
    """The only page that ever shows the private key: not stored by the browser or any cache."""
    request.session[SEQUENCE_KEY] = request.session.get(SEQUENCE_KEY, 0) + 1
    response = render_page(
        request,
        "accounts/api_key_created.html",
        {
            "api_key": api_key,
            "private_key": private_key,
            "organization": api_key.organization,
            "project": project,
        },
        organization=organization,
        project=project,
        tab=tab,
        crumbs=[(api_key.description, None)],
    )
    add_never_cache_headers(response)
    return response


def _create_key(request, form, scope, *, again):
    """The POST of a create-key form, on the organization's API Keys tab (``scope`` the organization) or on a
    project's API keys page (``scope`` the project: a key of its organization with roles in it): the page
    showing the new key's private key once; None when the form is invalid or the service refuses (the form
    says why). A form sent again goes back to ``again``."""
    if not form.is_valid():
        return None
    if _sent_already(request, form):
        return _refuse_resent(request, again)
    if isinstance(scope, Project):
        create = functools.partial(key_services.api_key_create_for_project, project=scope)
        where = {"project": scope, "tab": "access"}
    else:
        create = functools.partial(key_services.api_key_create, organization=scope)
        where = {"organization": scope, "tab": "api_keys"}
    try:
        api_key, private_key = create(
            description=form.cleaned_data["description"], roles=form.cleaned_data["roles"], actor=request.user
        )
    except ServiceError as error:
        form.add_error(_field_of(error, form), error.message)
        return None
    return _created_page(request, api_key, private_key, **where)


def _refuse_resent(request, url):
    messages.warning(
        request,
        "That form was sent already (or another key was created since it was shown), so no key was created. "
        "The private key of a key is shown only once, right after it is created.",
    )
    return redirect(url)


# ---- the organization's API Keys tab ------------------------------------------------------------------------------


# Other programmatic principals listed below the organization's keys, by apps that accounts does not know
# (serviceaccounts registers its service accounts from its AppConfig.ready): each is called with (request,
# organization) on the tab's page and answers (template name, context) or None. It must cost a constant number
# of queries and page its own list (``paginate(..., param=...)``).
API_KEYS_SECTIONS = []


def register_api_keys_section(section):
    if section not in API_KEYS_SECTIONS:
        API_KEYS_SECTIONS.append(section)
    return section


@login_required
def organization_api_keys(request, org_id):
    """The organization's keys (search by description or public key, pages of 50) with their roles and projects;
    create a key here, its private key shown once."""
    organization = _organization(request, org_id)
    form = CreateKeyForm(request=request, prefix="key")
    url = reverse("accounts:organization_api_keys", kwargs={"org_id": organization.public_id})
    if request.method == "POST":
        form = CreateKeyForm(request.POST, request=request, prefix="key")
        created = _create_key(request, form, organization, again=url)
        if created is not None:
            return created
    term = search_term(request)
    keys = _keys_with_access(organization)
    if term:
        keys = keys.filter(Q(description__icontains=term) | Q(public_key__icontains=term))
    page = paginate(request, keys)
    return render_page(
        request,
        "accounts/api_keys.html",
        {
            "organization": organization,
            "page": page,
            "rows": [(key, _organization_roles(key)) for key in page],
            "term": term,
            "form": form,
            "sections": [
                section
                for section in (make(request, organization) for make in API_KEYS_SECTIONS)
                if section is not None
            ],
        },
        organization=organization,
        tab="api_keys",
        status=400 if form.errors else 200,
    )


@login_required
def api_key_detail(request, org_id, api_key_id):
    """One key: change its description and roles, assign it to projects (or change its roles there), add to its
    access list; removals and deletion confirm first. ``action`` says which form was posted."""
    organization = _organization(request, org_id)
    api_key = _key(request, organization, api_key_id)
    membership = api_key.user.organization_memberships.prefetch_related("roles").get(
        organization=organization
    )
    edit_form = KeyForm(
        prefix="edit", initial={"description": api_key.description, "roles": membership.role_names}
    )
    projects = selectors.visible_projects(request.user, organization.projects.all()).order_by("name")
    assign_form = AssignProjectForm(prefix="assign", projects=projects)
    access_form = AccessListForm(prefix="access")
    here = reverse(
        "accounts:api_key_detail", kwargs={"org_id": organization.public_id, "api_key_id": api_key.public_id}
    )
    if request.method == "POST":
        action = request.POST.get("action")
        forms_by_action = {
            "edit": lambda: KeyForm(request.POST, prefix="edit"),
            "assign": lambda: AssignProjectForm(request.POST, prefix="assign", projects=projects),
            "access": lambda: AccessListForm(request.POST, prefix="access"),
        }
        form = forms_by_action.get(action, forms_by_action["edit"])()
        if form.is_valid():
            try:
                done = _key_action(request, action, form, api_key, organization)
            except ServiceError as error:
                form.add_error(_field_of(error, form), error.message)
            else:
                messages.success(request, done)
                return redirect(here)
        if action == "assign":
            assign_form = form
        elif action == "access":
            access_form = form
        else:
            edit_form = form
    assignments = (
        ProjectMembership.objects.filter(user=api_key.user, project__organization=organization)
        .select_related("project")
        .prefetch_related("roles")
        .order_by("project__name")
    )
    return render_page(
        request,
        "accounts/api_key_detail.html",
        {
            "organization": organization,
            "api_key": api_key,
            "organization_roles": membership.role_names,
            "assignments": paginate(request, assignments, param="projects"),
            "entries": paginate(request, api_key.access_list.order_by("cidr_block"), param="entries"),
            "edit_form": edit_form,
            "assign_form": assign_form,
            "access_form": access_form,
        },
        organization=organization,
        tab="api_keys",
        crumbs=[(api_key.description, None)],
        status=400 if edit_form.errors or assign_form.errors or access_form.errors else 200,
    )


def _key_action(request, action, form, api_key, organization) -> str:
    """Perform one form of a key's page through its service; the success message."""
    data = form.cleaned_data
    if action == "assign":
        with selectors.body_reference("project"):
            project = selectors.access_project(
                actor=request.user, project_id=data["project"], organization=organization
            )
        if ProjectMembership.objects.filter(project=project, user=api_key.user).exists():
            key_services.api_key_project_roles_set(
                api_key=api_key, project=project, roles=data["roles"], actor=request.user
            )
            return f"The key's roles in {project.name} are now {', '.join(map(roles.label, data['roles']))}."
        key_services.api_key_project_assign(
            api_key=api_key, project=project, roles=data["roles"], actor=request.user
        )
        return f"The key was assigned to {project.name}."
    if action == "access":
        key_services.api_key_access_list_add(
            api_key=api_key, entries=[data["ip_address"]], actor=request.user
        )
        return (
            f"{key_services.clean_access_list_entry(data['ip_address'])} was added to the key's access list."
        )
    key_services.api_key_update(
        api_key=api_key, description=data["description"], roles=data["roles"], actor=request.user
    )
    return "The key's description and roles were saved."


def _on_key(organization, api_key) -> dict:
    """Where a confirmation about ``api_key`` stands: the API Keys tab, with the key's page to go back to."""
    return {
        "organization": organization,
        "tab": "api_keys",
        "back": (api_key.description, _detail_url(organization, api_key)),
    }


def _detail_url(organization, api_key):
    return reverse(
        "accounts:api_key_detail", kwargs={"org_id": organization.public_id, "api_key_id": api_key.public_id}
    )


@login_required
def api_key_delete(request, org_id, api_key_id):
    """Delete a key after a confirmation naming the projects it leaves."""
    organization = _organization(request, org_id)
    api_key = _key(request, organization, api_key_id)
    if request.method == "POST":
        try:
            key_services.api_key_delete(api_key=api_key, actor=request.user)
        except ServiceError as error:
            messages.error(request, error.message)
            return redirect(_detail_url(organization, api_key))
        messages.success(request, f"The API key {api_key.public_key} ({api_key.description}) was deleted.")
        return redirect("accounts:organization_api_keys", org_id=organization.public_id)
    assignments = (
        ProjectMembership.objects.filter(user=api_key.user)
        .select_related("project")
        .prefetch_related("roles")
    )
    return confirm_page(
        request,
        title=f"Delete the API key {api_key.description}?",
        intro=f"Requests signed with {api_key.public_key} are refused from now on. It leaves every project:"
        if assignments
        else f"Requests signed with {api_key.public_key} are refused from now on.",
        items=[f"{a.project.name}: {', '.join(map(roles.label, a.role_names))}" for a in assignments],
        warnings=["Scripts and integrations that use this key stop working."],
        button="Delete API key",
        **_on_key(organization, api_key),
    )


@login_required
def api_key_entry_remove(request, org_id, api_key_id):
    """Remove one access-list entry (``?entry=`` on the confirmation, the ``entry`` field when posted)."""
    organization = _organization(request, org_id)
    api_key = _key(request, organization, api_key_id)
    entry = (request.POST if request.method == "POST" else request.GET).get("entry", "")[:64]
    back = _detail_url(organization, api_key)
    if request.method == "POST":
        try:
            key_services.api_key_access_list_remove(api_key=api_key, entry=entry, actor=request.user)
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"{entry} was removed from the key's access list.")
        return redirect(back)
    try:
        block = key_services.clean_access_list_entry(entry)
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect(back)
    if not api_key.access_list.filter(cidr_block=block).exists():
        messages.error(request, f"{block} is not on the access list of API key {api_key.public_key}.")
        return redirect(back)
    last = api_key.access_list.count() == 1
    return confirm_page(
        request,
        title=f"Remove {block} from the access list of {api_key.description}?",
        intro=f"Requests from {block} are refused from now on.",
        warnings=[
            "It is the last entry: without one, the key is accepted from any address (unless the organization "
            "requires an access list)."
        ]
        if last
        else [],
        button="Remove entry",
        **_on_key(organization, api_key),
        template="accounts/api_key_entry_remove.html",
        context={"entry": block},
    )


def _unassign(request, organization, api_key, project, *, back, nav):
    """Take a key off a project after a confirmation naming the roles it loses there."""
    if request.method == "POST":
        try:
            key_services.api_key_project_unassign(api_key=api_key, project=project, actor=request.user)
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"The key {api_key.description} was removed from {project.name}.")
        return redirect(back)
    membership = (
        ProjectMembership.objects.filter(project=project, user=api_key.user).prefetch_related("roles").first()
    )
    if membership is None:
        messages.error(request, f"The key {api_key.description} is not assigned to {project.name}.")
        return redirect(back)
    return confirm_page(
        request,
        title=f"Remove the API key {api_key.description} from {project.name}?",
        intro=f"It loses its roles in {project.name}:",
        items=[", ".join(map(roles.label, membership.role_names))],
        button="Remove from project",
        **nav,
    )


@login_required
def api_key_project_remove(request, org_id, api_key_id, project_id):
    organization = _organization(request, org_id)
    api_key = _key(request, organization, api_key_id)
    project = selectors.access_project(actor=request.user, project_id=project_id, organization=organization)
    nav = _on_key(organization, api_key)
    return _unassign(request, organization, api_key, project, back=nav["back"][1], nav=nav)


# ---- a project's API keys ---------------------------------------------------------------------------------------


@login_required
def project_api_keys(request, project_id):
    """The organization's keys assigned to a project, with their project roles (search, pages of 50). The
    project's owners and user admins assign a key of the organization here or take one off; those who create
    the organization's keys create one for the project (its private key shown once)."""
    project = selectors.access_project(actor=request.user, project_id=project_id)
    organization = project.organization
    may_manage = actor_may(request.user, roles.MANAGE_PROJECT_MEMBERS, project)
    may_create = may_manage and actor_may(request.user, roles.MANAGE_API_KEYS, organization)
    unassigned = (
        ApiKey.objects.filter(organization=organization)
        .exclude(user__project_memberships__project=project)
        .order_by("description", "public_key")
    )
    assign_form = AssignKeyForm(prefix="assign", keys=unassigned)
    create_form = CreateKeyForm(request=request, prefix="key", role_choices=roles.PROJECT_ROLE_CHOICES)
    here = reverse("accounts:project_api_keys", kwargs={"project_id": project.public_id})
    if request.method == "POST":
        project = selectors.access_project(
            actor=request.user, project_id=project_id, need=roles.MANAGE_PROJECT_MEMBERS
        )
        if request.POST.get("action") == "create":
            # Creating one of the organization's keys needs that power there: refused as a whole (403) without.
            _organization(request, organization.public_id)
            create_form = CreateKeyForm(
                request.POST, request=request, prefix="key", role_choices=roles.PROJECT_ROLE_CHOICES
            )
            created = _create_key(request, create_form, project, again=here)
            if created is not None:
                return created
        else:
            assign_form = AssignKeyForm(request.POST, prefix="assign", keys=unassigned)
            if assign_form.is_valid():
                data = assign_form.cleaned_data
                try:
                    api_key = selectors.access_api_key(
                        actor=request.user, api_key_id=data["api_key"], organization=organization
                    )
                except ServiceError as error:
                    assign_form.add_error("api_key", error.message)
                else:
                    try:
                        key_services.api_key_project_assign(
                            api_key=api_key, project=project, roles=data["roles"], actor=request.user
                        )
                    except ServiceError as error:
                        assign_form.add_error(_field_of(error, assign_form), error.message)
                    else:
                        messages.success(
                            request, f"The key {api_key.description} was assigned to {project.name}."
                        )
                        return redirect(here)
    term = search_term(request)
    memberships = (
        ProjectMembership.objects.filter(project=project, user__api_key__isnull=False)
        .select_related("user__api_key")
        .prefetch_related("roles")
        .order_by("user__api_key__description", "user__api_key__public_key")
    )
    if term:
        memberships = memberships.filter(
            Q(user__api_key__description__icontains=term) | Q(user__api_key__public_key__icontains=term)
        )
    return render_page(
        request,
        "accounts/api_keys_project.html",
        {
            "project": project,
            "organization": organization,
            "page": paginate(request, memberships),
            "term": term,
            "may_manage": may_manage,
            "may_create": may_create,
            "assign_form": assign_form,
            "create_form": create_form,
        },
        project=project,
        tab="access",
        crumbs=[("API keys", None)],
        status=400 if assign_form.errors or create_form.errors else 200,
    )


@login_required
def project_api_key_remove(request, project_id, api_key_id):
    project = selectors.access_project(
        actor=request.user, project_id=project_id, need=roles.MANAGE_PROJECT_MEMBERS
    )
    api_key = selectors.access_api_key(
        actor=request.user, api_key_id=api_key_id, organization=project.organization
    )
    back = reverse("accounts:project_api_keys", kwargs={"project_id": project.public_id})
    nav = {"project": project, "tab": "access", "back": ("API keys", back)}
    return _unassign(request, project.organization, api_key, project, back=back, nav=nav)


urlpatterns = [
    path("orgs/<str:org_id>/api-keys/", organization_api_keys, name="organization_api_keys"),
    path("orgs/<str:org_id>/api-keys/<str:api_key_id>/", api_key_detail, name="api_key_detail"),
    path("orgs/<str:org_id>/api-keys/<str:api_key_id>/delete/", api_key_delete, name="api_key_delete"),
    path(
        "orgs/<str:org_id>/api-keys/<str:api_key_id>/access-list/remove/",
        api_key_entry_remove,
        name="api_key_entry_remove",
    ),
    path(
        "orgs/<str:org_id>/api-keys/<str:api_key_id>/projects/<str:project_id>/remove/",
        api_key_project_remove,
        name="api_key_project_remove",
    ),
    path("projects/<str:project_id>/api-keys/", project_api_keys, name="project_api_keys"),
    path(
        "projects/<str:project_id>/api-keys/<str:api_key_id>/remove/",
        project_api_key_remove,
        name="project_api_key_remove",
    ),
]

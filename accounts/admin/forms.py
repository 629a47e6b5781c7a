"""Forms of the Django admin. They read input and find people by email address; every rule is the services'."""

from contextlib import contextmanager
from contextvars import ContextVar

from django import forms
from django.contrib.auth import forms as auth_forms
from django.forms.models import BaseInlineFormSet
from django.utils.functional import cached_property

from .. import roles as catalogue
from ..errors import ServiceError
from ..models import (
    Organization,
    OrganizationMembership,
    Project,
    ProjectMembership,
    TeamMembership,
    TeamProjectAssignment,
    User,
    staff_groups,
)
from ..services._rules import clean_person_name

# ---- refusals shown on the form they came from ------------------------------------------------------------------

_refusal: ContextVar = ContextVar("admin_service_refusal", default=None)


def pin_refusal(error, form_prefix) -> None:
    """Say which form a service refusal belongs to: an inline row's prefix, or None for the page's main form."""
    error.admin_form_prefix = form_prefix


@contextmanager
def showing_refusal(error):
    """While forms are validated inside this block, the one ``error`` is pinned to reports it as its own error.

    The admin uses it after a refusal rolled the whole request back: it validates the same POST once more, so
    the page comes back with the person's input and the reason, and, as a form is now invalid, nothing is
    saved."""
    token = _refusal.set(error)
    try:
        yield
    finally:
        _refusal.reset(token)


class ServiceModelForm(forms.ModelForm):
    """Base of every admin form whose save is a service call."""

    def clean(self):
        cleaned_data = super().clean()
        error = _refusal.get()
        if error is not None and getattr(error, "admin_form_prefix", None) == self.prefix:
            field = error.parameters.get("field")
            self.add_error(field if field in self.fields else None, error.message)
        return cleaned_data


def user_by_email(email) -> User:
    """A person by email address. API keys' service accounts are not people: their access changes only through
    the API key services."""
    try:
        return User.objects.get(email__iexact=email.strip(), is_service_account=False)
    except User.DoesNotExist:
        raise forms.ValidationError(
            "No user has the email address %(email)s.", code="unknown_user", params={"email": email}
        ) from None


def _roles_field(choices, default):
    return forms.MultipleChoiceField(choices=choices, initial=[default], widget=forms.CheckboxSelectMultiple)


# ---- organizations, projects ------------------------------------------------------------------------------------


class OrganizationAddForm(ServiceModelForm):
    owner = forms.EmailField(
        label="Owner (email)",
        help_text="An existing user; they become the organization's Organization Owner.",
    )

    class Meta:
        model = Organization
        fields = ("name",)

    def clean_owner(self):
        return user_by_email(self.cleaned_data["owner"])


class ProjectAddForm(ServiceModelForm):
    owner = forms.EmailField(
        label="Owner (email)",
        help_text="An existing user; they become the Project Owner (and an Organization Member if they are not "
        "in the organization yet).",
    )

    class Meta:
        model = Project
        fields = ("organization", "name")

    def clean_owner(self):
        return user_by_email(self.cleaned_data["owner"])


# ---- members: typed as an email address when new, read-only once in ----------------------------------------------


class _MemberForm(ServiceModelForm):
    """One member. A new one is named by email address (no per-row select of every user); an existing one
    shows its address read-only. ``cleaned_data["email"]`` is the User."""

    email = forms.EmailField(label="User (email)")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["email"] = forms.CharField(
                label="User (email)", disabled=True, required=False, initial=self.instance.user.email
            )

    def clean_email(self):
        if self.instance.pk:
            return self.instance.user
        return user_by_email(self.cleaned_data["email"])


class OrganizationMemberForm(_MemberForm):
    roles = _roles_field(catalogue.ORGANIZATION_ROLE_CHOICES, catalogue.DEFAULT_ORGANIZATION_ROLE)

    class Meta:
        model = OrganizationMembership
        fields = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["roles"].initial = self.instance.role_names


class ProjectMemberForm(_MemberForm):
    roles = _roles_field(catalogue.PROJECT_ROLE_CHOICES, catalogue.DEFAULT_PROJECT_ROLE)

    class Meta:
        model = ProjectMembership
        fields = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["roles"].initial = self.instance.role_names


class TeamMemberForm(_MemberForm):
    class Meta:
        model = TeamMembership
        fields = ()


# ---- a project's teams ----------------------------------------------------------------------------------------


class TeamAssignmentFormSet(BaseInlineFormSet):
    """A project's team assignments. The teams a new row may choose are read once for the whole formset."""

    @cached_property
    def assignable_teams(self) -> dict:
        assigned = {assignment.team_id for assignment in self.get_queryset()}
        teams = self.instance.organization.teams.order_by("name") if self.instance.pk else []
        return {str(team.pk): team for team in teams if team.pk not in assigned}

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "teams": self.assignable_teams}


class TeamAssignmentForm(ServiceModelForm):
    team = forms.ChoiceField(label="Team")
    roles = _roles_field(catalogue.PROJECT_ROLE_CHOICES, catalogue.DEFAULT_PROJECT_ROLE)

    class Meta:
        model = TeamProjectAssignment
        fields = ()

    def __init__(self, *args, teams=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.teams = teams or {}
        if self.instance.pk:
            self.fields["team"] = forms.CharField(
                label="Team", disabled=True, required=False, initial=self.instance.team.name
            )
            self.fields["roles"].initial = self.instance.role_names
        else:
            self.fields["team"].choices = [("", "---------"), *((pk, t.name) for pk, t in self.teams.items())]

    def clean_team(self):
        if self.instance.pk:
            return self.instance.team
        return self.teams[self.cleaned_data["team"]]


# ---- users ------------------------------------------------------------------------------------------------------


def _normalized_email(email) -> str:
    return User.objects.normalize_email(email).lower()


def _person_name(form, field, what) -> str:
    try:
        return clean_person_name(form.cleaned_data.get(field), field=field, what=what)
    except ServiceError as error:
        raise forms.ValidationError(error.message) from None


class _PersonNames:
    """First and last names obey the rule every name obeys (no control, bidi or zero-width characters)."""

    def clean_first_name(self):
        return _person_name(self, "first_name", "first name")

    def clean_last_name(self):
        return _person_name(self, "last_name", "last name")


class UserCreationForm(_PersonNames, auth_forms.AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "first_name", "last_name")

    def clean_email(self):
        return _normalized_email(self.cleaned_data["email"])


class UserChangeForm(_PersonNames, auth_forms.UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "groups" in self.fields and self.instance.pk is not None:
            # The field lists staff groups only: a team's or an organization role's group is not the page's to
            # show or change (it follows the team or the role), so it is not among the initial choices either.
            self.initial["groups"] = list(staff_groups(self.instance.groups.all()).values_list("pk", flat=True))

    def clean_email(self):
        return _normalized_email(self.cleaned_data["email"])

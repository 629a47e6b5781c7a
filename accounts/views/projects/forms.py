"""Forms of the Projects tab and of a project's Access tab. They only check the shape of the input; the rules
(who may, the last owner, no escalation) are the services'."""

import re

from django import forms

from accounts import roles
from accounts.services.invitations import INVITATIONS_PER_REQUEST_MAX

DEFAULT_ROLE_HELP = f"None picked: {roles.label(roles.DEFAULT_PROJECT_ROLE)}."


def _project_roles_field(*, required):
    return forms.MultipleChoiceField(
        label="Project roles",
        choices=roles.PROJECT_ROLE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=required,
        help_text="" if required else DEFAULT_ROLE_HELP,
    )


def _roles_or_default(form):
    return form.cleaned_data.get("roles") or [roles.DEFAULT_PROJECT_ROLE]


class ProjectCreateForm(forms.Form):
    name = forms.CharField(label="Project name", max_length=64)


class JoinRequestForm(forms.Form):
    message = forms.CharField(
        label="Message to the project's owners",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why you need access (optional, at most 500 characters). The owners see it with your request.",
    )


class ProjectUsersAddForm(forms.Form):
    """Add people by email: members of the organization join the project at once, others are invited. The
    default role applies only when no role is picked (none is ticked beforehand)."""

    emails = forms.CharField(
        label="Email addresses",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One or more, separated by commas, spaces or new lines. Members of the organization are added "
        "at once; anyone else is sent an invitation.",
    )
    roles = _project_roles_field(required=False)

    def clean_emails(self):
        emails = [e for e in re.split(r"[\s,;]+", self.cleaned_data["emails"]) if e]
        if len(emails) > INVITATIONS_PER_REQUEST_MAX:
            raise forms.ValidationError(
                f"At most {INVITATIONS_PER_REQUEST_MAX} addresses can be added at once; you gave {len(emails)}."
            )
        return emails

    def roles_or_default(self):
        return _roles_or_default(self)


class RolesForm(forms.Form):
    """A direct member's or a team's project roles, replaced as a whole (at least one)."""

    roles = _project_roles_field(required=True)


class TeamAddForm(forms.Form):
    team = forms.ChoiceField(label="Team")
    roles = _project_roles_field(required=False)

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = list(teams)  # (public id, name) pairs

    def roles_or_default(self):
        return _roles_or_default(self)

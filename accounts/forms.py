"""Forms of the customers' pages. They only check the shape of the input; the rules are the services'."""

import re

from django import forms

from . import roles
from .services.invitations import INVITATIONS_PER_REQUEST_MAX


class InviteForm(forms.Form):
    emails = forms.CharField(
        label="Email addresses",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One or more, separated by commas, spaces or new lines.",
    )
    roles = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple)
    teams = forms.ModelMultipleChoiceField(queryset=None, required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, role_choices, default_role, teams=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["roles"].choices = role_choices
        self.fields["roles"].initial = [default_role]
        if teams is None:
            del self.fields["teams"]
        else:
            self.fields["teams"].queryset = teams

    def clean_emails(self):
        emails = [e for e in re.split(r"[\s,;]+", self.cleaned_data["emails"]) if e]
        if len(emails) > INVITATIONS_PER_REQUEST_MAX:  # the services' cap, said on the field
            raise forms.ValidationError(
                f"At most {INVITATIONS_PER_REQUEST_MAX} addresses can be invited at once; you gave {len(emails)}."
            )
        return emails


def organization_invite_form(organization, data=None):
    return InviteForm(
        data,
        role_choices=roles.ORGANIZATION_ROLE_CHOICES,
        default_role=roles.DEFAULT_ORGANIZATION_ROLE,
        teams=organization.teams.order_by("name"),
        prefix="invite",
    )


def project_invite_form(data=None):
    return InviteForm(
        data,
        role_choices=roles.PROJECT_ROLE_CHOICES,
        default_role=roles.DEFAULT_PROJECT_ROLE,
        prefix="invite",
    )

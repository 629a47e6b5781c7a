"""Forms of the customers' pages. They only check the shape of the input; the rules are the services'."""

import re

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from . import roles
from .services.invitations import INVITATIONS_PER_REQUEST_MAX


class InviteForm(forms.Form):
    emails = forms.CharField(
        label="Email addresses",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One or more, separated by commas, spaces or new lines.",
    )
    roles = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple, required=False)
    teams = forms.ModelMultipleChoiceField(queryset=None, required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, role_choices, default_role, teams=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Nothing ticked to start with: the default role applies only when no role is picked (ticked by default,
        # it stayed ticked beside the role picked and granted both).
        self.default_role = default_role
        self.fields["roles"].choices = role_choices
        self.fields["roles"].help_text = f"{roles.label(default_role)} when none is picked."
        if teams is None:
            del self.fields["teams"]
        else:
            self.fields["teams"].queryset = teams

    def clean_roles(self):
        return self.cleaned_data["roles"] or [self.default_role]

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


class MemberRolesForm(forms.Form):
    """A member's organization roles, ticked as they are; at least one (the service refuses the rest)."""

    roles = forms.MultipleChoiceField(
        label="Organization roles",
        choices=roles.ORGANIZATION_ROLE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Pick at least one role; to take every role away, remove the member."},
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)


def member_roles_form(user, data=None, *, initial=None):
    """The roles form of one member: its own prefix, so that many on one page keep distinct ids."""
    return MemberRolesForm(data, initial={"roles": initial or []}, prefix=f"member-{user.public_id}")


class InvitationSignupForm(forms.Form):
    """The invitee who has no account yet signs up with the invited address while accepting."""

    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    password = forms.CharField(widget=forms.PasswordInput, min_length=8)

    def clean_password(self):
        password = self.cleaned_data["password"]
        try:
            validate_password(password)
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from None
        return password

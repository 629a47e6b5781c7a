"""Forms of the customers' pages. They read input; every rule is the services' (the grant types a form offers
come from ``support.rules``, which the service applies again)."""

from django import forms

from . import rules
from .models import SupportAccessGrant

DURATION_CHOICES = [("", "24 hours (the longest)"), ("12", "12 hours"), ("4", "4 hours"), ("1", "1 hour")]


class GrantForm(forms.Form):
    """Grant support staff temporary access to one cluster."""

    grant_type = forms.ChoiceField(label="Access", widget=forms.RadioSelect)
    hours = forms.TypedChoiceField(
        label="For", choices=DURATION_CHOICES, coerce=int, empty_value=None, required=False
    )

    def __init__(self, *args, grant_types=None, **kwargs):
        """``grant_types``: the types to offer (default: every one; the service refuses those it must)."""
        super().__init__(*args, **kwargs)
        labels = dict(SupportAccessGrant.GrantType.choices)
        offered = SupportAccessGrant.GrantType.values if grant_types is None else grant_types
        self.fields["grant_type"].choices = [(value, labels[value]) for value in offered]
        if offered:
            self.fields["grant_type"].initial = offered[0]

    @classmethod
    def offering(cls, *, restricted: bool, sync_enabled: bool, **kwargs):
        """The form for a cluster's row: only the types that the block and the cluster allow now."""
        return cls(
            grant_types=rules.grant_types_offered(restricted=restricted, sync_enabled=sync_enabled), **kwargs
        )


class OrganizationSettingsForm(forms.Form):
    restrict_employee_access = forms.BooleanField(
        label="Block support access to infrastructure",
        required=False,
        help_text="Support staff then reach a cluster's infrastructure and logs only while a project owner "
        "grants it, for at most 24 hours. Blocking may lengthen the time support takes to resolve an issue.",
    )
    api_access_list_required = forms.BooleanField(
        label="Require an IP access list for API keys",
        required=False,
        help_text="The organization's API keys are refused unless they have an IP access list.",
    )
    multi_factor_auth_required = forms.BooleanField(
        label="Require two-factor authentication",
        required=False,
        help_text="Members without it are sent to set it up before they reach the organization. Set it up "
        "for your own account first.",
    )

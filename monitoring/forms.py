"""Forms of the monitoring pages. They read input; every rule is the services'."""

from django import forms

from .models import GroupRole


class AttachForm(forms.Form):
    username = forms.CharField(label="Monitoring user name", max_length=254)
    email = forms.EmailField(
        label="Email address",
        required=False,
        help_text="Needed only for a monitoring user new to the portal whose user name is not an email address.",
    )
    group_role = forms.ChoiceField(
        label="Role in every group", choices=GroupRole.choices, initial=GroupRole.MEMBER
    )
    linked_user = forms.EmailField(
        label="Portal user (email)",
        required=False,
        help_text="The organization member this monitoring user belongs to, so that offboarding them removes "
        "both. Empty: the member with the same email address.",
    )


class GroupCreateForm(forms.Form):
    name = forms.CharField(
        label="Group name", max_length=128, help_text="Names starting with mongolab_ are the system's."
    )


class MemberAddForm(forms.Form):
    username = forms.CharField(label="Monitoring user name", max_length=254)
    email = forms.EmailField(label="Email address", required=False)
    role = forms.ChoiceField(label="Role", choices=GroupRole.choices, initial=GroupRole.MEMBER)

"""A person's own pages: the profile (names, time zone) and the welcome page of someone in no organization yet
(create one and own it, or ask to join a project)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import path

from .. import selectors
from ..errors import ServiceError
from ..services import organization_create
from ..services.join_requests import join_ask_record
from ..services.signin import time_zone_names, user_profile_update
from .home import join_asked_message


class ProfileForm(forms.Form):
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    time_zone = forms.ChoiceField(help_text="Times on the pages are shown in this zone.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [(name, name) for name in sorted(time_zone_names())]


class OrganizationCreateForm(forms.Form):
    name = forms.CharField(label="Organization name", max_length=64)


class JoinProjectForm(forms.Form):
    project_id = forms.CharField(label="Project ID", max_length=24, help_text="Ask a project owner for it.")
    message = forms.CharField(label="Message to the owners", max_length=500, required=False)


@login_required
def profile(request):
    user = request.user
    form = ProfileForm(
        request.POST or None,
        initial={"first_name": user.first_name, "last_name": user.last_name, "time_zone": user.time_zone},
    )
    if request.method == "POST" and form.is_valid():
        try:
            user_profile_update(user=user, **form.cleaned_data)
        except ServiceError as error:
            form.add_error(error.parameters.get("field"), error.message)
        else:
            messages.success(request, "Your profile was saved.")
            return redirect("accounts:account_profile")
    return render(
        request,
        "accounts/profile.html",
        {"form": form, "has_two_factor": selectors.user_has_two_factor(user)},
    )


@login_required
def welcome(request):
    """Where a newly registered person starts: create their first organization (they become its owner), or
    ask to join a project whose id they were given."""
    create_form, join_form = OrganizationCreateForm(prefix="create"), JoinProjectForm(prefix="join")
    if request.method == "POST" and request.POST.get("action") == "create":
        create_form = OrganizationCreateForm(request.POST, prefix="create")
        if create_form.is_valid():
            try:
                organization = organization_create(name=create_form.cleaned_data["name"], actor=request.user)
            except ServiceError as error:
                create_form.add_error("name", error.message)
            else:
                messages.success(request, f"You own the new organization {organization.name}.")
                return redirect("accounts:organization_access", organization.public_id)
    elif request.method == "POST" and request.POST.get("action") == "join":
        join_form = JoinProjectForm(request.POST, prefix="join")
        if join_form.is_valid():
            project_id = join_form.cleaned_data["project_id"].strip()
            try:  # the same answer and work whatever the id names: see join_ask_record
                join_ask_record(
                    user=request.user, project_id=project_id, message=join_form.cleaned_data["message"]
                )
            except ServiceError as error:
                join_form.add_error("project_id", error.message)
            else:
                messages.success(request, join_asked_message(project_id))
                return redirect("accounts:home")
    return render(request, "accounts/welcome.html", {"create_form": create_form, "join_form": join_form})


urlpatterns = [
    path("welcome/", welcome, name="welcome"),
    path("accounts/profile/", profile, name="account_profile"),
]

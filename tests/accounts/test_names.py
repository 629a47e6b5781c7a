"""Names refuse control, bidi-override and zero-width characters, with a 400 naming the field; and an email
that cannot be sent (a header it cannot carry, a template that fails) ends FAILED with the reason, never QUEUED."""

import pytest
from django.core import mail
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.errors import ServiceError
from accounts.models import Invitation, OutboundEmail, Project
from accounts.services import organization_create, project_create, project_rename, team_create
from accounts.services.api_keys import api_key_create
from accounts.services.invitations import organization_invitations_create, project_invitations_create
from monitoring.models import MonitoringUser

pytestmark = pytest.mark.django_db

V2 = "/api/atlas/v2"
UNSAFE = [
    pytest.param("Evil\nBcc: victim@example.com", id="newline"),
    pytest.param("Evil\r\nSubject: x", id="crlf"),
    pytest.param("nul\x00byte", id="nul"),
    pytest.param("bell\x07", id="control"),
    pytest.param("invoice\u202egpj.exe", id="bidi-override"),
    pytest.param("iso\u2066late\u2069", id="bidi-isolate"),
    pytest.param("zero\u200bwidth", id="zero-width-space"),
    pytest.param("join\u200der", id="zero-width-joiner"),
    pytest.param("bom\ufeff", id="byte-order-mark"),
    pytest.param("line\u2028separator", id="line-separator"),
]


@pytest.fixture
def api(owner):
    client = APIClient()
    client.force_login(owner)
    return client


def refused(call, field):
    with pytest.raises(ServiceError) as caught:
        call()
    assert caught.value.code == "VALIDATION_ERROR"
    assert caught.value.parameters["field"] == field
    return caught.value


@pytest.mark.parametrize("name", UNSAFE)
def test_every_service_name_refuses_unsafe_characters(organization, project, owner, name):
    refused(lambda: organization_create(name=name, actor=owner), "name")
    refused(lambda: project_create(organization=organization, name=name, actor=owner), "name")
    refused(lambda: project_rename(project=project, name=name, actor=owner), "name")
    refused(lambda: team_create(organization=organization, name=name, actor=owner), "name")
    refused(
        lambda: api_key_create(
            organization=organization, description=name, roles=["ORG_MEMBER"], actor=owner
        ),
        "desc",
    )
    assert Project.objects.get(pk=project.pk).name == "Production"


def test_the_refusal_names_the_characters(organization, owner):
    error = refused(
        lambda: project_create(organization=organization, name="a\u202eb\nc", actor=owner), "name"
    )
    assert "U+202E" in error.message and "U+000A" in error.message


def test_ordinary_international_names_are_accepted(organization, owner):
    for name in ("Équipe Données", "日本語チーム", "Команда", "O'Brien & Sons (EU-1)"):
        assert team_create(organization=organization, name=name, actor=owner).name == name


def test_an_email_address_with_a_bidi_override_is_not_an_address(organization, owner):
    refused(
        lambda: organization_invitations_create(
            organization=organization, emails=["x@exa\u202emple.com"], actor=owner
        ),
        "username",
    )


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/orgs", {"name": "Evil\nBcc: victim@example.com"}, "name"),
        ("/groups", {"name": "Evil\nBcc: victim@example.com", "orgId": None}, "name"),
        ("/orgs/{org}/teams", {"name": "te\u202eam", "usernames": []}, "name"),
        ("/orgs/{org}/apiKeys", {"desc": "key\u200b", "roles": ["ORG_MEMBER"]}, "desc"),
        (
            "/orgs/{org}/monitoringUsers",
            {"username": "mon\u202eitor", "emailAddress": "m@example.com"},
            "username",
        ),
    ],
)
def test_the_api_answers_400_validation_error_naming_the_field(api, organization, path, body, field):
    if "orgId" in body:
        body["orgId"] = organization.public_id
    response = api.post(V2 + path.format(org=organization.public_id), body, format="json")

    assert response.status_code == 400, response.content
    assert response.json()["errorCode"] == "VALIDATION_ERROR"
    assert field in response.json()["parameters"]
    assert not MonitoringUser.objects.exists()


def test_a_signup_name_with_a_control_character_is_a_form_error(
    client, organization, owner, settings, django_capture_on_commit_callbacks
):
    import re

    with django_capture_on_commit_callbacks(execute=True):
        organization_invitations_create(organization=organization, emails=["new@example.com"], actor=owner)
    path = re.search(r"/invitations/[^/\s]+/", mail.outbox[-1].body).group(0)

    response = client.post(
        path, {"first_name": "Eve\x1b[31m", "last_name": "X", "password": "a-long-pass-phrase"}
    )

    assert response.status_code == 400
    assert "first name" in response.content.decode()
    assert Invitation.objects.get().status == Invitation.Status.PENDING


# ---- an email that cannot be sent ends FAILED ------------------------------------------------------------------


def test_a_name_that_breaks_the_subject_header_fails_the_email_not_the_request(
    organization, owner, django_capture_on_commit_callbacks
):
    """Data from before the rule (or written around the services): the invitation is committed and the
    request answers; the email is FAILED with the reason, not QUEUED forever. (The test's locmem backend
    builds the message as an SMTP or ESP backend would.)"""
    project = project_create(organization=organization, name="Legacy", actor=owner)
    Project.objects.filter(pk=project.pk).update(name="Evil\nBcc: victim@example.com")
    project.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        invitation = project_invitations_create(project=project, emails=["new@example.com"], actor=owner)[0]

    email = OutboundEmail.objects.get(invitation=invitation)
    assert email.status == OutboundEmail.Status.FAILED
    assert "BadHeaderError" in email.error or "newline" in email.error
    assert mail.outbox == []
    assert Invitation.objects.get(pk=invitation.pk).status == Invitation.Status.PENDING


def test_a_template_that_fails_fails_the_email(settings):
    email = OutboundEmail.objects.create(to="a@example.com", subject="s", template="accounts/email/no-such")
    from accounts.services.emails import email_send

    email_send(email_id=email.pk)

    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.FAILED
    assert "no-such" in email.error
    assert email.attempts == 1


def test_the_invitation_page_of_a_legacy_name_answers(
    client, organization, owner, django_capture_on_commit_callbacks
):
    """The invite page itself answers (not a 500) although the email fails."""
    project = project_create(organization=organization, name="Legacy", actor=owner)
    Project.objects.filter(pk=project.pk).update(name="Evil\nBcc: victim@example.com")
    client.force_login(owner)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:project_access", args=[project.public_id]),
            {"emails": "new@example.com", "roles": ["GROUP_READ_ONLY"]},
        )

    assert response.status_code == 302
    assert OutboundEmail.objects.get().status == OutboundEmail.Status.FAILED


def test_the_admin_refuses_such_a_person_name():
    from accounts.admin.forms import UserCreationForm

    form = UserCreationForm(
        data={
            "email": "new@example.com",
            "first_name": "Ann\u202e",
            "last_name": "Lee",
            "usable_password": "true",
            "password1": "a-long-pass-phrase-1",
            "password2": "a-long-pass-phrase-1",
        }
    )
    assert not form.is_valid()
    assert "first_name" in form.errors and "last_name" not in form.errors

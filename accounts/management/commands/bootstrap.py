"""Provisioning: an organization, its owner and a new ORG_OWNER API key, in one idempotent step."""

import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from accounts import roles
from accounts.errors import ServiceError
from accounts.models import Organization, OrganizationMembership
from accounts.services import organization_create, organization_member_add, organization_member_roles_set
from accounts.services.api_keys import api_key_create
from accounts.services.invitations import clean_emails
from accounts.services.signin import user_email_verified_set

# ``--service-account``: the app that has service accounts registers how to make one at start-up
# (``register_service_account_maker``), so that accounts does not depend on it.
_service_account_makers = []


def register_service_account_maker(maker) -> None:
    """``maker(organization=..., actor=None)`` -> (client id, client secret) of a new ORG_OWNER service account."""
    if maker not in _service_account_makers:
        _service_account_makers.append(maker)


class Command(BaseCommand):
    help = (
        "Create the organization NAME and its owner EMAIL if they do not exist (idempotent on the name), then a "
        'new ORG_OWNER API key. With --json, print one line {"orgId", "ownerId", "publicKey", "privateKey"}; with '
        '--service-account, a new ORG_OWNER service account instead: {"orgId", "ownerId", "clientId", "clientSecret"}.'
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="organization name")
        parser.add_argument("--owner-email", required=True, help="the owner's email address")
        parser.add_argument("--json", action="store_true", help="print one JSON line for scripts")
        parser.add_argument("--key-description", default="bootstrap", help="the API key's description")
        parser.add_argument(
            "--service-account",
            action="store_true",
            help="make an ORG_OWNER service account (OAuth 2.0 client credentials) instead of an API key",
        )

    def handle(self, *args, org, owner_email, json=False, key_description="bootstrap", **options):
        if options.get("service_account"):
            return self._with_service_account(org, owner_email, json)
        try:
            with transaction.atomic():
                _serialize_bootstraps_of(org)
                organization, owner = self._organization_and_owner(org, owner_email)
                api_key, private_key = api_key_create(
                    organization=organization,
                    description=key_description,
                    roles=[roles.ORG_OWNER],
                    actor=None,
                )
        except ServiceError as error:
            raise CommandError(f"{error.code}: {error.message}") from None
        result = {
            "orgId": organization.public_id,
            "ownerId": owner.public_id,
            "publicKey": api_key.public_key,
            "privateKey": private_key,
        }
        if json:
            self.stdout.write(_json_line(result))
        else:
            self.stdout.write(
                f"Organization {organization.name} ({organization.public_id}), owner {owner.email}.\n"
                f"API key {api_key.public_key}, private key {private_key} (shown only now; keep it safe)."
            )

    def _with_service_account(self, org, owner_email, json):
        if not _service_account_makers:
            raise CommandError("Service accounts are not installed (the serviceaccounts app).")
        try:
            with transaction.atomic():
                _serialize_bootstraps_of(org)
                organization, owner = self._organization_and_owner(org, owner_email)
                client_id, client_secret = _service_account_makers[0](organization=organization, actor=None)
        except ServiceError as error:
            raise CommandError(f"{error.code}: {error.message}") from None
        result = {
            "orgId": organization.public_id,
            "ownerId": owner.public_id,
            "clientId": client_id,
            "clientSecret": client_secret,
        }
        if json:
            self.stdout.write(_json_line(result))
        else:
            self.stdout.write(
                f"Organization {organization.name} ({organization.public_id}), owner {owner.email}.\n"
                f"Service account {client_id}, client secret {client_secret} (shown only now; keep it safe)."
            )

    def _organization_and_owner(self, name, email):
        User = get_user_model()
        email = clean_emails([email])[0]
        owner = User.objects.filter(email__iexact=email).first()
        if owner is None:
            owner = User.objects.create_user(email, None)  # sets a password through "forgot password"
            user_email_verified_set(user=owner)  # the operator named the address
        matches = list(Organization.objects.filter(name=name)[:2])
        if len(matches) > 1:
            raise CommandError(f"Several organizations are named {name!r}; cannot tell which one to use.")
        if not matches:
            return organization_create(name=name, actor=None, owner=owner), owner
        organization = matches[0]
        membership = OrganizationMembership.objects.filter(organization=organization, user=owner).first()
        if membership is None:
            organization_member_add(
                organization=organization, user=owner, roles=[roles.ORG_OWNER], actor=None
            )
        elif roles.ORG_OWNER not in membership.role_names:
            organization_member_roles_set(
                organization=organization,
                user=owner,
                roles=[*membership.role_names, roles.ORG_OWNER],
                actor=None,
            )
        return organization, owner


def _serialize_bootstraps_of(name: str) -> None:
    """Two provisioning runs for one new name must not make two organizations: on PostgreSQL they queue on an
    advisory lock held until commit (SQLite's IMMEDIATE transactions queue them already)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"accessportal.bootstrap:{name}"])


def _json_line(result) -> str:
    return json.dumps(result, separators=(",", ":"))

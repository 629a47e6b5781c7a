"""`manage.py bootstrap`: the organization and its owner (idempotent on the name), then a new ORG_OWNER API
key, printed as one JSON line for scripts."""

import io
import json
import os
import re
import sqlite3
import subprocess
import sys
import threading

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from requests.auth import HTTPDigestAuth
from requests.utils import parse_dict_header

from accessportal.api.digest import challenge_header, parse_authorization, verify_response
from accounts import roles
from accounts.digest import HA1_ALGORITHMS, compute_ha1, get_realm
from accounts.models import ApiKey, AuditEvent, Organization, OrganizationMembership
from accounts.services import organization_create, organization_member_add
from accounts.services.api_keys import api_key_ha1
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ARGS = ("--org", "Acme", "--owner-email", "Ops@Example.com", "--json")
KEYS = {"orgId", "ownerId", "publicKey", "privateKey"}
UUID_SHAPE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def bootstrap(*args) -> dict:
    """Run the command; it must print exactly one line, a JSON object."""
    out = io.StringIO()
    call_command("bootstrap", *args, stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1, out.getvalue()
    return json.loads(lines[0])


def people():
    return get_user_model().objects.filter(is_service_account=False)


def roles_of(user, organization):
    return OrganizationMembership.objects.get(organization=organization, user=user).role_names


def test_prints_one_json_line_with_exactly_the_organization_owner_and_key(db):
    result = bootstrap(*ARGS)

    assert set(result) == KEYS
    organization = Organization.objects.get(name="Acme")
    owner = people().get()
    api_key = ApiKey.objects.get()
    assert result["orgId"] == organization.public_id
    assert result["ownerId"] == owner.public_id
    assert result["publicKey"] == api_key.public_key
    assert re.fullmatch(r"[a-z]{8}", result["publicKey"])
    assert UUID_SHAPE.fullmatch(result["privateKey"])
    assert api_key.organization == organization


def test_creates_the_owner_with_the_email_lowercased_as_org_owner(db):
    bootstrap(*ARGS)

    owner = people().get()
    assert owner.email == "ops@example.com"
    assert not owner.is_service_account
    assert roles_of(owner, Organization.objects.get(name="Acme")) == [roles.ORG_OWNER]


def test_the_new_key_is_an_org_owner_key_acting_through_a_service_account(db):
    result = bootstrap(*ARGS)

    api_key = ApiKey.objects.get(public_key=result["publicKey"])
    organization = Organization.objects.get(public_id=result["orgId"])
    assert roles_of(api_key.user, organization) == [roles.ORG_OWNER]
    key_user = get_user_model().objects.get(pk=api_key.user_id)
    assert key_user.is_service_account
    assert key_user.has_perm("accounts.manage_api_keys", organization)
    assert AuditEvent.objects.filter(
        event_type=AuditEvent.Type.API_KEY_CREATED, target_id=api_key.public_id
    ).exists()


def test_running_again_reuses_the_organization_and_owner_and_adds_another_key(db):
    first = bootstrap(*ARGS)
    second = bootstrap(*ARGS)

    assert (second["orgId"], second["ownerId"]) == (first["orgId"], first["ownerId"])
    assert second["publicKey"] != first["publicKey"]
    assert second["privateKey"] != first["privateKey"]
    assert Organization.objects.filter(name="Acme").count() == 1
    assert people().count() == 1
    assert ApiKey.objects.count() == 2
    organization = Organization.objects.get(public_id=first["orgId"])
    assert roles_of(people().get(), organization) == [roles.ORG_OWNER]


@pytest.mark.parametrize("algorithm", HA1_ALGORITHMS)
def test_the_printed_private_key_verifies_against_the_stored_ha1(db, algorithm):
    result = bootstrap(*ARGS)
    api_key = ApiKey.objects.get(public_key=result["publicKey"])
    stored_ha1 = api_key_ha1(api_key, algorithm)

    assert stored_ha1 == compute_ha1(result["publicKey"], get_realm(), result["privateKey"], algorithm)
    for password, verifies in ((result["privateKey"], True), ("not-the-private-key", False)):
        auth = HTTPDigestAuth(result["publicKey"], password)
        auth.init_per_thread_state()
        auth._thread_local.chal = parse_dict_header(
            challenge_header(algorithm=algorithm).removeprefix("Digest ")
        )
        credentials = parse_authorization(auth.build_digest_header("GET", "http://testserver/api/atlas/v2"))
        assert verify_response(credentials, method="GET", ha1=stored_ha1) is verifies


def test_an_existing_member_named_as_owner_is_made_org_owner(db):
    founder = UserFactory()
    organization = organization_create(name="Acme", actor=founder)
    ops = UserFactory(email="ops@example.com")
    organization_member_add(organization=organization, user=ops, roles=[roles.ORG_READ_ONLY], actor=founder)

    result = bootstrap(*ARGS)

    assert result["orgId"] == organization.public_id
    assert result["ownerId"] == ops.public_id
    assert roles_of(ops, organization) == [roles.ORG_OWNER, roles.ORG_READ_ONLY]
    assert roles_of(founder, organization) == [roles.ORG_OWNER]
    assert Organization.objects.count() == 1
    assert get_user_model().objects.get(pk=ops.pk).has_perm("accounts.manage_teams", organization)


def test_an_existing_user_outside_the_organization_named_as_owner_joins_it_as_org_owner(db):
    founder = UserFactory()
    organization = organization_create(name="Acme", actor=founder)
    ops = UserFactory(email="ops@example.com")

    result = bootstrap(*ARGS)

    assert result["ownerId"] == ops.public_id
    assert roles_of(ops, organization) == [roles.ORG_OWNER]


def test_an_existing_user_is_found_whatever_the_case_of_the_email(db):
    ops = UserFactory(email="ops@example.com")

    result = bootstrap("--org", "Acme", "--owner-email", "OPS@EXAMPLE.COM", "--json")

    assert result["ownerId"] == ops.public_id
    assert people().count() == 1


def test_without_json_it_says_the_private_key_is_shown_only_now(db):
    out = io.StringIO()
    call_command("bootstrap", "--org", "Acme", "--owner-email", "ops@example.com", stdout=out)

    api_key = ApiKey.objects.get()
    assert api_key.public_key in out.getvalue()
    assert "shown only now" in out.getvalue()


@pytest.mark.parametrize("name", ["", "x" * 65])
def test_a_refused_bootstrap_leaves_nothing_behind(db, name):
    users_before = get_user_model().objects.count()

    with pytest.raises(CommandError):
        call_command(
            "bootstrap", "--org", name, "--owner-email", "new@example.com", "--json", stdout=io.StringIO()
        )

    assert get_user_model().objects.count() == users_before
    assert not Organization.objects.exists()
    assert not ApiKey.objects.exists()


def test_two_organizations_of_that_name_are_refused_rather_than_guessed(db):
    founder = UserFactory()
    organization_create(name="Acme", actor=founder)
    organization_create(name="Acme", actor=founder)

    with pytest.raises(CommandError, match="Several organizations"):
        call_command("bootstrap", *ARGS, stdout=io.StringIO())
    assert not ApiKey.objects.exists()


def _manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )


def test_as_a_real_process_it_prints_a_single_json_line_on_stdout(tmp_path, schema_cache):
    database = tmp_path / "bootstrap.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    if not (schema_cache and schema_cache.copy_sqlite(database)):  # the suite's migrated copy, or migrate
        _manage("migrate", "--noinput", env=env)

    runs = [_manage("bootstrap", *ARGS, env=env).stdout for _ in range(2)]

    first, second = (json.loads(stdout) for stdout in runs)
    assert all(len(stdout.splitlines()) == 1 for stdout in runs), runs
    assert set(first) == set(second) == KEYS
    assert (second["orgId"], second["ownerId"]) == (first["orgId"], first["ownerId"])
    assert second["publicKey"] != first["publicKey"]
    with sqlite3.connect(database) as db:
        organizations = db.execute("SELECT public_id FROM accounts_organization").fetchall()
        keys = db.execute("SELECT public_key FROM accounts_apikey ORDER BY id").fetchall()
    assert organizations == [(first["orgId"],)]
    assert keys == [(first["publicKey"],), (second["publicKey"],)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_bootstraps_racing_for_one_name_make_one_organization():
    """Deploy jobs started together must not make two organizations of one name (after which every later
    bootstrap is refused as ambiguous). Each run holds its own connection and transaction. BUG (open): the
    command reads "is there an organization of this name?" without a lock, so on PostgreSQL both runs see
    none and both create one."""
    UserFactory(email="ops@example.com")
    barrier = threading.Barrier(2)
    outcomes = []

    def run():
        try:
            barrier.wait()
            bootstrap(*ARGS)
            outcomes.append("ok")
        except Exception as error:  # the outcome is what the test compares
            outcomes.append(type(error).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert Organization.objects.filter(name="Acme").count() == 1, outcomes
    assert outcomes == ["ok", "ok"]
    assert ApiKey.objects.count() == 2

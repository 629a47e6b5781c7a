"""Organization API keys (services): the key pair and what is kept of it, the service account a key acts
through, who may create and change keys, project assignments, deletion, and the IP access list."""

import re

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.apps import apps
from django.contrib.auth import authenticate, get_user_model

from accounts import roles
from accounts.digest import HA1_ALGORITHMS, compute_ha1, get_realm
from accounts.errors import ServiceError
from accounts.models import (
    ApiKey,
    ApiKeyAccessListEntry,
    AuditEvent,
    OrganizationMembership,
    OrganizationUserObjectPermission,
    ProjectMembership,
    ProjectUserObjectPermission,
)
from accounts.services import (
    organization_create,
    organization_member_remove,
    organization_member_roles_set,
    project_create,
    project_member_add,
    project_member_remove,
    team_create,
)
from accounts.services.api_keys import (
    api_key_access_list_add,
    api_key_access_list_remove,
    api_key_create,
    api_key_delete,
    api_key_ha1,
    api_key_project_assign,
    api_key_project_roles_set,
    api_key_project_unassign,
    api_key_update,
    decrypt_secret,
)
from tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db

Event = AuditEvent.Type
UUID_SHAPE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def fresh(user):
    """Django caches permissions on the user object; ask a fresh one."""
    return get_user_model().objects.get(pk=user.pk)


def new_key(organization, actor, key_roles=(roles.ORG_MEMBER,), description="CI deploys"):
    return api_key_create(
        organization=organization, description=description, roles=list(key_roles), actor=actor
    )


def refused(code, call, **kwargs):
    with pytest.raises(ServiceError) as error:
        call(**kwargs)
    assert error.value.code == code, error.value
    return error.value


# --- The key pair ------------------------------------------------------------------------------------------


def test_public_key_is_eight_lowercase_letters_and_unique(organization, owner):
    keys = [new_key(organization, owner)[0].public_key for _ in range(5)]

    assert all(re.fullmatch(r"[a-z]{8}", key) for key in keys), keys
    assert len(set(keys)) == len(keys)


def test_private_key_is_uuid_shaped_and_differs_between_keys(organization, owner):
    (_, first), (_, second) = new_key(organization, owner), new_key(organization, owner)

    assert UUID_SHAPE.fullmatch(first), first
    assert UUID_SHAPE.fullmatch(second), second
    assert first != second


def test_private_key_carries_128_random_bits_not_the_122_of_a_uuid4(organization, owner):
    """Every one of the 32 hex digits is random: a uuid4 would fix the version digit (always 4) and the variant
    digit (one of 8, 9, a, b). Over 48 keys a uniformly random digit takes more than 4 values except with
    probability below 2**-90."""
    private_keys = [new_key(organization, owner)[1].replace("-", "") for _ in range(48)]

    distinct_per_position = [len({key[i] for key in private_keys}) for i in range(32)]
    assert min(distinct_per_position) > 4, distinct_per_position


def test_creation_records_roles_creator_and_an_audit_event_without_the_secret(organization, owner):
    api_key, private_key = new_key(organization, owner, [roles.ORG_READ_ONLY], description=" Deploy bot ")

    assert api_key.description == "Deploy bot"
    assert api_key.created_by == owner
    assert api_key.last_used_at is None
    membership = OrganizationMembership.objects.get(organization=organization, user=api_key.user)
    assert membership.role_names == [roles.ORG_READ_ONLY]
    event = AuditEvent.objects.get(event_type=Event.API_KEY_CREATED)
    assert event.actor == owner
    assert event.organization == organization
    assert event.target_id == api_key.public_id
    assert event.details == {
        "publicKey": api_key.public_key,
        "roles": [roles.ORG_READ_ONLY],
        "desc": "Deploy bot",
    }


# --- What is stored: HA1 only, encrypted ------------------------------------------------------------------


def _every_stored_value():
    """Every column of every row of every table, as text."""
    for model in apps.get_models(include_auto_created=True):
        for row in model._base_manager.values_list():
            yield from (str(value).lower() for value in row)


def test_neither_the_private_key_nor_an_ha1_is_stored_in_clear_anywhere(organization, owner):
    api_key, private_key = new_key(organization, owner, [roles.ORG_OWNER])
    secrets_in_clear = {
        private_key,
        private_key.replace("-", ""),
        *(compute_ha1(api_key.public_key, get_realm(), private_key, alg) for alg in HA1_ALGORITHMS),
    }

    stored = list(_every_stored_value())
    row = ApiKey.objects.filter(pk=api_key.pk).values().get()
    assert stored and api_key.public_key in stored  # the scan does see the key's row
    leaks = [(secret, value) for value in stored for secret in secrets_in_clear if secret in value]
    assert leaks == []
    assert not any(secret in str(value).lower() for value in row.values() for secret in secrets_in_clear)
    assert not hasattr(api_key, "private_key")


def test_stored_ha1_columns_decrypt_to_the_digest_ha1_of_each_algorithm(organization, owner):
    api_key, private_key = new_key(organization, owner)
    row = ApiKey.objects.get(pk=api_key.pk)
    expected = {alg: compute_ha1(api_key.public_key, get_realm(), private_key, alg) for alg in HA1_ALGORITHMS}

    assert row.realm == get_realm()
    assert decrypt_secret(row.ha1_md5_encrypted) == expected["MD5"]
    assert decrypt_secret(row.ha1_sha256_encrypted) == expected["SHA-256"]
    assert {alg: api_key_ha1(row, alg) for alg in HA1_ALGORITHMS} == expected
    assert api_key_ha1(row, "SHA-512") is None


def test_ha1_is_encrypted_with_the_configured_key_which_can_be_rotated(organization, owner, settings):
    api_key, private_key = new_key(organization, owner)
    old_keys = list(settings.API_KEY_ENCRYPTION_KEYS)
    new_encryption_key = Fernet.generate_key().decode()

    settings.API_KEY_ENCRYPTION_KEYS = [new_encryption_key]
    with pytest.raises(InvalidToken):
        api_key_ha1(api_key, "MD5")

    settings.API_KEY_ENCRYPTION_KEYS = [new_encryption_key, *old_keys]
    assert api_key_ha1(api_key, "MD5") == compute_ha1(api_key.public_key, get_realm(), private_key, "MD5")


# --- A service account that acts like a person ------------------------------------------------------------


def test_key_acts_through_a_service_account_that_cannot_sign_in(organization, owner, client):
    api_key, private_key = new_key(organization, owner, [roles.ORG_OWNER])
    user = fresh(api_key.user)

    assert user.is_service_account
    assert user.is_active
    assert not user.has_usable_password()
    for password in (private_key, "", "!"):
        assert authenticate(username=user.email, password=password) is None
        assert client.login(username=user.email, password=password) is False
    assert "_auth_user_id" not in client.session


def test_org_owner_key_holds_the_guardian_permissions_of_its_role(organization, owner, project):
    owner_key, _ = new_key(organization, owner, [roles.ORG_OWNER])
    read_only_key, _ = new_key(organization, owner, [roles.ORG_READ_ONLY])

    owner_user, read_only_user = fresh(owner_key.user), fresh(read_only_key.user)
    assert owner_user.has_perm("accounts.manage_teams", organization)
    assert owner_user.has_perm("accounts.manage_api_keys", organization)
    assert owner_user.has_perm("accounts.manage_clusters", project)  # inherited, as for a person
    assert OrganizationUserObjectPermission.objects.filter(
        user=owner_user, permission__codename="manage_teams", content_object=organization
    ).exists()
    assert read_only_user.has_perm("accounts.view_project", project)
    assert not read_only_user.has_perm("accounts.manage_teams", organization)
    assert not read_only_user.has_perm("accounts.manage_clusters", project)


def test_a_key_acts_through_the_same_checks_and_audit_trail_as_a_person(organization, owner):
    owner_key, _ = new_key(organization, owner, [roles.ORG_OWNER])
    member_key, _ = new_key(organization, owner, [roles.ORG_MEMBER])

    team = team_create(organization=organization, name="Deployers", actor=fresh(owner_key.user))
    refused("USER_UNAUTHORIZED", team_create, organization=organization, name="X", actor=member_key.user)

    event = AuditEvent.objects.get(event_type=Event.TEAM_CREATED, target_id=team.public_id)
    assert event.actor == owner_key.user
    assert event.actor_email == owner_key.user.email


# --- Who may create and change keys ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "actor_role",
    [roles.ORG_MEMBER, roles.ORG_GROUP_CREATOR, roles.ORG_READ_ONLY, roles.ORG_BILLING_ADMIN],
)
def test_creating_a_key_needs_org_owner(organization, owner, actor_role):
    actor = MemberFactory(organization=organization, actor=owner, roles=[actor_role])
    users_before = get_user_model().objects.count()

    for key_roles in ([roles.ORG_MEMBER], [actor_role]):
        error = refused(
            "USER_UNAUTHORIZED",
            api_key_create,
            organization=organization,
            description="mine",
            roles=key_roles,
            actor=actor,
        )
        assert error.status == 403
    assert not ApiKey.objects.exists()
    assert get_user_model().objects.count() == users_before


def test_a_stranger_creating_a_key_is_told_the_organization_does_not_exist(organization):
    stranger = UserFactory()

    error = refused(
        "RESOURCE_NOT_FOUND",
        api_key_create,
        organization=organization,
        description="mine",
        roles=[roles.ORG_MEMBER],
        actor=stranger,
    )
    assert error.status == 404
    assert not ApiKey.objects.exists()


def test_a_non_owner_cannot_change_a_keys_roles_or_description(organization, owner):
    api_key, _ = new_key(organization, owner, [roles.ORG_MEMBER])
    creator = MemberFactory(organization=organization, actor=owner, roles=[roles.ORG_GROUP_CREATOR])

    refused("USER_UNAUTHORIZED", api_key_update, api_key=api_key, actor=creator, roles=[roles.ORG_OWNER])
    refused("USER_UNAUTHORIZED", api_key_update, api_key=api_key, actor=creator, description="renamed")
    refused(
        "RESOURCE_NOT_FOUND", api_key_update, api_key=api_key, actor=UserFactory(), roles=[roles.ORG_OWNER]
    )

    membership = OrganizationMembership.objects.get(user=api_key.user)
    assert membership.role_names == [roles.ORG_MEMBER]
    assert not fresh(api_key.user).has_perm("accounts.manage_teams", organization)
    assert ApiKey.objects.get(pk=api_key.pk).description == "CI deploys"


@pytest.mark.parametrize("bad_roles", [[], ["ORG_EMPEROR"], [roles.GROUP_OWNER]])
def test_key_roles_must_be_known_organization_roles(organization, owner, bad_roles):
    refused("INVALID_ROLE", new_key, organization=organization, actor=owner, key_roles=bad_roles)
    assert not ApiKey.objects.exists()


@pytest.mark.parametrize("description", ["", "   ", None, "x" * 251])
def test_description_must_have_1_to_250_characters(organization, owner, description):
    error = refused(
        "VALIDATION_ERROR", new_key, organization=organization, actor=owner, description=description
    )
    assert error.parameters == {"field": "desc"}
    assert not ApiKey.objects.exists()


def test_a_description_change_is_validated_and_audited(organization, owner):
    api_key, _ = new_key(organization, owner, description="CI deploys")

    refused("VALIDATION_ERROR", api_key_update, api_key=api_key, actor=owner, description=" ")
    refused("VALIDATION_ERROR", api_key_update, api_key=api_key, actor=owner, description="y" * 251)
    api_key_update(api_key=api_key, actor=owner, description="  Nightly backups ")

    assert ApiKey.objects.get(pk=api_key.pk).description == "Nightly backups"
    event = AuditEvent.objects.get(event_type=Event.API_KEY_DESCRIPTION_CHANGED)
    assert event.details == {"from": "CI deploys", "to": "Nightly backups"}


def test_a_key_with_the_longest_allowed_description_can_be_created_changed_and_deleted(organization, owner):
    """250 characters is allowed, so every audit row about such a key must fit its columns: str(api_key) is
    "<public key> (<description>)", 261 characters, and AuditEvent.target_name holds 254. PostgreSQL refuses
    an over-long value (DataError, a 500 in the API); SQLite stores it unchecked, hence the explicit check."""
    longest = "x" * 250
    api_key, _ = new_key(organization, owner, description=longest)
    api_key_update(api_key=api_key, actor=owner, roles=[roles.ORG_READ_ONLY])
    api_key_delete(api_key=api_key, actor=owner)

    assert api_key.description == longest
    limits = {
        field.name: field.max_length
        for field in AuditEvent._meta.get_fields()
        if getattr(field, "max_length", None) and field.get_internal_type() == "CharField"
    }
    for event in AuditEvent.objects.filter(target_type="api_key"):
        too_long = {
            name: len(getattr(event, name))
            for name, limit in limits.items()
            if len(getattr(event, name)) > limit
        }
        assert too_long == {}, event.event_type


def test_changing_a_keys_roles_moves_its_permissions_and_records_api_key_roles_changed(organization, owner):
    api_key, _ = new_key(organization, owner, [roles.ORG_OWNER])
    assert fresh(api_key.user).has_perm("accounts.manage_teams", organization)

    api_key_update(api_key=api_key, actor=owner, roles=[roles.ORG_READ_ONLY, roles.ORG_BILLING_ADMIN])

    user = fresh(api_key.user)
    assert not user.has_perm("accounts.manage_teams", organization)
    assert user.has_perm("accounts.manage_billing", organization)
    event = AuditEvent.objects.get(event_type=Event.API_KEY_ROLES_CHANGED)
    assert event.actor == owner
    assert event.target_id == api_key.public_id
    assert event.details == {
        "from": [roles.ORG_OWNER],
        "to": [roles.ORG_BILLING_ADMIN, roles.ORG_READ_ONLY],
    }

    api_key_update(api_key=api_key, actor=owner, roles=[roles.ORG_READ_ONLY, roles.ORG_BILLING_ADMIN])
    assert AuditEvent.objects.filter(event_type=Event.API_KEY_ROLES_CHANGED).count() == 1


# --- Project assignments -----------------------------------------------------------------------------------


def test_assigning_a_key_to_a_project_gives_project_permissions_and_is_audited(organization, owner, project):
    api_key, _ = new_key(organization, owner, [roles.ORG_MEMBER])
    assert not fresh(api_key.user).has_perm("accounts.view_project", project)

    api_key_project_assign(api_key=api_key, project=project, roles=[roles.GROUP_CLUSTER_MANAGER], actor=owner)

    user = fresh(api_key.user)
    assert user.has_perm("accounts.manage_clusters", project)
    assert not user.has_perm("accounts.manage_project_members", project)
    assert ProjectMembership.objects.get(project=project, user=api_key.user).role_names == [
        roles.GROUP_CLUSTER_MANAGER
    ]
    event = AuditEvent.objects.get(event_type=Event.API_KEY_ADDED_TO_GROUP)
    assert event.project == project
    assert event.actor == owner
    assert event.target_id == api_key.public_id
    assert event.details == {"publicKey": api_key.public_key, "roles": [roles.GROUP_CLUSTER_MANAGER]}


def test_changing_a_keys_project_roles_moves_its_project_permissions(organization, owner, project):
    api_key, _ = new_key(organization, owner, [roles.ORG_MEMBER])
    api_key_project_assign(api_key=api_key, project=project, roles=[roles.GROUP_CLUSTER_MANAGER], actor=owner)

    api_key_project_roles_set(api_key=api_key, project=project, roles=[roles.GROUP_READ_ONLY], actor=owner)

    user = fresh(api_key.user)
    assert not user.has_perm("accounts.manage_clusters", project)
    assert user.has_perm("accounts.view_project", project)
    event = AuditEvent.objects.get(event_type=Event.API_KEY_GROUP_ROLES_CHANGED)
    assert event.details == {"from": [roles.GROUP_CLUSTER_MANAGER], "to": [roles.GROUP_READ_ONLY]}


def test_unassigning_a_key_drops_its_project_permissions_and_is_audited(organization, owner, project):
    api_key, _ = new_key(organization, owner, [roles.ORG_MEMBER])
    api_key_project_assign(api_key=api_key, project=project, roles=[roles.GROUP_OWNER], actor=owner)
    assert fresh(api_key.user).has_perm("accounts.view_project", project)

    api_key_project_unassign(api_key=api_key, project=project, actor=owner)

    assert not fresh(api_key.user).has_perm("accounts.view_project", project)
    assert not ProjectUserObjectPermission.objects.filter(user=api_key.user).exists()
    event = AuditEvent.objects.get(event_type=Event.API_KEY_REMOVED_FROM_GROUP)
    assert event.project == project
    assert event.details == {"publicKey": api_key.public_key}
    refused("API_KEY_NOT_IN_GROUP", api_key_project_unassign, api_key=api_key, project=project, actor=owner)


def test_a_key_of_another_organization_cannot_be_assigned_to_this_organizations_project(
    organization, owner, project
):
    other_owner = UserFactory()
    other_organization = organization_create(name="Globex", actor=other_owner)
    foreign_key, _ = new_key(other_organization, other_owner, [roles.ORG_MEMBER])

    refused(
        "API_KEY_NOT_FOUND",
        api_key_project_assign,
        api_key=foreign_key,
        project=project,
        roles=[roles.GROUP_READ_ONLY],
        actor=owner,
    )
    refused(
        "RESOURCE_NOT_FOUND",
        api_key_project_assign,
        api_key=foreign_key,
        project=project,
        roles=[roles.GROUP_READ_ONLY],
        actor=other_owner,
    )
    assert not ProjectMembership.objects.filter(user=foreign_key.user).exists()
    assert not OrganizationMembership.objects.filter(
        organization=organization, user=foreign_key.user
    ).exists()
    assert not fresh(foreign_key.user).has_perm("accounts.view_project", project)


def test_project_user_admin_cannot_give_a_key_more_than_they_hold(organization, owner, project):
    user_admin = UserFactory()
    project_member_add(project=project, user=user_admin, roles=[roles.GROUP_USER_ADMIN], actor=owner)
    api_key, _ = new_key(organization, owner, [roles.ORG_MEMBER])

    refused(
        "ROLE_ESCALATION",
        api_key_project_assign,
        api_key=api_key,
        project=project,
        roles=[roles.GROUP_OWNER],
        actor=user_admin,
    )
    assert not ProjectMembership.objects.filter(user=api_key.user).exists()

    api_key_project_assign(api_key=api_key, project=project, roles=[roles.GROUP_READ_ONLY], actor=user_admin)
    refused(
        "ROLE_ESCALATION",
        api_key_project_roles_set,
        api_key=api_key,
        project=project,
        roles=[roles.GROUP_OWNER],
        actor=user_admin,
    )
    assert not fresh(api_key.user).has_perm("accounts.manage_clusters", project)


def test_project_user_admin_cannot_unassign_a_key_that_holds_more_than_they_do(organization, owner, project):
    user_admin = UserFactory()
    project_member_add(project=project, user=user_admin, roles=[roles.GROUP_USER_ADMIN], actor=owner)
    api_key, _ = new_key(organization, owner, [roles.ORG_MEMBER])
    api_key_project_assign(api_key=api_key, project=project, roles=[roles.GROUP_OWNER], actor=owner)

    refused("ROLE_ESCALATION", api_key_project_unassign, api_key=api_key, project=project, actor=user_admin)
    assert fresh(api_key.user).has_perm("accounts.manage_clusters", project)


def test_a_read_only_member_cannot_assign_keys_to_projects(organization, owner, project):
    reader = MemberFactory(organization=organization, actor=owner, roles=[roles.ORG_READ_ONLY])
    api_key, _ = new_key(organization, owner, [roles.ORG_MEMBER])

    refused(
        "USER_UNAUTHORIZED",
        api_key_project_assign,
        api_key=api_key,
        project=project,
        roles=[roles.GROUP_READ_ONLY],
        actor=reader,
    )


# --- Deletion ----------------------------------------------------------------------------------------------


def test_deleting_a_key_removes_it_its_service_account_and_every_permission(organization, owner, project):
    api_key, _ = new_key(organization, owner, [roles.ORG_OWNER])
    other_project = project_create(organization=organization, name="Staging", actor=owner)
    api_key_project_assign(api_key=api_key, project=other_project, roles=[roles.GROUP_OWNER], actor=owner)
    api_key_access_list_add(api_key=api_key, entries=["203.0.113.0/24"], actor=owner)
    user_id, public_key = api_key.user_id, api_key.public_key
    assert OrganizationUserObjectPermission.objects.filter(user_id=user_id).exists()
    assert ProjectUserObjectPermission.objects.filter(user_id=user_id).exists()

    api_key_delete(api_key=api_key, actor=owner)

    assert not ApiKey.objects.filter(public_key=public_key).exists()
    assert not get_user_model().objects.filter(pk=user_id).exists()
    assert not OrganizationMembership.objects.filter(user_id=user_id).exists()
    assert not ProjectMembership.objects.filter(user_id=user_id).exists()
    assert not OrganizationUserObjectPermission.objects.filter(user_id=user_id).exists()
    assert not ProjectUserObjectPermission.objects.filter(user_id=user_id).exists()
    assert not ApiKeyAccessListEntry.objects.exists()
    event = AuditEvent.objects.get(event_type=Event.API_KEY_DELETED)
    assert event.actor == owner
    assert event.organization == organization
    assert event.details == {"publicKey": public_key}


def test_deleting_a_key_needs_org_owner(organization, owner):
    api_key, _ = new_key(organization, owner)
    creator = MemberFactory(organization=organization, actor=owner, roles=[roles.ORG_GROUP_CREATOR])

    refused("USER_UNAUTHORIZED", api_key_delete, api_key=api_key, actor=creator)
    refused("RESOURCE_NOT_FOUND", api_key_delete, api_key=api_key, actor=UserFactory())
    assert ApiKey.objects.filter(pk=api_key.pk).exists()
    assert not AuditEvent.objects.filter(event_type=Event.API_KEY_DELETED).exists()


# --- The access list ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "given, stored",
    [
        ("203.0.113.7", "203.0.113.7/32"),
        ("2001:db8::1", "2001:db8::1/128"),
        ("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1/128"),
        ("203.0.113.0/24", "203.0.113.0/24"),
        ("2001:DB8::/32", "2001:db8::/32"),
        (" 198.51.100.0/25 ", "198.51.100.0/25"),
        ("0.0.0.0/0", "0.0.0.0/0"),
    ],
)
def test_access_list_accepts_ipv4_ipv6_and_cidr_and_normalises_them(organization, owner, given, stored):
    api_key, _ = new_key(organization, owner)

    entries = api_key_access_list_add(api_key=api_key, entries=[given], actor=owner)

    assert [entry.cidr_block for entry in entries] == [stored]
    assert list(api_key.access_list.values_list("cidr_block", flat=True)) == [stored]
    event = AuditEvent.objects.get(event_type=Event.API_KEY_ACCESS_LIST_ENTRY_ADDED)
    assert event.actor == owner
    assert event.target_id == api_key.public_id
    assert event.details == {"publicKey": api_key.public_key, "cidrBlock": stored}


@pytest.mark.parametrize(
    "garbage", ["", "not-an-ip", "300.1.1.1", "10.0.0.0/33", "1.2.3", "2001:db8::g", "10.0.0.0/24/8", None]
)
def test_access_list_refuses_what_is_not_an_address_or_block(organization, owner, garbage):
    api_key, _ = new_key(organization, owner)

    error = refused(
        "INVALID_IP_ADDRESS", api_key_access_list_add, api_key=api_key, entries=[garbage], actor=owner
    )
    assert error.status == 400
    assert not api_key.access_list.exists()


@pytest.mark.parametrize(
    "given, meant", [("10.0.0.1/24", "10.0.0.0/24"), ("2001:db8::1/32", "2001:db8::/32")]
)
def test_access_list_refuses_a_block_with_host_bits_set_and_suggests_the_network(
    organization, owner, given, meant
):
    api_key, _ = new_key(organization, owner)

    error = refused(
        "INVALID_IP_ADDRESS", api_key_access_list_add, api_key=api_key, entries=[given], actor=owner
    )
    assert meant in error.message
    assert not api_key.access_list.exists()


def test_one_bad_entry_refuses_the_whole_batch(organization, owner):
    api_key, _ = new_key(organization, owner)

    refused(
        "INVALID_IP_ADDRESS",
        api_key_access_list_add,
        api_key=api_key,
        entries=["203.0.113.7", "garbage"],
        actor=owner,
    )
    assert not api_key.access_list.exists()
    assert not AuditEvent.objects.filter(event_type=Event.API_KEY_ACCESS_LIST_ENTRY_ADDED).exists()


def test_access_list_duplicates_are_not_doubled_nor_audited_twice(organization, owner):
    api_key, _ = new_key(organization, owner)

    api_key_access_list_add(api_key=api_key, entries=["203.0.113.7", "203.0.113.7/32"], actor=owner)
    entries = api_key_access_list_add(api_key=api_key, entries=["203.0.113.7", "2001:db8::/32"], actor=owner)

    assert sorted(e.cidr_block for e in entries) == ["2001:db8::/32", "203.0.113.7/32"]
    assert sorted(api_key.access_list.values_list("cidr_block", flat=True)) == [
        "2001:db8::/32",
        "203.0.113.7/32",
    ]
    added = AuditEvent.objects.filter(event_type=Event.API_KEY_ACCESS_LIST_ENTRY_ADDED)
    assert sorted(e.details["cidrBlock"] for e in added) == ["2001:db8::/32", "203.0.113.7/32"]


def test_access_list_needs_at_least_one_entry(organization, owner):
    api_key, _ = new_key(organization, owner)

    refused("VALIDATION_ERROR", api_key_access_list_add, api_key=api_key, entries=[], actor=owner)


def test_changing_the_access_list_needs_org_owner(organization, owner):
    api_key, _ = new_key(organization, owner)
    api_key_access_list_add(api_key=api_key, entries=["203.0.113.0/24"], actor=owner)
    creator = MemberFactory(organization=organization, actor=owner, roles=[roles.ORG_GROUP_CREATOR])

    refused(
        "USER_UNAUTHORIZED", api_key_access_list_add, api_key=api_key, entries=["0.0.0.0/0"], actor=creator
    )
    refused(
        "USER_UNAUTHORIZED",
        api_key_access_list_remove,
        api_key=api_key,
        entry="203.0.113.0/24",
        actor=creator,
    )
    assert list(api_key.access_list.values_list("cidr_block", flat=True)) == ["203.0.113.0/24"]


def test_removing_an_access_list_entry_is_audited(organization, owner):
    api_key, _ = new_key(organization, owner)
    api_key_access_list_add(api_key=api_key, entries=["203.0.113.7", "198.51.100.0/24"], actor=owner)

    api_key_access_list_remove(api_key=api_key, entry="203.0.113.7", actor=owner)

    assert list(api_key.access_list.values_list("cidr_block", flat=True)) == ["198.51.100.0/24"]
    event = AuditEvent.objects.get(event_type=Event.API_KEY_ACCESS_LIST_ENTRY_DELETED)
    assert event.details == {"publicKey": api_key.public_key, "cidrBlock": "203.0.113.7/32"}
    refused(
        "RESOURCE_NOT_FOUND", api_key_access_list_remove, api_key=api_key, entry="203.0.113.7", actor=owner
    )


def test_a_key_cannot_remove_the_access_list_entry_its_own_request_comes_through(organization, owner):
    api_key, _ = new_key(organization, owner, [roles.ORG_OWNER])
    api_key_access_list_add(
        api_key=api_key, entries=["203.0.113.0/24", "198.51.100.7", "2001:db8::/32"], actor=owner
    )
    key_user = fresh(api_key.user)

    for address in ("203.0.113.9", "203.0.113.0"):
        refused(
            "CANNOT_REMOVE_CALLER_ACCESS_LIST_ENTRY",
            api_key_access_list_remove,
            api_key=api_key,
            entry="203.0.113.0/24",
            actor=key_user,
            request_address=address,
        )
    # Entries the request does not come through can go, whatever their IP version.
    api_key_access_list_remove(
        api_key=api_key, entry="198.51.100.7", actor=key_user, request_address="203.0.113.9"
    )
    api_key_access_list_remove(
        api_key=api_key, entry="2001:db8::/32", actor=key_user, request_address="203.0.113.9"
    )
    assert list(api_key.access_list.values_list("cidr_block", flat=True)) == ["203.0.113.0/24"]
    # Someone else, calling from the same address, may remove it.
    api_key_access_list_remove(
        api_key=api_key, entry="203.0.113.0/24", actor=owner, request_address="203.0.113.9"
    )
    assert not api_key.access_list.exists()


# --- Keys are not owners -----------------------------------------------------------------------------------


def test_an_owner_key_does_not_count_as_an_organization_owner(organization, owner):
    new_key(organization, owner, [roles.ORG_OWNER])

    refused(
        "CANNOT_REMOVE_LAST_ORG_OWNER",
        organization_member_remove,
        organization=organization,
        user=owner,
        actor=owner,
    )
    refused(
        "CANNOT_REMOVE_LAST_ORG_OWNER",
        organization_member_roles_set,
        organization=organization,
        user=owner,
        roles=[roles.ORG_MEMBER],
        actor=owner,
    )
    assert OrganizationMembership.objects.get(organization=organization, user=owner).role_names == [
        roles.ORG_OWNER
    ]


def test_an_owner_key_does_not_count_as_a_project_owner(organization, owner):
    project_owner = MemberFactory(organization=organization, actor=owner)
    project = project_create(organization=organization, name="Analytics", actor=owner, owner=project_owner)
    api_key, _ = new_key(organization, owner, [roles.ORG_MEMBER])
    api_key_project_assign(api_key=api_key, project=project, roles=[roles.GROUP_OWNER], actor=owner)

    refused(
        "CANNOT_REMOVE_LAST_GROUP_OWNER",
        project_member_remove,
        project=project,
        user=project_owner,
        actor=project_owner,
    )


def test_an_organization_can_require_an_access_list_for_its_keys(organization, owner):
    from accounts.models import AuditEvent
    from accounts.services import organization_settings_update
    from accounts.services.api_keys import access_list_entry_for, api_key_access_list_add, api_key_create

    key, _ = api_key_create(organization=organization, description="ci", roles=["ORG_MEMBER"], actor=owner)
    assert access_list_entry_for(key, "198.51.100.1") is True

    organization_settings_update(organization=organization, actor=owner, api_access_list_required=True)
    key.organization.refresh_from_db()
    assert access_list_entry_for(key, "198.51.100.1") is None
    assert AuditEvent.objects.filter(event_type="ORG_SETTINGS_CHANGED", organization=organization).exists()

    api_key_access_list_add(api_key=key, entries=["198.51.100.0/24"], actor=owner)
    assert access_list_entry_for(key, "198.51.100.1").cidr_block == "198.51.100.0/24"


def test_a_keys_last_use_is_written_at_most_once_a_minute_per_address(
    organization, owner, django_assert_num_queries
):
    """Digest authenticates every request: the key's last use is coalesced to the minute, so a busy key is not
    written on every request; a new address is noted at once."""
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from accounts.models import ApiKey
    from accounts.services.api_keys import api_key_record_use

    api_key, _ = api_key_create(
        organization=organization, description="busy", roles=[roles.ORG_MEMBER], actor=owner
    )

    def loaded():  # as authentication loads it, once a request
        return ApiKey.objects.get(pk=api_key.pk)

    key = loaded()
    with django_assert_num_queries(1):
        api_key_record_use(api_key=key, address="127.0.0.1")
    first = loaded().last_used_at
    assert first is not None
    key = loaded()
    with django_assert_num_queries(0):
        api_key_record_use(api_key=key, address="127.0.0.1")
    assert loaded().last_used_at == first

    # Two workers that loaded the key before either wrote it: the conditional UPDATE writes it once.
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        a, b = loaded(), loaded()
        api_key_record_use(api_key=a, address="127.0.0.1")
        second = loaded().last_used_at
        assert second > first
        api_key_record_use(api_key=b, address="127.0.0.1")
        assert loaded().last_used_at == second

        key = loaded()
        with django_assert_num_queries(1):
            api_key_record_use(api_key=key, address="10.0.0.7")
        assert loaded().last_used_address == "10.0.0.7"


def test_the_key_authentication_reads_costs_one_query_without_an_access_list_and_two_with_one(
    organization, owner, django_assert_num_queries
):
    from accounts.selectors import api_key_for_public_key
    from accounts.services.api_keys import access_list_entry_for, api_key_access_list_add

    api_key, _ = api_key_create(
        organization=organization, description="ci", roles=[roles.ORG_MEMBER], actor=owner
    )
    with django_assert_num_queries(1):
        loaded = api_key_for_public_key(api_key.public_key)
        assert (loaded.user.pk, loaded.organization.pk) == (api_key.user_id, organization.pk)
        assert list(loaded.access_list.all()) == []
        assert access_list_entry_for(loaded, "198.51.100.7") is True

    api_key_access_list_add(api_key=api_key, entries=["198.51.100.0/24"], actor=owner)
    with django_assert_num_queries(2):
        loaded = api_key_for_public_key(api_key.public_key)
        assert [e.cidr_block for e in loaded.access_list.all()] == ["198.51.100.0/24"]
        assert access_list_entry_for(loaded, "198.51.100.7").cidr_block == "198.51.100.0/24"
        assert access_list_entry_for(loaded, "203.0.113.1") is None
    with django_assert_num_queries(1):
        assert api_key_for_public_key("nosuchkey") is None

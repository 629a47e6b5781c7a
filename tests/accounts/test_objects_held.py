"""The permission reads of ``accounts.permissions`` answer what guardian answers, for every kind of actor and
every object permission of organizations and projects: ``objects_held`` as ``get_objects_for_user``,
``actor_may`` as ``has_perm`` with and without the object, ``permissions_on`` as guardian's checker plus the
model-wide permissions. They replaced guardian's calls on the request path and in every service, and must not
change who may do what."""

import pytest
from django.contrib.auth.models import Permission
from guardian.core import ObjectPermissionChecker
from guardian.shortcuts import get_objects_for_user

from accounts import roles
from accounts.models import Organization, Project
from accounts.permissions import actor_may, objects_held, permissions_on
from accounts.services import team_create, team_project_assign
from tests.factories import MemberFactory, OrganizationFactory, ProjectFactory, UserFactory

ORGANIZATION_PERMISSIONS = sorted({p for r in roles.ORGANIZATION_ROLES.values() for p in r.organization_permissions})
PROJECT_PERMISSIONS = sorted(
    {p for c in (roles.PROJECT_ROLES, roles.ORGANIZATION_ROLES) for r in c.values() for p in r.project_permissions}
)


@pytest.fixture
def world(organization, owner, project):
    """Two organizations with projects, and one actor of each kind that reaches (or does not reach) them."""
    other = OrganizationFactory()
    ProjectFactory(organization=other)
    second = ProjectFactory(organization=organization, actor=owner)
    team_member = MemberFactory(organization=organization, actor=owner)
    team = team_create(organization=organization, name="Ops", actor=owner, members=[team_member])
    team_project_assign(team=team, project=second, roles=[roles.GROUP_CLUSTER_MANAGER], actor=owner)
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="accounts", codename__in=["view_organization"])
    )
    inactive = MemberFactory(organization=organization, actor=owner, project=project)
    inactive.is_active = False
    inactive.save()
    return {
        "owner": owner,
        "read only": MemberFactory(organization=organization, actor=owner, roles=[roles.ORG_READ_ONLY]),
        "project member": MemberFactory(
            organization=organization, actor=owner, project=project, project_roles=[roles.GROUP_DATA_ACCESS_ADMIN]
        ),
        "team member": team_member,
        "plain member": MemberFactory(organization=organization, actor=owner),
        "other organization's owner": other.memberships.select_related("user").first().user,
        "outsider": UserFactory(),
        "staff with the model-wide view": staff,
        "superuser": UserFactory(is_staff=True, is_superuser=True),
        "inactive member": inactive,
    }


@pytest.mark.parametrize(
    "model, permissions",
    [(Organization, ORGANIZATION_PERMISSIONS), (Project, PROJECT_PERMISSIONS)],
    ids=["organizations", "projects"],
)
def test_objects_held_equals_guardians_answer_for_every_actor_and_permission(world, model, permissions):
    assert permissions
    compared = 0
    for name, actor in world.items():
        for permission in permissions:
            actor = type(actor).objects.get(pk=actor.pk)  # no permission cache carried over
            ours = set(objects_held(actor, permission, model.objects.all()).values_list("pk", flat=True))
            guardians = set(
                get_objects_for_user(
                    actor, f"accounts.{permission}", klass=model.objects.all(), accept_global_perms=True
                ).values_list("pk", flat=True)
            )
            assert ours == guardians, (name, permission)
            compared += 1
    # The world is not empty: someone holds something, and someone does not hold everything.
    assert compared == len(world) * len(permissions)


def test_objects_held_is_one_query_however_many_objects(world, organization, owner, django_assert_num_queries):
    for _ in range(5):
        ProjectFactory(organization=organization, actor=owner)
    member = type(world["team member"]).objects.get(pk=world["team member"].pk)
    member.get_all_permissions()  # the model-wide permissions, read once a request
    with django_assert_num_queries(1):
        names = sorted(objects_held(member, roles.VIEW_PROJECT, Project.objects.all()).values_list("name", flat=True))
    assert len(names) == 1


@pytest.mark.parametrize(
    "model, permissions",
    [(Organization, ORGANIZATION_PERMISSIONS), (Project, PROJECT_PERMISSIONS)],
    ids=["organizations", "projects"],
)
def test_actor_may_and_permissions_on_equal_guardians_answers(world, model, permissions):
    objects = list(model.objects.all())
    held = 0
    for name, actor in world.items():
        for obj in objects:
            fresh = type(actor).objects.get(pk=actor.pk)
            guardians = set()
            if fresh.is_active:
                guardians = set(ObjectPermissionChecker(fresh).get_perms(obj)) | {
                    p.removeprefix("accounts.") for p in fresh.get_all_permissions() if p.startswith("accounts.")
                }
            assert permissions_on(type(actor).objects.get(pk=actor.pk), obj) == guardians, (name, obj)
            for permission in permissions:
                label = f"accounts.{permission}"
                expected = fresh.is_active and (fresh.has_perm(label, obj) or fresh.has_perm(label))
                assert actor_may(type(actor).objects.get(pk=actor.pk), permission, obj) == expected, (
                    name,
                    obj,
                    permission,
                )
                held += expected
    assert 0 < held < len(world) * len(objects) * len(permissions)

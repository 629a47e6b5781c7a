"""factory_boy factories. Organizations, projects, memberships, teams and API keys are made through the services
(so that role rows, derived permissions, audit events and encrypted secrets are real, and a test keeps testing the
real thing); users and clusters are plain rows. Where a service needs someone to act, the factories take
``actor`` and otherwise ask the organization's first owner."""

import time

import factory
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value

from accounts import roles as catalogue
from accounts import services
from accounts.models import (
    ApiKey,
    Cluster,
    Organization,
    OrganizationMembership,
    Project,
    ProjectMembership,
    Team,
    TeamProjectAssignment,
    User,
)
from accounts.services import api_keys as api_key_services


def give_totp(user) -> str:
    """Set up an authenticator app (TOTP) for ``user`` as allauth does; returns its secret (see totp_code)."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    user.totp_secret = secret
    return secret


def totp_code(secret, at=None) -> str:
    """The code an authenticator app shows for ``secret`` now (or at the Unix time ``at``)."""
    return format_hotp_value(hotp_value(secret, int(time.time() if at is None else at) // 30))


def owner_of(organization) -> User:
    """The organization's longest-standing owner (a person, not an API key): who acts for a factory given no
    ``actor``."""
    return (
        OrganizationMembership.objects.filter(
            organization=organization, roles__name=catalogue.ORG_OWNER, user__is_service_account=False
        )
        .select_related("user")
        .order_by("created_at", "pk")
        .first()
        .user
    )


class ServiceFactory(factory.django.DjangoModelFactory):
    """A factory whose rows a service makes: ``create()`` calls ``_service`` with the declarations (``actor``
    among them), and ``build()`` is refused, since a row the service did not make would skip the project's
    rules."""

    class Meta:
        abstract = True

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        raise TypeError(f"{cls.__name__} makes its rows through a service: use create(), not build().")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return cls._service(**kwargs)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("correct horse battery staple")

    class Params:
        # No usable password (sessions are made with force_login), so no hashing cost, even where the suite's
        # fast hasher is not in force (module-scoped fixtures).
        passwordless = factory.Trait(password=factory.django.Password(None))

    @factory.post_generation
    def totp(user, create, extracted, **kwargs):
        """``UserFactory(totp=True)``: the user has two-factor authentication (an authenticator app), as staff
        need for the Django admin; its secret is ``user.totp_secret``."""
        if create and extracted:
            give_totp(user)


class OrganizationFactory(ServiceFactory):
    """``organization_create``: its owner (a new user unless given) holds Organization Owner."""

    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organization {n}")
    owner = factory.SubFactory(UserFactory)

    @staticmethod
    def _service(*, name, owner):
        return services.organization_create(name=name, actor=owner)


class ProjectFactory(ServiceFactory):
    """``project_create``: ``actor`` (the organization's owner unless given) becomes its Project Owner."""

    class Meta:
        model = Project

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Project {n}")
    actor = factory.LazyAttribute(lambda o: owner_of(o.organization))

    @staticmethod
    def _service(*, organization, name, actor):
        return services.project_create(organization=organization, name=name, actor=actor)


class OrganizationMembershipFactory(ServiceFactory):
    """``organization_member_add``: ``user`` joins the organization with ``roles`` (Organization Member unless
    given), added by ``actor``."""

    class Meta:
        model = OrganizationMembership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    roles = (catalogue.ORG_MEMBER,)
    actor = factory.LazyAttribute(lambda o: owner_of(o.organization))

    @staticmethod
    def _service(*, organization, user, roles, actor):
        return services.organization_member_add(
            organization=organization, user=user, roles=list(roles), actor=actor
        )


class ProjectMembershipFactory(ServiceFactory):
    """``project_member_add``: ``user`` joins the project with ``roles`` (Project Read Only unless given), added
    by ``actor``; someone outside the organization joins it as Organization Member, as the service says."""

    class Meta:
        model = ProjectMembership

    project = factory.SubFactory(ProjectFactory)
    user = factory.SubFactory(UserFactory)
    roles = (catalogue.GROUP_READ_ONLY,)
    actor = factory.LazyAttribute(lambda o: owner_of(o.project.organization))

    @staticmethod
    def _service(*, project, user, roles, actor):
        return services.project_member_add(project=project, user=user, roles=list(roles), actor=actor)


class MemberFactory(UserFactory):
    """A user who is a member of ``organization`` with ``roles`` (Organization Member unless given), added by
    ``actor`` (OrganizationMembershipFactory); with ``project``, also a member of that project with
    ``project_roles`` (ProjectMembershipFactory), added by the same actor. Returns the user::

        MemberFactory(organization=organization, actor=owner, email="pat@example.com", roles=[ORG_READ_ONLY])
    """

    class Params:
        organization = factory.SubFactory(OrganizationFactory)
        roles = (catalogue.ORG_MEMBER,)
        actor = factory.LazyAttribute(lambda o: owner_of(o.organization))
        project = None
        project_roles = (catalogue.GROUP_READ_ONLY,)

    organization_membership = factory.RelatedFactory(
        OrganizationMembershipFactory,
        factory_related_name="user",
        organization=factory.SelfAttribute("..organization"),
        roles=factory.SelfAttribute("..roles"),
        actor=factory.SelfAttribute("..actor"),
    )
    project_membership = factory.Maybe(
        "project",
        factory.RelatedFactory(
            ProjectMembershipFactory,
            factory_related_name="user",
            project=factory.SelfAttribute("..project"),
            roles=factory.SelfAttribute("..project_roles"),
            actor=factory.SelfAttribute("..actor"),
        ),
    )


class TeamFactory(ServiceFactory):
    """``team_create`` with ``members`` (none unless given), by ``actor``."""

    class Meta:
        model = Team

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Team {n}")
    members = ()
    actor = factory.LazyAttribute(lambda o: owner_of(o.organization))

    @staticmethod
    def _service(*, organization, name, members, actor):
        return services.team_create(organization=organization, name=name, members=list(members), actor=actor)


class TeamProjectAssignmentFactory(ServiceFactory):
    """``team_project_assign``: the team reaches the project with ``roles`` (Project Read Only unless given)."""

    class Meta:
        model = TeamProjectAssignment

    team = factory.SubFactory(TeamFactory)
    project = factory.SubFactory(ProjectFactory, organization=factory.SelfAttribute("..team.organization"))
    roles = (catalogue.GROUP_READ_ONLY,)
    actor = factory.LazyAttribute(lambda o: owner_of(o.team.organization))

    @staticmethod
    def _service(*, team, project, roles, actor):
        return services.team_project_assign(team=team, project=project, roles=list(roles), actor=actor)


class ApiKeyFactory(ServiceFactory):
    """``api_key_create``: an organization API key with ``roles`` (Organization Member unless given), its HA1
    values encrypted as the service stores them. The private key, shown once by the service, is kept on the
    returned object as ``private_key`` (it is no column)."""

    class Meta:
        model = ApiKey

    organization = factory.SubFactory(OrganizationFactory)
    description = factory.Sequence(lambda n: f"Key {n}")
    roles = (catalogue.ORG_MEMBER,)
    actor = factory.LazyAttribute(lambda o: owner_of(o.organization))

    @staticmethod
    def _service(*, organization, description, roles, actor):
        api_key, private_key = api_key_services.api_key_create(
            organization=organization, description=description, roles=list(roles), actor=actor
        )
        api_key.private_key = private_key
        return api_key


class ClusterFactory(factory.django.DjangoModelFactory):
    """A bare cluster row: no CLUSTER_CREATED event and no cluster-change hooks (monitoring's attachments), for
    tests that need a cluster to exist; tests of what creating one does call ``cluster_create``."""

    class Meta:
        model = Cluster

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"Cluster{n}")
    tier = Cluster.Tier.DEDICATED

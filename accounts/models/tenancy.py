"""Tenancy and people: users, organizations, projects, clusters, memberships with roles, teams."""

import secrets

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, Group, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from accounts import roles


def new_public_id() -> str:
    """A random 24-hex public id (96 bits from `secrets`), never sequential, shaped like Atlas's ObjectIds."""
    return secrets.token_hex(12)


def public_id_field():
    return models.CharField(max_length=24, unique=True, default=new_public_id, editable=False)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)

    def create_user(self, email, password=None, **extra_fields):
        if not email:
            raise ValueError("A user needs an email address")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra_fields):
        """``manage.py createsuperuser``: the operator typed the address, so it counts as verified (sign-in
        asks for no confirmation email). Two-factor is set up at the first visit to the admin."""
        from accounts.services.signin import user_email_verified_set

        extra_fields.update(is_staff=True, is_superuser=True)
        user = self.create_user(email, password, **extra_fields)
        user_email_verified_set(user=user)
        return user


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with their email address."""

    public_id = public_id_field()
    email = models.EmailField("email address", max_length=254, unique=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    is_staff = models.BooleanField(default=False, help_text="May sign in to the Django admin.")
    is_active = models.BooleanField(default=True)
    time_zone = models.CharField(
        max_length=64, default="UTC", help_text="IANA time zone (e.g. Europe/Paris) the pages show times in."
    )
    is_service_account = models.BooleanField(
        default=False, editable=False, help_text="Acts for an API key; cannot sign in to the portal."
    )
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    class Meta:
        ordering = ["email"]
        constraints = [models.UniqueConstraint(Lower("email"), name="accounts_user_email_unique_ci")]

    def __str__(self):
        return self.email

    def get_full_name(self):
        return f"{self.first_name} {self.last_name}".strip() or self.email

    def get_short_name(self):
        return self.first_name or self.email


class Organization(models.Model):
    public_id = public_id_field()
    name = models.CharField(max_length=64)
    api_access_list_required = models.BooleanField(
        default=False,
        help_text="API keys of this organization are refused unless they have an IP access list.",
    )
    multi_factor_auth_required = models.BooleanField(
        "two-factor authentication required",
        default=False,
        help_text="Members must set up two-factor authentication before they reach the organization.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        permissions = [
            (codename, label)
            for codename, label in roles.ORGANIZATION_PERMISSIONS.items()
            if codename not in {"view_organization", "change_organization", "delete_organization"}
        ]

    def __str__(self):
        return self.name


class PeopleVersion(models.Model):
    """How many times the people an organization lists changed (its memberships, its invitations' listing, its
    members' addresses): bumped by database triggers (migration 0024), so that no write, not even a bulk job's
    SQL or a cascade, can miss it. Counts of the users list are cached under it and never read stale.

    Not a foreign key: the triggers write it while an organization's rows are deleted with it; a row left
    behind by a deleted organization is never read again (the cache key names the organization's public id)."""

    organization_id = models.BigIntegerField(primary_key=True)
    version = models.BigIntegerField(default=0)
    # Bumped by more triggers (migration 0025) whenever what the list shows of its people may change (roles,
    # projects, teams, names, an invitation's shown fields): pages are cached under (version, content).
    content = models.BigIntegerField(db_default=0)

    def __str__(self):
        return f"people of organization {self.organization_id}: version {self.version}"


class Project(models.Model):
    """A project (Atlas calls it a group in its API) inside one organization."""

    public_id = public_id_field()
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="projects")
    name = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"], name="accounts_project_name_unique_in_org"
            )
        ]
        permissions = [
            (codename, label)
            for codename, label in roles.PROJECT_PERMISSIONS.items()
            if codename not in {"view_project", "change_project", "delete_project"}
        ]

    def __str__(self):
        return self.name


class Cluster(models.Model):
    class Tier(models.TextChoices):
        SANDBOX = "SANDBOX", "Sandbox (free)"
        SHARED = "SHARED", "Shared single-node"
        DEDICATED = "DEDICATED", "Dedicated"

    class Provider(models.TextChoices):
        AWS = "AWS", "Amazon Web Services"
        GCP = "GCP", "Google Cloud"
        AZURE = "AZURE", "Microsoft Azure"

    # The instance size of a tier when none is set: Atlas's free M0, a shared M2, the smallest dedicated M10.
    DEFAULT_INSTANCE_SIZES = {Tier.SANDBOX: "M0", Tier.SHARED: "M2", Tier.DEDICATED: "M10"}

    public_id = public_id_field()
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="clusters")
    name = models.CharField(max_length=64)
    tier = models.CharField(max_length=16, choices=Tier.choices, default=Tier.DEDICATED)
    sync_enabled = models.BooleanField("App Services sync enabled", default=False)
    # What Atlas's clients read of a cluster's description (replicationSpecs, paused, mongoDBVersion).
    provider_name = models.CharField(
        "cloud provider", max_length=8, choices=Provider.choices, default=Provider.AWS
    )
    region_name = models.CharField(
        max_length=32, default="US_EAST_1", help_text="Atlas's name, e.g. EU_WEST_1"
    )
    instance_size = models.CharField(
        max_length=8,
        blank=True,
        default="",
        help_text="e.g. M10, M30; empty: the tier's smallest (M0, M2, M10)",
    )
    mongodb_version = models.CharField("MongoDB version", max_length=8, default="8.0")
    paused = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "name"], name="accounts_cluster_name_unique_in_project"
            ),
            models.CheckConstraint(
                condition=models.Q(tier__in=["SANDBOX", "SHARED", "DEDICATED"]),
                name="accounts_cluster_tier_valid",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def effective_instance_size(self) -> str:
        return self.instance_size or self.DEFAULT_INSTANCE_SIZES[self.tier]


class RoleHolder(models.Model):
    """What holds role rows: a membership of an organization or a project, or a team's assignment to a project.
    Its ``roles`` are rows of a model built on ``RoleRow``."""

    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True

    @property
    def role_names(self) -> list[str]:
        return sorted(role.name for role in self.roles.all())


class Membership(RoleHolder):
    """A user in ``SCOPE`` (the name of the foreign key to the organization or the project), one row per pair,
    listed by email: the one shape of both memberships, as django-organizations' abstract organization user."""

    SCOPE: str

    class Meta:
        abstract = True
        ordering = ["user__email"]

    def __str__(self):
        return f"{self.user} in {getattr(self, self.SCOPE)}"


class RoleRow(models.Model):
    """One role of a ``RoleHolder``, by its name in the catalogue (accounts.roles); ``role_row_constraints``
    gives each such model its two constraints."""

    class Meta:
        abstract = True

    def __str__(self):
        return self.name


def role_row_constraints(holder: str, prefix: str, catalogue) -> list[models.BaseConstraint]:
    """A holder holds a role once, and the database refuses a name that ``catalogue`` does not have."""
    return [
        models.UniqueConstraint(fields=[holder, "name"], name=f"{prefix}_unique"),
        models.CheckConstraint(condition=models.Q(name__in=list(catalogue)), name=f"{prefix}_known"),
    ]


def membership_model(scope_model, *, user_related_name: str, unique_name: str, doc: str) -> type[Membership]:
    """``<Scope>Membership``: the membership model of ``scope_model`` (Organization, Project), one row per user
    there, its users reached from a user as ``user_related_name``; its unique constraint is ``unique_name``."""
    scope = scope_model._meta.model_name
    name = f"{scope_model.__name__}Membership"
    unique = models.UniqueConstraint(fields=[scope, "user"], name=unique_name)
    return type(
        name,
        (Membership,),
        {
            "__module__": __name__,
            "__qualname__": name,
            "__doc__": doc,
            "SCOPE": scope,
            scope: models.ForeignKey(scope_model, on_delete=models.CASCADE, related_name="memberships"),
            "user": models.ForeignKey(User, on_delete=models.CASCADE, related_name=user_related_name),
            "Meta": type("Meta", (Membership.Meta,), {"constraints": [unique]}),
        },
    )


def role_model(name: str, holder_model, *, holder: str, catalogue, prefix: str) -> type[RoleRow]:
    """``name``: the model of the role rows of ``holder_model`` (a ``RoleHolder``), reached from it as
    ``roles`` and holding it in the field ``holder``; each row names a role of ``catalogue`` (accounts.roles),
    with the constraints of ``role_row_constraints`` under ``prefix``."""
    return type(
        name,
        (RoleRow,),
        {
            "__module__": __name__,
            "__qualname__": name,
            holder: models.ForeignKey(holder_model, on_delete=models.CASCADE, related_name="roles"),
            "name": models.CharField(max_length=32, choices=roles.role_choices(catalogue)),
            "Meta": type("Meta", (), {"constraints": role_row_constraints(holder, prefix, catalogue)}),
        },
    )


OrganizationMembership = membership_model(
    Organization,
    user_related_name="organization_memberships",
    unique_name="accounts_org_membership_unique",
    doc="An accepted member of an organization; what they may do there comes from their roles.",
)
OrganizationRole = role_model(
    "OrganizationRole",
    OrganizationMembership,
    holder="membership",
    catalogue=roles.ORGANIZATION_ROLES,
    prefix="accounts_org_role",
)
ProjectMembership = membership_model(
    Project,
    user_related_name="project_memberships",
    unique_name="accounts_project_membership_unique",
    doc="A user's individual assignment to a project (team-given access is on the team, not here).",
)
ProjectRole = role_model(
    "ProjectRole",
    ProjectMembership,
    holder="membership",
    catalogue=roles.PROJECT_ROLES,
    prefix="accounts_project_role",
)


def team_name_key(name: str) -> str:
    """Team names are unique per organization whatever their case, in every alphabet ("Équipe" = "équipe")."""
    return name.casefold()


class Team(models.Model):
    """Users of one organization grouped so that projects can be given to all of them at once.

    Its members are the members of its ``auth.Group``; the team's project roles are object permissions of that
    group, so that leaving the team drops exactly the access the team gave.
    """

    MAX_PER_ORGANIZATION = 250
    MAX_MEMBERS = 250

    public_id = public_id_field()
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=64)
    # The name case-folded (Unicode-wide, which SQL's LOWER() is not on SQLite): unique per organization.
    name_key = models.CharField(max_length=64, editable=False)
    group = models.OneToOneField(Group, on_delete=models.PROTECT, related_name="team")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name_key"],
                name="accounts_team_name_unique_in_org_ci",
                violation_error_message="A team with this name already exists in the organization.",
            )
        ]

    def __str__(self):
        return self.name


class TeamMembership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="team_memberships")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["user__email"]
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="accounts_team_membership_unique")
        ]

    def __str__(self):
        return f"{self.user} in team {self.team}"


class TeamProjectAssignment(RoleHolder):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="project_assignments")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="team_assignments")

    class Meta:
        ordering = ["team__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "project"], name="accounts_team_project_assignment_unique"
            )
        ]

    def __str__(self):
        return f"team {self.team} in {self.project}"


TeamProjectRole = role_model(
    "TeamProjectRole",
    TeamProjectAssignment,
    holder="assignment",
    catalogue=roles.PROJECT_ROLES,
    prefix="accounts_team_project_role",
)


# django-guardian's direct-foreign-key permission models: derived from roles by accounts.permissions.
class OrganizationUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Organization, on_delete=models.CASCADE)


class OrganizationGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Organization, on_delete=models.CASCADE)


class ProjectUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Project, on_delete=models.CASCADE)


class ProjectGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Project, on_delete=models.CASCADE)


def staff_groups(groups=None):
    """The groups that are staff groups (Support, Portal administrators, ...): not a team's group and not an
    organization role's, which follow their team or role and change only through it."""
    groups = Group.objects.all() if groups is None else groups
    return groups.filter(team__isnull=True, organization_role__isnull=True)


class OrganizationRoleGroup(models.Model):
    """The ``auth.Group`` through which an organization role reaches every project of its organization
    (Organization Owner, Organization Read Only): the role's project permissions are object permissions of the
    group on each project, and the role's holders are the group's members, as a team's members are its group's.
    Making someone Organization Owner is then one group membership whatever the number of projects, and a new
    project one set of rows per role. Made by ``accounts.permissions`` the first time the organization's
    permissions are synced."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="role_groups")
    role = models.CharField(max_length=32)
    group = models.OneToOneField(Group, on_delete=models.PROTECT, related_name="organization_role")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "role"], name="accounts_role_group_one_per_role")
        ]

    def __str__(self):
        return f"{self.role} of {self.organization}"

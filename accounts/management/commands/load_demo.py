"""``manage.py load_demo [--if-empty]``: two organizations with people, teams, projects and clusters of every tier,
made through the services (the system acting), to try the portal and the admin with."""

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts import roles, services
from accounts.models import Cluster, Organization, User
from accounts.services.signin import user_email_verified_set

# Demo only: printed at the end of every load, never to be used anywhere else.
DEMO_PASSWORD = "accessportal-demo"
ADMIN_EMAIL = "admin@accessportal.example"

PEOPLE = {
    "alice@acme.example": ("Alice", "Anderson"),
    "bob@acme.example": ("Bob", "Brown"),
    "carol@acme.example": ("Carol", "Chen"),
    "dave@acme.example": ("Dave", "Diaz"),
    "erin@acme.example": ("Erin", "Evans"),
    "hank@globex.example": ("Hank", "Scorpio"),
    "ivan@globex.example": ("Ivan", "Ivanov"),
    "judy@globex.example": ("Judy", "Jones"),
}

Tier = Cluster.Tier

ORGANIZATIONS = [
    {
        "name": "Acme Corp",
        "owner": "alice@acme.example",
        "members": {
            "bob@acme.example": [roles.ORG_GROUP_CREATOR],
            "carol@acme.example": [roles.ORG_MEMBER, roles.ORG_BILLING_ADMIN],
            "dave@acme.example": [roles.ORG_MEMBER],
            "erin@acme.example": [roles.ORG_READ_ONLY],
        },
        "teams": {
            "Platform": ["bob@acme.example", "dave@acme.example"],
            "Analytics": ["carol@acme.example"],
        },
        "projects": {
            "Production": {
                "owner": "bob@acme.example",
                "members": {"dave@acme.example": [roles.GROUP_MONITORING_ADMIN]},
                "teams": {
                    "Platform": [roles.GROUP_CLUSTER_MANAGER, roles.GROUP_DATA_ACCESS_READ_WRITE],
                    "Analytics": [roles.GROUP_READ_ONLY],
                },
                "clusters": [("prod-main", Tier.DEDICATED, True), ("prod-reporting", Tier.DEDICATED, False)],
            },
            "Staging": {
                "owner": "bob@acme.example",
                "teams": {"Platform": [roles.GROUP_OWNER]},
                "clusters": [("staging", Tier.SHARED, False)],
            },
            "Data Lake": {
                "owner": "alice@acme.example",
                "teams": {"Analytics": [roles.GROUP_DATA_ACCESS_READ_ONLY]},
                "clusters": [("lake", Tier.DEDICATED, False), ("scratch", Tier.SANDBOX, False)],
            },
        },
    },
    {
        "name": "Globex",
        "owner": "hank@globex.example",
        "members": {
            "ivan@globex.example": [roles.ORG_MEMBER],
            "judy@globex.example": [roles.ORG_GROUP_CREATOR],
        },
        "teams": {"Engineering": ["ivan@globex.example", "judy@globex.example"]},
        "projects": {
            "Web Store": {
                "owner": "judy@globex.example",
                "teams": {"Engineering": [roles.GROUP_DATA_ACCESS_ADMIN]},
                "clusters": [("store-prod", Tier.DEDICATED, True), ("store-dev", Tier.SHARED, False)],
            },
            "Internal Tools": {
                "owner": "hank@globex.example",
                "members": {"ivan@globex.example": [roles.GROUP_READ_ONLY]},
                "clusters": [("tools-sandbox", Tier.SANDBOX, False)],
            },
        },
    },
]


# Where the demo's clusters run, in turn: (provider, Atlas region, instance size of a dedicated one).
DEMO_PLACES = [
    ("AWS", "US_EAST_1", "M10"),
    ("GCP", "EUROPE_WEST_1", "M30"),
    ("AZURE", "EUROPE_NORTH", "M20"),
    ("AWS", "AP_SOUTHEAST_2", "M40"),
]


class Command(BaseCommand):
    help = "Load demo organizations, people, teams, projects and clusters (through the services)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when any organization exists (for `make run`).",
        )

    def handle(self, *args, if_empty=False, **options):
        if not settings.DEBUG:
            raise CommandError(
                "load_demo creates a superuser with a published password: it runs only with DEBUG on "
                "(a development database)."
            )
        if if_empty and Organization.objects.exists():
            self.stdout.write("Organizations exist already: the demo data was not loaded (--if-empty).")
            return
        present = sorted(
            User.objects.filter(email__in=[*PEOPLE, ADMIN_EMAIL]).values_list("email", flat=True)
        )
        if present:
            found = (
                present[0] if len(present) == 1 else f"{present[0]} and {len(present) - 1} more demo users"
            )
            self.stdout.write(
                f"The demo data is already loaded ({found} exist); nothing was changed. "
                f"demo password: {DEMO_PASSWORD}"
            )
            return
        with transaction.atomic():
            counts = self._load()
        self._report(counts)

    def _load(self) -> dict:
        password = make_password(DEMO_PASSWORD)  # hashed once: the same demo password for everyone
        users = {
            email: User.objects.create(email=email, first_name=first, last_name=last, password=password)
            for email, (first, last) in PEOPLE.items()
        }
        admin = User.objects.create(
            email=ADMIN_EMAIL,
            first_name="Portal",
            last_name="Admin",
            password=password,
            is_staff=True,
            is_superuser=True,
        )
        for user in [*users.values(), admin]:  # demo addresses need no confirmation email to sign in
            user_email_verified_set(user=user)
        counts = {"organizations": 0, "projects": 0, "teams": 0, "clusters": 0}
        for spec in ORGANIZATIONS:
            organization = services.organization_create(
                name=spec["name"], owner=users[spec["owner"]], actor=None
            )
            counts["organizations"] += 1
            for email, org_roles in spec["members"].items():
                services.organization_member_add(
                    organization=organization, user=users[email], roles=org_roles, actor=None
                )
            teams = {
                name: services.team_create(
                    organization=organization, name=name, members=[users[e] for e in emails], actor=None
                )
                for name, emails in spec["teams"].items()
            }
            counts["teams"] += len(teams)
            for name, project_spec in spec["projects"].items():
                project = services.project_create(
                    organization=organization, name=name, owner=users[project_spec["owner"]], actor=None
                )
                counts["projects"] += 1
                for email, project_roles in project_spec.get("members", {}).items():
                    services.project_member_add(
                        project=project, user=users[email], roles=project_roles, actor=None
                    )
                for team_name, team_roles in project_spec.get("teams", {}).items():
                    services.team_project_assign(
                        team=teams[team_name], project=project, roles=team_roles, actor=None
                    )
                for cluster_name, tier, sync_enabled in project_spec["clusters"]:
                    provider, region, size = DEMO_PLACES[counts["clusters"] % len(DEMO_PLACES)]
                    services.cluster_create(
                        project=project,
                        name=cluster_name,
                        tier=tier,
                        sync_enabled=sync_enabled,
                        provider_name=provider,
                        region_name=region,
                        instance_size=size if tier == "DEDICATED" else "",
                        actor=None,
                    )
                    counts["clusters"] += 1
        return counts

    def _report(self, counts):
        self.stdout.write(
            self.style.SUCCESS(
                "Loaded the demo data: {organizations} organizations, {projects} projects, {teams} teams, "
                "{clusters} clusters.".format(**counts)
            )
        )
        self.stdout.write("Organization owners (sign in at /accounts/login/):")
        for spec in ORGANIZATIONS:
            self.stdout.write(f"  {spec['owner']:<24} owner of {spec['name']}")
        others = [email for email in PEOPLE if email not in {spec["owner"] for spec in ORGANIZATIONS}]
        self.stdout.write(f"Other users: {', '.join(others)}")
        self.stdout.write(
            f"Django admin (/admin/): {ADMIN_EMAIL} (sets up two-factor authentication at its first visit)"
        )
        self.stdout.write(f"demo password: {DEMO_PASSWORD}  (demo only; never use it for anything real)")

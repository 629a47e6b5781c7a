"""The bench's tenants, written with bulk INSERTs (bulk_create in batches) so that seeding stays a small part of
the run: the large organization of issue 13 and a few smaller ones for the single-write and decision series.

Every row is what the services would have written (memberships with roles, teams with their auth groups, one
system monitoring group per eligible cluster, one active support grant per cluster); the derived guardian
permissions are then rebuilt from the roles by ``accounts.permissions`` itself, as ``manage.py sync_permissions``
does."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from accounts import roles
from accounts.models import (
    AuditEvent,
    Cluster,
    Invitation,
    Organization,
    OrganizationMembership,
    OrganizationRole,
    Project,
    ProjectMembership,
    ProjectRole,
    Team,
    TeamMembership,
    TeamProjectAssignment,
    TeamProjectRole,
    User,
    invitation_token_hash,
)
from accounts.permissions import sync_organization_permissions
from monitoring.models import (
    GroupRole,
    MonitoringGroup,
    MonitoringGroupMembership,
    MonitoringUser,
    MonitoringUserAttachment,
    system_group_name,
)
from support.models import SupportAccessGrant

BATCH = 2000


@dataclass
class Sizes:
    people: int
    teams: int
    big_teams: int
    projects: int
    clusters: int
    invitations: int
    grants: int
    offboard_projects: int
    write_members: int

    @classmethod
    def for_run(cls, scale: int, quick: bool) -> "Sizes":
        base = (
            dict(people=300, teams=20, projects=50, clusters=500, invitations=500, grants=500)
            if quick
            else dict(people=5000, teams=250, projects=1000, clusters=10000, invitations=10000, grants=10000)
        )
        sized = {name: value * scale for name, value in base.items()}
        # A team holds at most 250 people and an organization 250 teams: those limits do not scale.
        sized["teams"] = min(sized["teams"], Team.MAX_PER_ORGANIZATION)
        return cls(
            **sized,
            big_teams=max(1, sized["teams"] // 25),
            offboard_projects=sized["projects"] // 2,
            write_members=100 if quick else 300,
        )


@dataclass
class Tenant:
    """What the measurements need to find again."""

    organization: Organization
    owner: User
    member: User  # an ORG_MEMBER in some projects directly and some through a team
    offboardee: User  # in half the projects, several teams, with a linked monitoring user
    offboardee_small: User  # the same in a tenth of that, for the linearity check
    api_key_public: str = ""
    api_key_private: str = ""
    write_orgs: dict = field(default_factory=dict)  # number of projects -> (organization, owner, a member)
    wide: tuple | None = None  # (organization with 10x the projects, the person deciding)


def _bulk(model, rows, progress=None, task=None):
    made = []
    for start in range(0, len(rows), BATCH):
        made += model.objects.bulk_create(rows[start : start + BATCH], batch_size=BATCH)
        if progress is not None:
            progress.advance(task, min(BATCH, len(rows) - start))
    return made


def _users(prefix, count, now):
    # No usable password: people sign in through a session the bench makes, not with a password.
    return [
        User(
            email=f"{prefix}{i:06d}@bench.example",
            first_name=f"First{i}",
            last_name=f"Last{i}",
            password="!",
            date_joined=now,
        )
        for i in range(count)
    ]


def _memberships(organization, users, role_of, now):
    memberships = OrganizationMembership.objects.bulk_create(
        [OrganizationMembership(organization=organization, user=u, created_at=now) for u in users],
        batch_size=BATCH,
    )
    OrganizationRole.objects.bulk_create(
        [OrganizationRole(membership=m, name=role_of(i)) for i, m in enumerate(memberships)], batch_size=BATCH
    )
    return memberships


def _project_memberships(pairs, now):
    """pairs: [(project, user, [role names])]"""
    made = ProjectMembership.objects.bulk_create(
        [ProjectMembership(project=p, user=u, created_at=now) for p, u, _ in pairs], batch_size=BATCH
    )
    ProjectRole.objects.bulk_create(
        [
            ProjectRole(membership=m, name=n)
            for m, (_, _, names) in zip(made, pairs, strict=True)
            for n in names
        ],
        batch_size=BATCH,
    )
    return made


def _teams(organization, count, now, label):
    groups = Group.objects.bulk_create(
        [Group(name=f"{label}-team-{organization.pk}-{i}") for i in range(count)], batch_size=BATCH
    )
    return Team.objects.bulk_create(
        [
            Team(
                organization=organization,
                name=f"Team {i:03d}",
                name_key=f"team {i:03d}",
                group=g,
                created_at=now,
            )
            for i, g in enumerate(groups)
        ],
        batch_size=BATCH,
    )


def _assign_teams(pairs, now):
    """pairs: [(team, project, [role names])]"""
    made = TeamProjectAssignment.objects.bulk_create(
        [TeamProjectAssignment(team=t, project=p, created_at=now) for t, p, _ in pairs], batch_size=BATCH
    )
    TeamProjectRole.objects.bulk_create(
        [
            TeamProjectRole(assignment=a, name=n)
            for a, (_, _, names) in zip(made, pairs, strict=True)
            for n in names
        ],
        batch_size=BATCH,
    )


def _api_key(organization, owner):
    from accounts.services.api_keys import api_key_create

    api_key, private_key = api_key_create(
        organization=organization, description="bench load generator", roles=[roles.ORG_OWNER], actor=owner
    )
    return api_key, private_key


def seed_main(sizes: Sizes, progress) -> Tenant:
    now = timezone.now()
    task = progress.add_task("seed: the large organization", total=None)
    with transaction.atomic():
        organization = Organization.objects.create(name="Bench Large")
        people = _bulk(User, _users("person", sizes.people, now), progress, task)
        owners = people[:5]
        read_only = people[5:25]

        def org_role(i):
            if i < 5:
                return roles.ORG_OWNER
            if i < 25:
                return roles.ORG_READ_ONLY
            if i < 35:
                return roles.ORG_GROUP_CREATOR
            return roles.ORG_MEMBER

        _memberships(organization, people, org_role, now)
        progress.advance(task, len(people))
        projects = _bulk(
            Project,
            [
                Project(organization=organization, name=f"Project {i:06d}", created_at=now)
                for i in range(sizes.projects)
            ],
            progress,
            task,
        )
        ordinary = people[35:]
        member, offboardee, offboardee_small = ordinary[0], ordinary[1], ordinary[2]
        rest = ordinary[3:]
        # Each project: a GROUP_OWNER and three more members with other roles, spread over the people.
        pairs = []
        for i, project in enumerate(projects):
            pairs.append((project, rest[(4 * i) % len(rest)], [roles.GROUP_OWNER]))
            pairs.append((project, rest[(4 * i + 1) % len(rest)], [roles.GROUP_READ_ONLY]))
            pairs.append((project, rest[(4 * i + 2) % len(rest)], [roles.GROUP_DATA_ACCESS_READ_WRITE]))
            pairs.append(
                (
                    project,
                    rest[(4 * i + 3) % len(rest)],
                    [roles.GROUP_MONITORING_ADMIN, roles.GROUP_READ_ONLY],
                )
            )
        pairs = list({(p.pk, u.pk): (p, u, r) for p, u, r in pairs}.values())
        pairs += [(p, member, [roles.GROUP_READ_ONLY]) for p in projects[::50]]
        pairs += [
            (p, offboardee, [roles.GROUP_DATA_ACCESS_ADMIN]) for p in projects[: sizes.offboard_projects]
        ]
        pairs += [
            (p, offboardee_small, [roles.GROUP_DATA_ACCESS_ADMIN])
            for p in projects[: max(1, sizes.offboard_projects // 10)]
        ]
        _project_memberships(pairs, now)
        progress.advance(task, len(pairs))

        teams = _teams(organization, sizes.teams, now, "bench")
        team_members = []
        for i, team in enumerate(teams):
            size = Team.MAX_MEMBERS if i < sizes.big_teams else 20
            start = (i * 37) % len(rest)
            chosen = {u.pk: u for u in (rest + rest)[start : start + size]}
            if i < 5:
                chosen[offboardee.pk] = offboardee
                chosen[offboardee_small.pk] = offboardee_small
            if i == 0:
                chosen[member.pk] = member
            team_members += [TeamMembership(team=team, user=u, created_at=now) for u in chosen.values()]
        _bulk(TeamMembership, team_members, progress, task)
        through = User.groups.through
        _bulk(through, [through(user_id=tm.user_id, group_id=tm.team.group_id) for tm in team_members])
        _assign_teams(
            [
                (team, projects[(i * 4 + k) % len(projects)], [roles.GROUP_READ_ONLY])
                for i, team in enumerate(teams)
                for k in range(4)
            ],
            now,
        )

        # Ten clusters a project; the first of each is DEDICATED (eligible for monitoring), the rest not.
        tiers = [Cluster.Tier.DEDICATED] + [Cluster.Tier.SANDBOX, Cluster.Tier.SHARED] * 5
        per_project = max(1, sizes.clusters // len(projects))
        clusters = _bulk(
            Cluster,
            [
                Cluster(project=p, name=f"cluster-{k:02d}", tier=tiers[k % len(tiers)], created_at=now)
                for p in projects
                for k in range(per_project)
            ],
            progress,
            task,
        )
        # One project with as many clusters as the organization has projects: the Clusters page's worst case.
        heavy = Project.objects.create(organization=organization, name="Many Clusters", created_at=now)
        _bulk(
            Cluster,
            [
                Cluster(project=heavy, name=f"c-{k:06d}", tier=Cluster.Tier.SHARED)
                for k in range(sizes.projects)
            ],
        )
        User.objects.create(email="staff@bench.example", password="!", is_staff=True, is_superuser=True)
        eligible = [c for c in clusters if c.tier == Cluster.Tier.DEDICATED]
        groups = _bulk(
            MonitoringGroup,
            [
                MonitoringGroup(project_id=c.project_id, cluster=c, name=system_group_name(c))
                for c in eligible
            ],
            progress,
            task,
        )
        monitoring_user = MonitoringUser.objects.create(
            organization=organization, username="offboardee-monitor", email=offboardee.email
        )
        attachment = MonitoringUserAttachment.objects.create(
            organization=organization,
            monitoring_user=monitoring_user,
            linked_user=offboardee,
            group_role=GroupRole.MEMBER,
            attached_by=owners[0],
            attached_by_email=owners[0].email,
        )
        _bulk(
            MonitoringGroupMembership,
            [
                MonitoringGroupMembership(
                    group=g,
                    monitoring_user=monitoring_user,
                    role=GroupRole.MEMBER,
                    source=MonitoringGroupMembership.Source.ATTACHMENT,
                    attachment=attachment,
                    admins_notified_at=now,
                )
                for g in groups
            ],
            progress,
            task,
        )

        # Support grants: one ACTIVE grant a cluster (at most one may be), half of them past their expiry.
        grants = []
        for i, cluster in enumerate(clusters[: sizes.grants]):
            granted = now - timedelta(hours=25, seconds=i) if i % 2 else now - timedelta(hours=1)
            grants.append(
                SupportAccessGrant(
                    cluster=cluster,
                    grant_type=SupportAccessGrant.GrantType.CLUSTER_DATABASE_LOGS,
                    granted_by=owners[0],
                    granted_by_email=owners[0].email,
                    granted_at=granted,
                    expires_at=granted + timedelta(hours=24),
                )
            )
        _bulk(SupportAccessGrant, grants, progress, task)

        # Invitations to the organization, from the five owners; half of them past their expiry.
        invitations = []
        for i in range(sizes.invitations):
            inviter = owners[i % len(owners)]
            sent = now - timedelta(days=31, seconds=i) if i % 2 else now - timedelta(days=1)
            invitations.append(
                Invitation(
                    organization=organization,
                    email=f"invitee{i:06d}@elsewhere.example",
                    roles=[roles.ORG_MEMBER],
                    token_hash=invitation_token_hash(f"bench-{organization.pk}-{i}"),
                    inviter=inviter,
                    inviter_email=inviter.email,
                    created_at=sent,
                    sent_at=sent,
                    expires_at=sent + Invitation.VALIDITY,
                )
            )
        _bulk(Invitation, invitations, progress, task)
        _bulk(
            AuditEvent,
            [
                AuditEvent(
                    event_type=AuditEvent.Type.JOINED_ORG,
                    organization=organization,
                    actor=owners[0],
                    actor_email=owners[0].email,
                    target_type="user",
                    target_id=p.public_id,
                    target_name=p.email,
                    details={"roles": [roles.ORG_MEMBER]},
                )
                for p in people[: min(len(people), 2000)]
            ],
        )
        sync_organization_permissions(organization)
        progress.advance(task, 1)
    api_key, private_key = _api_key(organization, owners[0])
    progress.update(task, description="seed: the large organization (done)")
    del read_only
    return Tenant(
        organization=organization,
        owner=owners[0],
        member=member,
        offboardee=offboardee,
        offboardee_small=offboardee_small,
        api_key_public=api_key.public_key,
        api_key_private=private_key,
    )


def seed_write_org(project_count: int, members: int, progress) -> tuple:
    """An organization with ``project_count`` projects and the same number of people whatever that count, for
    the single writes: so that only the number of projects changes between the three."""
    now = timezone.now()
    task = progress.add_task(f"seed: organization with {project_count} projects", total=None)
    with transaction.atomic():
        organization = Organization.objects.create(name=f"Bench Writes {project_count}")
        people = _bulk(User, _users(f"w{project_count}-", members, now))

        def org_role(i):
            return roles.ORG_OWNER if i < 3 else (roles.ORG_READ_ONLY if i < 10 else roles.ORG_MEMBER)

        _memberships(organization, people, org_role, now)
        projects = _bulk(
            Project,
            [
                Project(organization=organization, name=f"P{i:05d}", created_at=now)
                for i in range(project_count)
            ],
        )
        rest = people[10:-1]  # the last person is in no project and no team: the one the writes change
        pairs = []
        for i, project in enumerate(projects):
            pairs.append((project, rest[(3 * i) % len(rest)], [roles.GROUP_OWNER]))
            pairs.append((project, rest[(3 * i + 1) % len(rest)], [roles.GROUP_READ_ONLY]))
        pairs = list({(p.pk, u.pk): (p, u, r) for p, u, r in pairs}.values())
        _project_memberships(pairs, now)
        teams = _teams(organization, 5, now, f"w{project_count}")
        memberships = [TeamMembership(team=t, user=u, created_at=now) for t in teams for u in rest[:20]]
        TeamMembership.objects.bulk_create(memberships)
        through = User.groups.through
        through.objects.bulk_create(
            [through(user_id=m.user_id, group_id=m.team.group_id) for m in memberships]
        )
        _assign_teams([(teams[0], p, [roles.GROUP_READ_ONLY]) for p in projects[:3]], now)
        sync_organization_permissions(organization)
        progress.advance(task, 1)
    progress.update(task, description=f"seed: organization with {project_count} projects (done)")
    # (organization, its first owner, an ORG_MEMBER in no team, the spare team)
    return organization, people[0], people[-1], teams[-1]


def seed_wide_org(project_count: int, progress) -> tuple:
    """An organization with many projects and one ordinary member who reaches a few of them (directly and
    through a team): the permission-decision series."""
    now = timezone.now()
    task = progress.add_task(f"seed: organization with {project_count} projects (decisions)", total=None)
    with transaction.atomic():
        organization = Organization.objects.create(name=f"Bench Wide {project_count}")
        owner, person = _bulk(User, _users(f"wide{project_count}-", 2, now))
        _memberships(
            organization, [owner, person], lambda i: roles.ORG_OWNER if i == 0 else roles.ORG_MEMBER, now
        )
        projects = _bulk(
            Project,
            [
                Project(organization=organization, name=f"W{i:06d}", created_at=now)
                for i in range(project_count)
            ],
            progress,
            task,
        )
        _project_memberships([(p, person, [roles.GROUP_READ_ONLY]) for p in projects[::40]], now)
        (team,) = _teams(organization, 1, now, f"wide{project_count}")
        TeamMembership.objects.create(team=team, user=person)
        User.groups.through.objects.create(user_id=person.pk, group_id=team.group_id)
        _assign_teams([(team, p, [roles.GROUP_READ_ONLY]) for p in projects[7::40]], now)
        sync_organization_permissions(organization)
    progress.update(task, description=f"seed: organization with {project_count} projects (done)")
    return organization, person

"""In-process measurements: each with its SQL query count, and, for the bulk jobs and the permission decisions,
beside the naive way in the same run. Every write runs inside a transaction that is rolled back, so each
measurement starts from the seeded data; what the change would publish after commit (Celery tasks, through
``transaction.on_commit``) is counted, not published."""

import statistics
import time
from contextlib import contextmanager

from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from accounts import roles
from accounts.models import Cluster, Organization, Project, User
from accounts.selectors import projects_for_user

NAIVE_SAMPLE = (
    1000  # rows the naive way is run on; its cost per row is constant, so it is scaled up from there
)


class _Rollback(Exception):
    pass


class QueryCounter:
    """Counts the statements run, and times them: the total, and the costliest few (``SLOWEST``), so that a
    target that misses can say where the fast side's time goes."""

    SLOWEST = 3

    def __init__(self):
        self.count = 0
        self.seconds = 0.0
        self.slowest = []  # (seconds, statement), costliest first

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent = time.perf_counter() - started
            self.seconds += spent
            if len(self.slowest) < self.SLOWEST or spent > self.slowest[-1][0]:
                self.slowest = sorted([*self.slowest, (spent, sql)], reverse=True)[: self.SLOWEST]

    def summary(self) -> dict:
        """Total SQL time, and the costliest statements (their first words, whitespace folded)."""
        return {
            "sql_seconds": self.seconds,
            "slowest": [(spent, " ".join(sql.split())[:90]) for spent, sql in self.slowest],
        }


@contextmanager
def counting():
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        yield counter


def run_once(fn, *, rollback=True) -> dict:
    """Time ``fn()`` once: seconds, queries, and the callbacks it left for after commit (rolled back)."""
    result = {}
    try:
        with transaction.atomic():
            with counting() as counter:
                started = time.perf_counter()
                value = fn()
                result["seconds"] = time.perf_counter() - started
            result["queries"] = counter.count
            result.update(counter.summary())
            result["on_commit"] = len(connection.run_on_commit)
            result["value"] = value
            if rollback:
                raise _Rollback
    except _Rollback:
        pass
    return result


def median_of(fn, repeats=3, **kwargs) -> dict:
    runs = [run_once(fn, **kwargs) for _ in range(repeats)]
    best = sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]
    return {**best, "seconds": statistics.median(r["seconds"] for r in runs)}


def _strip(result) -> dict:
    return {k: v for k, v in result.items() if k != "value"}


# ---- permission decisions -------------------------------------------------------------------------------------


def decisions(organization, person, *, naive_limit=NAIVE_SAMPLE) -> dict:
    """Which of the organization's projects ``person`` may read: one queryset (guardian's
    ``get_objects_for_user`` under ``projects_for_user``) against ``has_perm`` asked per project."""
    projects = list(Project.objects.filter(organization=organization).order_by("pk"))

    def fast():
        return {p.pk for p in projects_for_user(person, organization=organization)}

    fast_result = median_of(fast, repeats=3)
    sample = projects[:naive_limit]

    def naive():
        user = User.objects.get(pk=person.pk)  # a fresh user: no permission cache carried over
        return {p.pk for p in sample if user.has_perm(f"accounts.{roles.VIEW_PROJECT}", p)}

    naive_result = run_once(naive)
    naive_seconds = naive_result["seconds"] * len(projects) / len(sample)
    allowed_fast = fast_result["value"]
    assert naive_result["value"] == {pk for pk in allowed_fast if pk in {p.pk for p in sample}}, (
        "decisions differ"
    )
    return {
        "projects": len(projects),
        "readable": len(allowed_fast),
        "fast": _strip(fast_result),
        "naive": {**_strip(naive_result), "seconds": naive_seconds, "sampled": len(sample)},
        "speedup": naive_seconds / fast_result["seconds"],
    }


# ---- bulk jobs ------------------------------------------------------------------------------------------------


@contextmanager
def timing(targets):
    """Time every call of these functions ([(module, attribute)]) while the block runs: how much of a job is
    the email rows (their building and INSERT), which the outbox's own work (another branch) decides."""
    spent = {"seconds": 0.0, "calls": 0}
    originals = [(module, name, getattr(module, name)) for module, name in targets]

    def timed(original):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent["seconds"] += time.perf_counter() - started
                spent["calls"] += 1

        return wrapper

    for module, name, original in originals:
        setattr(module, name, timed(original))
    try:
        yield spent
    finally:
        for module, name, original in originals:
            setattr(module, name, original)


NAIVE_SAMPLE = (
    1000  # rows the naive way is run on; its cost per row is constant, so it is scaled up from there
)


def compare(fast, naive, email=(), naive_scale=1.0) -> dict:
    """Both ways, each rolled back; with ``email`` (functions that write the notices' email rows), also the
    comparison without them. The naive way, row by row, runs on a sample when ``naive_scale`` > 1 (its time,
    queries and email time are multiplied by it, and the result says so)."""
    run_once(fast)  # warm-up: one-time costs of a process (regexes compiled, caches filled) are nobody's
    with timing(email) as fast_email:
        fast_result = run_once(fast)
    with timing(email) as naive_email:
        naive_result = run_once(naive)
    naive_result["seconds"] *= naive_scale
    naive_result["queries"] = round(naive_result["queries"] * naive_scale)
    naive_email["seconds"] *= naive_scale
    naive_result["sql_seconds"] *= naive_scale
    result = {
        "fast": _strip(fast_result),
        "naive": {**_strip(naive_result), "extrapolated_by": naive_scale},
        "speedup": naive_result["seconds"] / fast_result["seconds"],
    }
    if email:
        result["fast"]["email_seconds"] = fast_email["seconds"]
        result["naive"]["email_seconds"] = naive_email["seconds"]
        result["speedup_without_email"] = (naive_result["seconds"] - naive_email["seconds"]) / max(
            fast_result["seconds"] - fast_email["seconds"], 1e-6
        )
    return result


def offboarding(tenant) -> dict:
    from monitoring.services import person_offboard

    from . import naive

    org = tenant.organization
    big = compare(
        lambda: person_offboard(organization=org, user=tenant.offboardee, actor=tenant.owner),
        lambda: naive.offboard(organization=org, user=tenant.offboardee, actor=tenant.owner),
    )
    small = run_once(
        lambda: person_offboard(organization=org, user=tenant.offboardee_small, actor=tenant.owner)
    )
    big["projects"] = tenant.offboardee.project_memberships.filter(project__organization=org).count()
    big["small"] = {
        **_strip(small),
        "projects": tenant.offboardee_small.project_memberships.filter(project__organization=org).count(),
    }
    return big


def attaching(tenant) -> dict:
    from monitoring.models import MonitoringGroup
    from monitoring.services import monitoring_group_admins_notify, monitoring_user_attach

    from . import naive

    org = tenant.organization

    def fast():
        monitoring_user_attach(
            organization=org,
            username="bench-monitor",
            email="bench-monitor@bench.example",
            actor=tenant.owner,
        )
        return monitoring_group_admins_notify(organization_id=org.pk)

    from monitoring.services import notifications

    clusters = MonitoringGroup.objects.filter(project__organization=org, cluster__isnull=False).count()
    sample = min(clusters, NAIVE_SAMPLE // 4)
    result = compare(
        fast,
        lambda: naive.attach(
            organization=org,
            username="bench-monitor",
            email="bench-monitor@bench.example",
            actor=tenant.owner,
            limit=sample,
        ),
        email=[(notifications, "queue_admin_notices")],
        naive_scale=clusters / sample,
    )
    result["clusters"] = clusters
    return result


def _due_cut(model, status, now, fraction):
    """The moment by which ``fraction`` of the rows due at ``now`` had fallen due, and how many are due."""
    due = list(
        model.objects.filter(status=status, expires_at__lte=now)
        .order_by("expires_at")
        .values_list("expires_at", flat=True)
    )
    return due[max(0, int(len(due) * fraction) - 1)], len(due)


def grant_expiry() -> dict:
    from support.models import SupportAccessGrant
    from support.services import support_grants_expire_due

    from . import naive

    now = timezone.now()

    def fast(at=now):
        expired = 0
        while batch := support_grants_expire_due(now=at):
            expired += len(batch)
        return expired

    from support.services import grants as grant_services

    cut, due = _due_cut(SupportAccessGrant, SupportAccessGrant.Status.ACTIVE, now, 0.1)
    sample_cut, _ = _due_cut(
        SupportAccessGrant, SupportAccessGrant.Status.ACTIVE, now, min(1, NAIVE_SAMPLE / due)
    )
    sampled = min(due, max(1, int(due * min(1, NAIVE_SAMPLE / due))))
    result = compare(
        fast,
        lambda: naive.expire_grants(now=sample_cut),
        email=[(grant_services, "notify_owners_of_expiry"), (naive, "notify_owners")],
        naive_scale=due / sampled,
    )
    small = run_once(lambda: fast(cut))
    result["rows"] = due
    result["small"] = {**_strip(small), "rows": small["value"]}
    return result


def invitation_expiry() -> dict:
    from accounts.models import Invitation
    from accounts.services.invitations import invitations_expire_due

    from . import naive

    now = timezone.now()

    def fast(at=now):
        expired = 0
        while batch := invitations_expire_due(now=at):
            expired += len(batch)
        return expired

    from accounts.services.invitations import sending

    cut, due = _due_cut(Invitation, Invitation.Status.PENDING, now, 0.1)
    sample_cut, _ = _due_cut(Invitation, Invitation.Status.PENDING, now, min(1, NAIVE_SAMPLE / due))
    sampled = min(due, max(1, int(due * min(1, NAIVE_SAMPLE / due))))
    result = compare(
        fast,
        lambda: naive.expire_invitations(now=sample_cut),
        email=[(sending, "emails_queue_bulk")],
        naive_scale=due / sampled,
    )
    small = run_once(lambda: fast(cut))
    result["rows"] = due
    result["small"] = {**_strip(small), "rows": small["value"]}
    return result


def inviting(tenant) -> dict:
    from accounts.services.invitations import organization_invitations_create

    out = {}
    for count in (10, 100):
        emails = [f"batch{count}-{i}@newcomers.example" for i in range(count)]
        result = median_of(
            lambda emails=emails: organization_invitations_create(
                organization=tenant.organization, emails=emails, actor=tenant.owner
            ),
            repeats=3,
        )
        out[str(count)] = _strip(result)
    return out


# ---- single writes at 10, 100, 1,000 projects ---------------------------------------------------------------


def single_writes(write_orgs) -> dict:
    from accounts import services

    out = {}
    for project_count, (organization, owner, member, team) in sorted(write_orgs.items()):
        first = Project.objects.filter(organization=organization).order_by("name").first()
        writes = {
            "project_create": lambda o=organization, a=owner: services.project_create(
                organization=o, name="Bench New Project", actor=a
            ),
            "make_organization_owner": lambda o=organization, a=owner, m=member: (
                services.organization_member_roles_set(
                    organization=o, user=m, roles=[roles.ORG_OWNER], actor=a
                )
            ),
            "project_member_add": lambda p=first, a=owner, m=member: services.project_member_add(
                project=p, user=m, roles=[roles.GROUP_DATA_ACCESS_READ_ONLY], actor=a
            ),
            "team_project_assign": lambda p=first, a=owner, t=team: services.team_project_assign(
                team=t, project=p, roles=[roles.GROUP_READ_ONLY], actor=a
            ),
            "team_member_add": lambda a=owner, m=member, t=team: services.team_member_add(
                team=t, user=m, actor=a
            ),
            "organization_member_remove": lambda o=organization, a=owner, m=member: (
                services.organization_member_remove(organization=o, user=m, actor=a)
            ),
        }
        out[str(project_count)] = {name: _strip(median_of(fn, repeats=3)) for name, fn in writes.items()}
    return out


# ---- API lists, pages, admin --------------------------------------------------------------------------------


def _get(client, url, repeats=3) -> dict:
    runs = []
    for _ in range(repeats):
        with counting() as counter:
            started = time.perf_counter()
            response = client.get(url)
            seconds = time.perf_counter() - started
        runs.append((seconds, counter.count, response.status_code, len(response.content)))
    seconds = statistics.median(r[0] for r in runs)
    _, queries, status, size = runs[-1]
    return {"seconds": seconds, "queries": queries, "status": status, "bytes": size}


def api_lists(tenant) -> dict:
    org = tenant.organization
    project = Project.objects.filter(organization=org).order_by("name").first()
    team = org.teams.order_by("name").first()
    client = Client()
    client.force_login(tenant.owner)
    base = "/api/atlas/v2/"
    paths = [
        "orgs",
        f"orgs/{org.public_id}/users",
        f"orgs/{org.public_id}/teams",
        f"orgs/{org.public_id}/teams/{team.public_id}/users",
        f"orgs/{org.public_id}/invites",
        f"orgs/{org.public_id}/apiKeys",
        f"orgs/{org.public_id}/events",
        f"orgs/{org.public_id}/groups",
        f"orgs/{org.public_id}/monitoringUsers",
        "groups",
        f"groups/{project.public_id}/users",
        f"groups/{project.public_id}/teams",
        f"groups/{project.public_id}/invites",
        f"groups/{project.public_id}/clusters",
        f"groups/{project.public_id}/events",
        f"groups/{project.public_id}/apiKeys",
        f"groups/{project.public_id}/monitoringGroups",
    ]
    out = {}
    for path in paths:
        result = _get(client, base + path)
        key = path.replace(org.public_id, "{orgId}").replace(project.public_id, "{groupId}")
        out[key.replace(team.public_id, "{teamId}")] = result
    return out


def pages(tenant, *, with_admin=True) -> dict:
    """The project Clusters page of the project with the most clusters; the organization pages on the
    largest single-write organization (hundreds of members, up to 1,000 projects): the large tenant's would
    take minutes unpaged, and what matters is how a page grows with its rows."""
    heavy = Project.objects.get(organization=tenant.organization, name="Many Clusters")
    org, owner = max(tenant.write_orgs.items())[1][:2]
    client = Client()
    client.force_login(tenant.owner)
    org_client = Client()
    org_client.force_login(owner)
    out = {
        "project Clusters page": {
            **_get(client, f"/projects/{heavy.public_id}/clusters/", repeats=1),
            "rows": Cluster.objects.filter(project=heavy).count(),
        },
        "organization Access Manager": {
            **_get(org_client, f"/orgs/{org.public_id}/", repeats=1),
            "rows": org.memberships.count() + org.invitations.count(),
        },
    }
    if with_admin:
        staff = User.objects.get(email="staff@bench.example")
        # Staff need two-factor authentication for the admin (without it every admin page answers a redirect to
        # set it up): an authenticator app, as allauth activates one.
        from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

        if not staff.authenticator_set.exists():
            TOTP.activate(staff, generate_totp_secret())
        admin = Client()
        admin.force_login(staff)
        out["admin change page: organization"] = {
            **_get(admin, f"/admin/accounts/organization/{org.pk}/change/", repeats=1),
            "rows": org.memberships.count(),
        }
        out["admin change page: project"] = {
            **_get(admin, f"/admin/accounts/project/{heavy.pk}/change/", repeats=1),
            "rows": Cluster.objects.filter(project=heavy).count(),
        }
    return out


def organizations() -> int:
    return Organization.objects.count()

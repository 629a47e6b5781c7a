"""Health checks (django-health-check): liveness at /health/, readiness at /health/ready/, and the checks the
``health`` command runs in worker and beat containers. Answers name the check that failed and never carry
tenant data; 503 when anything failed."""

import dataclasses
import datetime
import threading
from urllib.parse import urlsplit

from django.db import DEFAULT_DB_ALIAS, connections
from health_check.base import HealthCheck
from health_check.checks import Cache, Database
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView

# A probe must answer within a few seconds even when Redis or PostgreSQL does not: every network check has its
# own short budget (django-health-check adds one second, then reports a timeout).
PROBE_TIMEOUT = datetime.timedelta(seconds=2)


@dataclasses.dataclass
class CeleryBroker(HealthCheck):
    """The Celery broker accepts a connection (Redis in production; the in-memory broker of eager mode always
    does). Workers need not be running for the web to be ready: this checks the broker, not the workers."""

    timeout: datetime.timedelta = dataclasses.field(default=PROBE_TIMEOUT, repr=False)

    def run(self):
        from accessportal.celery import app

        seconds = self.timeout.total_seconds()
        connection = app.connection_for_write(
            connect_timeout=seconds,
            transport_options={"socket_connect_timeout": seconds, "socket_timeout": seconds},
        )
        try:
            connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=seconds)
        except Exception as error:  # kombu wraps the transport's own errors in OperationalError
            transport = urlsplit(connection.as_uri()).scheme or "broker"
            raise ServiceUnavailable(f"Celery broker ({transport}) unreachable: {error}"[:300]) from error
        finally:
            connection.release()

    def __repr__(self):
        return "CeleryBroker"


_graph_lock = threading.Lock()
_graph_nodes: dict[str, frozenset] = {}


def _migration_nodes(alias) -> frozenset:
    """Every migration of the code this process runs (with squashed ones replaced), read from disk once."""
    with _graph_lock:
        if alias not in _graph_nodes:
            from django.db.migrations.loader import MigrationLoader

            loader = MigrationLoader(None, ignore_no_migrations=True)
            _graph_nodes[alias] = frozenset(loader.graph.nodes)
        return _graph_nodes[alias]


@dataclasses.dataclass
class MigrationsApplied(HealthCheck):
    """Every migration this code has is applied: a web process of a new release is not ready before ``migrate``
    ran. One query a probe (the django_migrations table); the migration files are read once per process."""

    alias: str = DEFAULT_DB_ALIAS

    def run(self):
        from django.db import DatabaseError
        from django.db.migrations.recorder import MigrationRecorder

        connection = connections[self.alias]
        try:
            applied = set(MigrationRecorder(connection).applied_migrations())
        except DatabaseError as error:
            raise ServiceUnavailable("cannot read the applied migrations") from error
        finally:
            if not connection.in_atomic_block:  # probes run in threads of their own: do not keep a connection
                connection.close_if_unusable_or_obsolete()
        missing = _migration_nodes(self.alias) - applied
        if missing:
            apps = ", ".join(sorted({app for app, _ in missing}))
            raise ServiceUnavailable(
                f"{len(missing)} migration(s) not applied ({apps}): run manage.py migrate"
            )


def readiness_checks(cache_aliases):
    """Database, cache(s), Celery broker, migrations: what a web process needs to serve requests."""
    return [
        Database,
        *[(Cache, {"alias": alias, "timeout": PROBE_TIMEOUT}) for alias in cache_aliases],
        CeleryBroker,
        MigrationsApplied,
    ]


# What a worker or beat container needs (``manage.py health``): they serve no requests and use no cache of ours.
WORKER_CHECKS = (Database, CeleryBroker)


class ProbeView(HealthCheckView):
    """django-health-check's view, answering 503 (Service Unavailable) rather than 500 when a check failed, so
    that load balancers and orchestrators read it as "not ready" rather than as a crash."""

    async def get(self, request, *args, **kwargs):
        response = await super().get(request, *args, **kwargs)
        if response.status_code == 500:
            response.status_code = 503
            response.reason_phrase = "Service Unavailable"
        return response

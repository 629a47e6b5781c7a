"""The Celery app: broker from REDIS_URL, configuration from the CELERY_* settings, tasks from every app."""

import logging
import os

from celery import Celery, signals
from django_structlog.celery.steps import DjangoStructLogInitStep

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accessportal.settings")

app = Celery("accessportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Operations: in a worker, each task's log lines carry the request id of the request that queued it (sent in
# the message headers by django-structlog), and task start, retry, success and failure are logged.
app.steps["worker"].add(DjangoStructLogInitStep)


@signals.setup_logging.connect
def _logging_from_settings(**kwargs):
    """Workers and beat log through the LOGGING setting (structured lines), not Celery's own handlers."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


@signals.worker_init.connect
def _metrics_exporter(**kwargs):
    """With CELERY_METRICS_PORT set, the worker serves its metrics (see accessportal.operations.metrics)."""
    from django.conf import settings

    if settings.CELERY_METRICS_PORT:
        from accessportal.operations.metrics import worker_metrics_serve

        worker_metrics_serve(address=settings.CELERY_METRICS_ADDRESS, port=settings.CELERY_METRICS_PORT)
logger = logging.getLogger(__name__)


def publish_after_commit(task, *args) -> None:
    """Publish ``task`` with ``args`` once the surrounding transaction commits. A broker that cannot take it is
    logged, never raised: the change is committed (a 5xx would tell the client otherwise), and beat picks the
    work up again (queued emails past their lease, the group-admin sweep)."""
    from django.db import transaction

    def publish():
        try:
            task.delay(*args)
        except Exception:  # kombu's OperationalError, redis's ConnectionError, or the eager task's own error
            logger.warning("could not publish %s%r; beat will pick it up again", task.name, args, exc_info=True)

    transaction.on_commit(publish)

"""The Celery app: broker from REDIS_URL, configuration from the CELERY_* settings, tasks from every app."""

import functools
import logging
import os

from celery import Celery, signals
from celery.contrib.django.task import DjangoTask
from django.db import transaction
from django_structlog.celery.steps import DjangoStructLogInitStep

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accessportal.settings")
logger = logging.getLogger(__name__)


class Task(DjangoTask):
    """Every task of the project: Celery's Django task, whose ``delay_on_commit`` publishes once the surrounding
    transaction commits, except that a broker that cannot take the message is logged, never raised. The change
    is committed (a 5xx would tell the client otherwise), and beat picks the work up again (queued emails past
    their lease, the group-admin sweep)."""

    def delay_on_commit(self, *args, **kwargs) -> None:
        transaction.on_commit(functools.partial(self._delay_or_log, args, kwargs))

    def _delay_or_log(self, args, kwargs) -> None:
        try:
            self.delay(*args, **kwargs)
        except Exception:  # kombu's OperationalError, redis's ConnectionError, or the eager task's own error
            logger.warning(
                "could not publish %s%r; beat will pick it up again", self.name, args, exc_info=True
            )


app = Celery("accessportal", task_cls=Task)
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

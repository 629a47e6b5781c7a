"""The Celery app: broker from REDIS_URL, configuration from the CELERY_* settings, tasks from every app."""

import logging
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accessportal.settings")

app = Celery("accessportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
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

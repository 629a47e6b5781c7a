"""Error reports to Sentry (sentry-sdk with its Django and Celery integrations), only when SENTRY_DSN is set.

No personal data by default (``send_default_pii`` off: no cookies, no user, no client address), no request
bodies, no local variables of stack frames (they hold tokens and headers), and every string of an event goes
through the same redaction as the logs (an invitation link in a URL or a breadcrumb, a bearer token)."""

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.integrations.logging import LoggingIntegration
from sentry_sdk.scrubber import DEFAULT_DENYLIST, EventScrubber

from .logs import SECRET_KEYS, scrub


def scrub_event(event, hint):
    """before_send: every string of the event redacted, every secret key's value replaced."""
    return scrub(event)


def scrub_breadcrumb(crumb, hint):
    return scrub(crumb)


def sentry_init(*, dsn: str, environment: str, release: str, traces_sample_rate: float = 0.0, **options):
    """Start reporting errors to ``dsn``. ``options`` go to ``sentry_sdk.init`` as they are (tests give a
    transport)."""
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        integrations=[
            DjangoIntegration(transaction_style="url"),
            CeleryIntegration(),
            LoggingIntegration(event_level=None),  # errors reach Sentry as exceptions, not as log lines too
        ],
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
        event_scrubber=EventScrubber(denylist=sorted({*DEFAULT_DENYLIST, *SECRET_KEYS}), recursive=True),
        before_send=scrub_event,
        before_send_transaction=scrub_event,
        before_breadcrumb=scrub_breadcrumb,
        traces_sample_rate=traces_sample_rate,
        **options,
    )

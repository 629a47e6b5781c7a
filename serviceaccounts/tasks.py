"""Celery tasks of service accounts: each calls one service; safe to run twice."""

from celery import shared_task

from .services.tokens import access_tokens_purge


@shared_task(acks_late=True)
def purge_access_tokens() -> int:
    """Beat, every hour: access tokens dead (expired or revoked) for a day are deleted (one DELETE)."""
    return access_tokens_purge()

"""Celery tasks of the support app: each calls one service; safe to run twice."""

from celery import shared_task

from .services import support_grants_expire_due


@shared_task(acks_late=True)
def expire_support_grants() -> int:
    """Beat, every minute: grants past their expiry become EXPIRED (one UPDATE); owners are told."""
    return len(support_grants_expire_due())

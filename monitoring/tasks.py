"""Celery tasks of the monitoring app: each takes ids, calls one service; safe to run twice."""

from celery import shared_task

from .services.notifications import monitoring_group_admins_notify


@shared_task(acks_late=True)
def notify_group_admins(organization_id: int | None = None) -> int:
    """Email the group admins about members added to their groups (of one organization, or, from beat every
    minute, of all: the sweep that catches a run lost before it started)."""
    return monitoring_group_admins_notify(organization_id=organization_id)

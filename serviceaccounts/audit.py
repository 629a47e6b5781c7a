"""The audit event types this app records, registered with accounts' registry from its AppConfig.ready()."""

from django.db import models

from accounts.audit import register


class Event(models.TextChoices):
    SERVICE_ACCOUNT_CREATED = "SERVICE_ACCOUNT_CREATED", "Service account created"
    SERVICE_ACCOUNT_DELETED = "SERVICE_ACCOUNT_DELETED", "Service account deleted"
    SERVICE_ACCOUNT_DETAILS_CHANGED = (
        "SERVICE_ACCOUNT_DETAILS_CHANGED",
        "Service account's name or description changed",
    )
    SERVICE_ACCOUNT_ROLES_CHANGED = "SERVICE_ACCOUNT_ROLES_CHANGED", "Service account's roles changed"
    SERVICE_ACCOUNT_SECRET_ADDED = "SERVICE_ACCOUNT_SECRET_ADDED", "Service account secret made"
    SERVICE_ACCOUNT_SECRET_DELETED = "SERVICE_ACCOUNT_SECRET_DELETED", "Service account secret deleted"
    SERVICE_ACCOUNT_ACCESS_LIST_ENTRY_ADDED = (
        "SERVICE_ACCOUNT_ACCESS_LIST_ENTRY_ADDED",
        "Service account access list entry added",
    )
    SERVICE_ACCOUNT_ACCESS_LIST_ENTRY_DELETED = (
        "SERVICE_ACCOUNT_ACCESS_LIST_ENTRY_DELETED",
        "Service account access list entry removed",
    )
    SERVICE_ACCOUNT_ADDED_TO_GROUP = "SERVICE_ACCOUNT_ADDED_TO_GROUP", "Service account added to a project"
    SERVICE_ACCOUNT_REMOVED_FROM_GROUP = (
        "SERVICE_ACCOUNT_REMOVED_FROM_GROUP",
        "Service account removed from a project",
    )
    SERVICE_ACCOUNT_GROUP_ROLES_CHANGED = (
        "SERVICE_ACCOUNT_GROUP_ROLES_CHANGED",
        "Service account's project roles changed",
    )
    SERVICE_ACCOUNT_TOKEN_ISSUED = "SERVICE_ACCOUNT_TOKEN_ISSUED", "Service account token issued"
    SERVICE_ACCOUNT_TOKEN_REVOKED = "SERVICE_ACCOUNT_TOKEN_REVOKED", "Service account token revoked"
    SERVICE_ACCOUNT_AUTHENTICATION_FAILED = (
        "SERVICE_ACCOUNT_AUTHENTICATION_FAILED",
        "Service account sign-in failed",
    )
    SERVICE_ACCOUNT_ACCESS_LIST_REFUSED = (
        "SERVICE_ACCOUNT_ACCESS_LIST_REFUSED",
        "Service account refused by its access list",
    )


def register_event_types() -> None:
    register(group="Service accounts", order=60, types=Event)

"""Recording AuditEvents, the registry of their types (each app registers its own), and the request context
(client IP) they take the "from where" from."""

import contextvars
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from .models import AuditEvent


@dataclass(frozen=True)
class EventType:
    """One kind of AuditEvent: ``name`` is what the row stores and the API calls ``eventTypeName`` (Atlas's
    word), ``label`` what the Activity pages and the staff console show, ``group`` the heading it is listed
    under in the Activity filter."""

    name: str
    label: str
    group: str


class EventTypeRegistry:
    """Every AuditEvent type, registered by the app that records it (as Sentry's audit-log registry), so that
    an app adds an event without a migration of accounts: the ``event_type`` column is free text, and
    ``audit_event_record`` refuses a name nobody registered. Groups are listed by their ``order``, then as
    registered."""

    def __init__(self):
        self._types: dict[str, EventType] = {}
        self._groups: dict[str, tuple[int, list[EventType]]] = {}
        # Every registered name, in registration order. The same list object throughout, so that what reads it
        # at import time (the API's choices and schema enum) sees the types registered later.
        self.names: list[str] = []

    def register(self, *, group: str, order: int, types: Iterable) -> None:
        """Add ``types`` (members of a ``models.TextChoices``: value = stored name, label = human name) under
        ``group``. Registering a type again as it was is a no-op; with another label or group it is an error."""
        listed = self._groups.setdefault(group, (order, []))[1]
        for member in types:
            event_type = EventType(name=str(member.value), label=str(member.label), group=group)
            known = self._types.get(event_type.name)
            if known == event_type:
                continue
            if known is not None:
                raise ImproperlyConfigured(
                    f"Audit event type {event_type.name} is registered twice: {known}."
                )
            self._types[event_type.name] = event_type
            self.names.append(event_type.name)
            listed.append(event_type)

    def __contains__(self, name) -> bool:
        return name in self._types

    def label(self, name: str) -> str:
        """The human name of ``name``; the name itself for a type no app registers any more."""
        event_type = self._types.get(name)
        return event_type.label if event_type is not None else name

    def groups(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """``[(group, [(name, label), ...]), ...]``: the Activity filter's choices."""
        ordered = sorted(self._groups.items(), key=lambda item: item[1][0])  # stable: ties as registered
        return [(group, [(t.name, t.label) for t in types]) for group, (_, types) in ordered if types]

    def check(self, name: str) -> str:
        """``name`` if an app registered it; a ValueError (a programming error, not a user's) otherwise."""
        if name not in self._types:
            raise ValueError(
                f"Unknown audit event type {name!r}: register it with accounts.audit.register()."
            )
        return name


event_types = EventTypeRegistry()
register = event_types.register


# Where each app's groups stand in the Activity filter: accounts' own, with room between them for the others'
# (service accounts 60, support access 80, monitoring 90).
Type = AuditEvent.Type
ACCOUNTS_EVENT_GROUPS = [
    (
        "Organization",
        10,
        [
            Type.ORG_CREATED,
            Type.ORG_RENAMED,
            Type.ORG_DELETED,
            Type.JOINED_ORG,
            Type.REMOVED_FROM_ORG,
            Type.USER_ROLES_CHANGED,
            Type.ORG_SETTINGS_CHANGED,
        ],
    ),
    (
        "Projects",
        20,
        [
            Type.GROUP_CREATED,
            Type.GROUP_RENAMED,
            Type.GROUP_DELETED,
            Type.JOINED_GROUP,
            Type.REMOVED_FROM_GROUP,
        ],
    ),
    (
        "Teams",
        30,
        [
            Type.TEAM_CREATED,
            Type.TEAM_DELETED,
            Type.TEAM_NAME_CHANGED,
            Type.JOINED_TEAM,
            Type.REMOVED_FROM_TEAM,
            Type.TEAM_ADDED_TO_GROUP,
            Type.TEAM_REMOVED_FROM_GROUP,
            Type.TEAM_ROLES_MODIFIED,
        ],
    ),
    (
        "Invitations and requests to join",
        40,
        [
            Type.INVITED_TO_ORG,
            Type.INVITED_TO_GROUP,
            Type.ORG_INVITATION_UPDATED,
            Type.GROUP_INVITATION_UPDATED,
            Type.ORG_INVITATION_RESENT,
            Type.GROUP_INVITATION_RESENT,
            Type.ORG_INVITATION_DELETED,
            Type.GROUP_INVITATION_DELETED,
            Type.ORG_INVITATION_EXPIRED,
            Type.GROUP_INVITATION_EXPIRED,
            Type.INVITATION_ACCEPT_REFUSED,
            Type.INVITATION_EMAIL_BOUNCED,
            Type.REQUESTED_TO_JOIN_GROUP,
            Type.JOIN_GROUP_REQUEST_APPROVED,
            Type.JOIN_GROUP_REQUEST_DENIED,
        ],
    ),
    (
        "API keys",
        50,
        [
            Type.API_KEY_CREATED,
            Type.API_KEY_DELETED,
            Type.API_KEY_ROLES_CHANGED,
            Type.API_KEY_DESCRIPTION_CHANGED,
            Type.API_KEY_ACCESS_LIST_ENTRY_ADDED,
            Type.API_KEY_ACCESS_LIST_ENTRY_DELETED,
            Type.API_KEY_ADDED_TO_GROUP,
            Type.API_KEY_REMOVED_FROM_GROUP,
            Type.API_KEY_GROUP_ROLES_CHANGED,
            Type.API_KEY_AUTHENTICATION_FAILED,
            Type.API_KEY_ACCESS_LIST_REFUSED,
            Type.API_KEY_DISABLED,
            Type.API_KEY_ENABLED,
        ],
    ),
    (
        "Clusters",
        70,
        [
            Type.CLUSTER_CREATED,
            Type.CLUSTER_UPDATED,
            Type.CLUSTER_DELETED,
        ],
    ),
    (
        "Sign-in and security",
        100,
        [
            Type.ORG_TWO_FACTOR_AUTH_REQUIRED,
            Type.ORG_TWO_FACTOR_AUTH_OPTIONAL,
            Type.TWO_FACTOR_AUTH_ENABLED,
            Type.TWO_FACTOR_AUTH_DISABLED,
            Type.TWO_FACTOR_RECOVERY_CODE_USED,
            Type.TWO_FACTOR_RECOVERY_CODES_REGENERATED,
            Type.SIGN_IN_LOCKED_OUT,
        ],
    ),
    (
        "Staff",
        110,
        [
            Type.USER_DEACTIVATED,
            Type.USER_REACTIVATED,
            Type.USER_STAFF_STATUS_CHANGED,
            Type.USER_STAFF_GROUPS_CHANGED,
            Type.USER_PERMISSIONS_CHANGED,
            Type.STAFF_GROUP_CREATED,
            Type.STAFF_GROUP_CHANGED,
            Type.STAFF_GROUP_DELETED,
            Type.RECORDS_EXPORTED,
            Type.PERMISSIONS_REBUILT,
            Type.SIGN_IN_UNLOCKED,
        ],
    ),
]


def register_accounts_event_types() -> None:
    """accounts' own types, from AccountsConfig.ready() like every other app's."""
    for group, order, types in ACCOUNTS_EVENT_GROUPS:
        register(group=group, order=order, types=types)


_client_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("audit_client_ip", default=None)


@contextmanager
def request_origin(client_ip: str | None):
    """Within this block, audit events say they came from ``client_ip``."""
    token = _client_ip.set(client_ip or None)
    try:
        yield
    finally:
        _client_ip.reset(token)


def audit_event_record(
    *, event_type, actor, organization=None, project=None, target=None, target_type="", details=None
) -> AuditEvent:
    """Append one AuditEvent of a registered type. Call it inside the transaction of the change it records."""
    event_types.check(event_type)
    if target is not None:
        target_type = target_type or target._meta.model_name
        target_id = getattr(target, "public_id", "") or str(target.pk)
        target_name = (getattr(target, "email", None) or getattr(target, "name", None) or str(target))[:254]
    else:
        target_id = target_name = ""
    return AuditEvent.objects.create(
        event_type=event_type,
        organization=organization if organization is not None else getattr(project, "organization", None),
        project=project,
        actor=actor,
        actor_email=getattr(actor, "email", "") or "",
        target_type=target_type,
        target_id=target_id,
        target_name=target_name,
        details=details or {},
        client_ip=_client_ip.get(),
    )


def audit_client_ip() -> str | None:
    """Where the request being handled comes from, for audit rows written in SQL (``INSERT ... SELECT``)."""
    return _client_ip.get()


def audit_sql_public_id() -> str:
    """SQL making a fresh random public id (24 hex digits, as ``new_public_id``) for each audit row an
    ``INSERT ... SELECT`` writes."""
    if connection.vendor == "postgresql":
        return "substr(md5(gen_random_uuid()::text), 1, 24)"
    return "lower(hex(randomblob(12)))"


def audit_sql_iso(column: str, utc_suffix: str) -> str:
    """SQL writing the datetime ``column`` as ISO 8601 in UTC, microseconds only when there are some, ending
    in ``utc_suffix`` ("Z" or "+00:00"): what ``isoformat()`` writes in the details of the rows made in Python.
    On SQLite the column is already UTC text, "YYYY-MM-DD HH:MM:SS[.ffffff]"."""
    if connection.vendor == "postgresql":
        utc = f"({column} AT TIME ZONE 'UTC')"
        return (
            f"to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN extract(microseconds FROM {utc})::bigint "
            f"%% 1000000 = 0 THEN '' ELSE to_char({utc}, '.US') END || '{utc_suffix}'"
        )
    return f"replace({column}, ' ', 'T') || '{utc_suffix}'"


def audit_sql_details(**values: str) -> str:
    """SQL building an audit row's ``details`` JSON object from SQL expressions, keyed by the names given."""
    function = "jsonb_build_object" if connection.vendor == "postgresql" else "json_object"
    pairs = ", ".join(f"'{key}', {sql}" for key, sql in values.items())
    return f"{function}({pairs})"


# The columns an ``INSERT ... SELECT`` of audit rows names, in this order.
AUDIT_SQL_COLUMNS = (
    "public_id, organization_id, project_id, actor_id, actor_email, event_type, target_type, target_id, "
    "target_name, details, client_ip, created_at"
)


def audit_events_record_bulk(events: list[AuditEvent]) -> list[AuditEvent]:
    """Append many AuditEvents in one INSERT (bulk work: expiry, offboarding)."""
    client_ip = _client_ip.get()
    for event in events:
        event_types.check(event.event_type)
        if event.client_ip is None:
            event.client_ip = client_ip
    return AuditEvent.objects.bulk_create(events)


class ClientIPMiddleware:
    """Makes the request's client address available to audit events recorded while it is handled.

    REMOTE_ADDR only: behind a proxy, configure the proxy (or gunicorn's --forwarded-allow-ips) to set it, so
    that a client cannot forge its address with a header.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with request_origin(request.META.get("REMOTE_ADDR")):
            return self.get_response(request)

"""What the monitoring services share: who may change system groups by hand, input cleaning, finding or making
monitoring users, and the bulk SQL that fills groups from attachments."""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.errors import ServiceError
from accounts.services._rules import refuse_unsafe_characters, unsafe_characters
from monitoring.models import (
    GroupRole,
    MonitoringGroup,
    MonitoringGroupMembership,
    MonitoringUser,
    MonitoringUserAttachment,
)

_USERNAME_MAX = 254


def may_manage_system_groups(actor) -> bool:
    """Only the system (no actor) and the provider's superusers add members to a system group by hand."""
    return actor is None or (actor.is_active and actor.is_superuser)


def clean_group_role(role) -> str:
    role = role or GroupRole.MEMBER
    if role not in GroupRole.values:
        raise ServiceError(
            "VALIDATION_ERROR",
            f"Unknown group role {role!r}; valid roles are {', '.join(GroupRole.values)}.",
            field="groupRole",
        )
    return str(role)


def _is_email(value) -> bool:
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


def clean_username(username) -> str:
    username = (username or "").strip()
    if not username:
        raise ServiceError("VALIDATION_ERROR", "Give the monitoring user's user name.", field="username")
    if len(username) > _USERNAME_MAX or any(ch.isspace() for ch in username):
        raise ServiceError(
            "VALIDATION_ERROR",
            f"A monitoring user name has at most {_USERNAME_MAX} characters and no spaces.",
            field="username",
        )
    return refuse_unsafe_characters(username, field="username", what="monitoring user name")


def _clean_email(email) -> str:
    email = (email or "").strip().lower()
    if not _is_email(email) or unsafe_characters(email):
        raise ServiceError("VALIDATION_ERROR", f"{email!r} is not an email address.", field="emailAddress")
    return email


def monitoring_user_find_or_create(*, organization, username, email=None) -> tuple[MonitoringUser, bool]:
    """The organization's monitoring user named ``username`` (case-insensitively), made when unknown. A new one
    needs an email address: ``email``, or the user name when it is one. Only ``organization``'s own records are
    looked at: another organization's monitoring user of the same name is not this one, and is never revealed.
    Returns (monitoring user, created)."""
    username = clean_username(username)
    email = _clean_email(email) if email else None
    known = MonitoringUser.objects.filter(organization=organization)
    existing = known.filter(username__iexact=username).first()
    if existing is not None:
        if email and email != existing.email.lower():
            raise ServiceError(
                "VALIDATION_ERROR",
                f"The monitoring user {existing.username} has another email address; leave the email "
                "address out to use the existing account.",
                field="emailAddress",
            )
        return existing, False
    if email is None:
        if not _is_email(username):
            raise ServiceError(
                "VALIDATION_ERROR",
                f"{username} is a new monitoring user: give its email address.",
                field="emailAddress",
            )
        email = username.lower()
    if known.filter(email__iexact=email).exists():
        raise ServiceError(
            "MONITORING_USER_EMAIL_TAKEN",
            f"{email} is already the email address of another monitoring user; give that user's name.",
            emailAddress=email,
        )
    try:
        with transaction.atomic():  # two requests may attach the same new account at once
            return MonitoringUser.objects.create(
                organization=organization, username=username, email=email
            ), True
    except IntegrityError:
        existing = known.filter(username__iexact=username).first()
        if existing is None:
            raise ServiceError(
                "MONITORING_USER_EMAIL_TAKEN",
                f"{email} is already the email address of another monitoring user.",
                emailAddress=email,
            ) from None
        return existing, False


_INSERT_ATTACHMENT_MEMBERSHIPS = (
    "INSERT INTO {membership} (group_id, monitoring_user_id, role, source, attachment_id, created_at) "
    "SELECT g.id, a.monitoring_user_id, a.group_role, %s, a.id, %s "
    "FROM {group} g "
    "INNER JOIN {project} p ON p.id = g.project_id "
    "INNER JOIN {attached} a ON a.organization_id = p.organization_id "
    "WHERE {conditions} "
    "AND NOT EXISTS (SELECT 1 FROM {membership} m "
    "WHERE m.group_id = g.id AND m.monitoring_user_id = a.monitoring_user_id)"
)


def insert_attachment_memberships(*, organization, attachment=None, group_ids=None) -> int:
    """Make each attached monitoring user of ``organization`` (or only ``attachment``) a member of each system
    group there (or only ``group_ids``) that it is not in yet, with its attachment's role: one INSERT ... SELECT,
    whatever the number of groups and attachments. Returns how many memberships were made."""
    if group_ids is not None and not group_ids:
        return 0
    qn = connection.ops.quote_name
    membership = qn(MonitoringGroupMembership._meta.db_table)
    group = qn(MonitoringGroup._meta.db_table)
    attached = qn(MonitoringUserAttachment._meta.db_table)
    project = qn(MonitoringGroup._meta.get_field("project").related_model._meta.db_table)
    conditions = ["p.organization_id = %s", "g.cluster_id IS NOT NULL"]
    params = [MonitoringGroupMembership.Source.ATTACHMENT, timezone.now(), organization.pk]
    if attachment is not None:
        conditions.append("a.id = %s")
        params.append(attachment.pk)
    if group_ids is not None:
        conditions.append(f"g.id IN ({', '.join(['%s'] * len(group_ids))})")
        params.extend(group_ids)
    # Only quoted table names from our models and fixed conditions are formatted in; every value is a parameter.
    sql = _INSERT_ATTACHMENT_MEMBERSHIPS.format(  # nosec B608
        membership=membership, group=group, project=project, attached=attached, conditions=" AND ".join(conditions)
    )
    if connection.vendor == "sqlite":
        params[1] = connection.ops.adapt_datetimefield_value(params[1])
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)

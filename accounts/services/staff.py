"""What the provider's staff change in the Django admin: deactivating people, staff and superuser status,
model-wide permissions and staff groups (such as Support), disabling API keys. Every change is audited; nobody
grants a power they do not hold themselves; deactivating never leaves an organization or a project without an
active owner."""

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone

from accounts import roles as catalogue
from accounts.audit import audit_event_record
from accounts.errors import ServiceError
from accounts.models import (
    ApiKey,
    AuditEvent,
    Invitation,
    Organization,
    OrganizationRole,
    ProjectRole,
    User,
    staff_groups,
)

from ._rules import refuse_unsafe_characters
from .locks import lock_organization

Event = AuditEvent.Type


def _label(permission) -> str:
    return f"{permission.content_type.app_label}.{permission.codename}"


def _require_model_permission(actor, permission: str) -> None:
    if actor is None:
        return
    if not (actor.is_active and actor.is_staff and actor.has_perm(permission)):
        raise ServiceError(
            "USER_UNAUTHORIZED", f"You do not have the permission {permission}.", permission=permission
        )


def _require_holds(actor, permissions, what: str) -> None:
    """No escalation: granting model-wide permissions (directly or through a group) needs holding each."""
    if actor is None:
        return
    lacking = sorted(label for label in map(_label, permissions) if not actor.has_perm(label))
    if lacking:
        raise ServiceError(
            "ROLE_ESCALATION",
            f"You cannot grant {what}: it carries permissions you do not hold ({', '.join(lacking)}).",
            lacking=", ".join(lacking),
        )


def _staff_groups(groups) -> list[Group]:
    groups = list(groups)
    followers = sorted(group.name for group in groups if hasattr(group, "team") or hasattr(group, "organization_role"))
    if followers:
        raise ServiceError(
            "VALIDATION_ERROR",
            f"{', '.join(followers)} belong to teams or organization roles; they change through the team or role.",
            field="groups",
        )
    return groups


def _refuse_leaving_without_an_active_owner(user) -> None:
    """Deactivating ``user`` must leave every organization they own, and every project they own individually,
    another active owner (the organizations are locked first, as every last-owner path does)."""
    owner_of = OrganizationRole.objects.filter(membership__user=user, name=catalogue.ORG_OWNER)
    owned = list(
        Organization.objects.select_for_update()
        .filter(pk__in=owner_of.values("membership__organization_id"))
        .order_by("pk")
    )
    active_people = {"membership__user__is_active": True, "membership__user__is_service_account": False}
    for organization in owned:
        others = OrganizationRole.objects.filter(
            membership__organization=organization, name=catalogue.ORG_OWNER, **active_people
        ).exclude(membership__user=user)
        if not others.exists():
            raise ServiceError(
                "CANNOT_REMOVE_LAST_ORG_OWNER",
                f"{user.email} is the last active Organization Owner of {organization.name} and cannot be "
                "deactivated; make someone else Organization Owner first.",
                username=user.email,
            )
    mine = ProjectRole.objects.filter(name=catalogue.GROUP_OWNER, membership__user=user).select_related(
        "membership__project"
    )
    for role in mine:
        project = role.membership.project
        others = ProjectRole.objects.filter(
            name=catalogue.GROUP_OWNER, membership__project=project, **active_people
        ).exclude(membership__user=user)
        if not others.exists():
            raise ServiceError(
                "CANNOT_REMOVE_LAST_GROUP_OWNER",
                f"{user.email} is the last active Project Owner of {project.name} and cannot be deactivated; "
                "make someone else Project Owner first.",
                username=user.email,
                groups=project.name,
            )


def _revoke_their_invitations(user, actor) -> list[str]:
    """A deactivated inviter can send nothing: their pending invitations go, in every organization."""
    from .invitations.revoking import invitations_revoke_beyond_inviter

    organizations = Organization.objects.select_for_update().filter(
        pk__in=Invitation.objects.filter(inviter=user, status=Invitation.Status.PENDING).values("organization_id")
    )
    revoked = []
    for organization in organizations.order_by("pk"):
        revoked += invitations_revoke_beyond_inviter(
            organization=organization,
            inviters=[user],
            actor=actor,
            reason=f"{user.email} was deactivated",
            everything=True,
        )
    return sorted(revoked)


@transaction.atomic
def user_deactivate(*, user, actor) -> User:
    """Deactivate a person (they can no longer sign in or act; their memberships stay, for the record). Refused
    for the last active owner of an organization or project. Their pending invitations are revoked."""
    _require_model_permission(actor, "accounts.change_user")
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_service_account:
        raise ServiceError(
            "VALIDATION_ERROR",
            f"{user.email} is an API key's account; delete or change the API key instead.",
            username=user.email,
        )
    if actor is not None and actor.pk == user.pk:
        raise ServiceError("VALIDATION_ERROR", "You cannot deactivate yourself.", username=user.email)
    if not user.is_active:
        return user
    _refuse_leaving_without_an_active_owner(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    revoked = _revoke_their_invitations(user, actor)
    audit_event_record(
        event_type=Event.USER_DEACTIVATED, actor=actor, target=user, details={"invitationsRevoked": revoked}
    )
    return user


@transaction.atomic
def user_staff_access_update(
    *, user, actor, is_active=None, is_staff=None, is_superuser=None, staff_groups=None, permissions=None
) -> User:
    """Change what the admin calls a user's "staff permissions": active, staff and superuser status, staff groups
    (not teams' groups) and model-wide permissions. ``None`` leaves a part alone. Each change is its own audit
    event; making a superuser needs a superuser; granting a permission or a group needs holding what it gives."""
    _require_model_permission(actor, "accounts.change_user")
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_service_account:
        raise ServiceError(
            "VALIDATION_ERROR",
            f"{user.email} is an API key's account; its access changes only with the API key.",
            username=user.email,
        )
    if is_active is False and user.is_active:
        user_deactivate(user=user, actor=actor)
        user.refresh_from_db()
    elif is_active is True and not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
        audit_event_record(event_type=Event.USER_REACTIVATED, actor=actor, target=user)
    for field, value in (("is_staff", is_staff), ("is_superuser", is_superuser)):
        if value is None or getattr(user, field) == value:
            continue
        if actor is not None and not actor.is_superuser:
            raise ServiceError(
                "USER_UNAUTHORIZED",
                f"Only a superuser may change {field.replace('_', ' ')} of {user.email}.",
                permission=field,
            )
        setattr(user, field, value)
        user.save(update_fields=[field])
        audit_event_record(
            event_type=Event.USER_STAFF_STATUS_CHANGED,
            actor=actor,
            target=user,
            details={"field": field, "from": not value, "to": value},
        )
    if staff_groups is not None:
        _set_staff_groups(user, _staff_groups(staff_groups), actor)
    if permissions is not None:
        _set_permissions(user, list(permissions), actor)
    return user


def _set_staff_groups(user, groups, actor):
    current = set(staff_groups(user.groups.all()))
    wanted = set(groups)
    added, removed = wanted - current, current - wanted
    if not added and not removed:
        return
    for group in added:
        _require_holds(actor, group.permissions.select_related("content_type"), f"the group {group.name}")
    if added:
        user.groups.add(*added)
    if removed:
        user.groups.remove(*removed)
    audit_event_record(
        event_type=Event.USER_STAFF_GROUPS_CHANGED,
        actor=actor,
        target=user,
        details={"added": sorted(g.name for g in added), "removed": sorted(g.name for g in removed)},
    )


def _set_permissions(user, permissions, actor):
    current = set(user.user_permissions.select_related("content_type"))
    wanted = set(permissions)
    added, removed = wanted - current, current - wanted
    if not added and not removed:
        return
    _require_holds(actor, added, ", ".join(sorted(map(_label, added))))
    if added:
        user.user_permissions.add(*added)
    if removed:
        user.user_permissions.remove(*removed)
    audit_event_record(
        event_type=Event.USER_PERMISSIONS_CHANGED,
        actor=actor,
        target=user,
        details={"added": sorted(map(_label, added)), "removed": sorted(map(_label, removed))},
    )


@transaction.atomic
def staff_group_save(*, group=None, name, permissions, actor) -> Group:
    """Create a staff group, or rename it and set its model-wide permissions (which every member holds):
    audited, and granting needs holding what is granted."""
    creating = group is None
    _require_model_permission(actor, "auth.add_group" if creating else "auth.change_group")
    wanted = set(Permission.objects.filter(pk__in=[p.pk for p in permissions]).select_related("content_type"))
    if creating:
        _require_holds(actor, wanted, f"the group {name}")
        group = Group.objects.create(name=name)
        group.permissions.set(wanted)
        audit_event_record(
            event_type=Event.STAFF_GROUP_CREATED,
            actor=actor,
            target=group,
            target_type="group",
            details={"permissions": sorted(map(_label, wanted))},
        )
        return group
    group = Group.objects.select_for_update().get(pk=group.pk)
    _staff_groups([group])
    current = set(group.permissions.select_related("content_type"))
    added, removed = wanted - current, current - wanted
    _require_holds(actor, added, f"the group {group.name}")
    changes = {}
    if name != group.name:
        changes["name"] = {"from": group.name, "to": name}
        group.name = name
        group.save(update_fields=["name"])
    if added or removed:
        group.permissions.set(wanted)
        changes.update(added=sorted(map(_label, added)), removed=sorted(map(_label, removed)))
    if changes:
        audit_event_record(
            event_type=Event.STAFF_GROUP_CHANGED, actor=actor, target=group, target_type="group", details=changes
        )
    return group


@transaction.atomic
def staff_group_delete(*, group, actor) -> None:
    _require_model_permission(actor, "auth.delete_group")
    group = Group.objects.select_for_update().get(pk=group.pk)
    _staff_groups([group])
    audit_event_record(
        event_type=Event.STAFF_GROUP_DELETED,
        actor=actor,
        target=group,
        target_type="group",
        details={"members": sorted(group.user_set.values_list("email", flat=True))},
    )
    group.delete()


EXPORT_PERMISSION = "accounts.export_records"


@transaction.atomic
def records_export_record(*, actor, model, query: str) -> None:
    """An export of an admin list as CSV (``model``'s rows as filtered by ``query``, the list's query string):
    needs the export permission and reading that list, and is audited before a row is sent."""
    label = f"{model._meta.app_label}.view_{model._meta.model_name}"
    _require_model_permission(actor, EXPORT_PERMISSION)
    _require_model_permission(actor, label)
    audit_event_record(
        event_type=Event.RECORDS_EXPORTED,
        actor=actor,
        target_type="export",
        details={"list": f"{model._meta.app_label}.{model._meta.model_name}", "filters": query},
    )


@transaction.atomic
def organization_permissions_rebuild(*, organization, actor) -> dict:
    """Recompute one organization's derived permissions from its roles (what ``manage.py sync_permissions`` does
    for all): for staff who may change organizations. Audited with what it corrected."""
    from accounts.permissions import sync_organization_permissions

    _require_model_permission(actor, "accounts.change_organization")
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    counts = sync_organization_permissions(organization)
    audit_event_record(
        event_type=Event.PERMISSIONS_REBUILT,
        actor=actor,
        organization=organization,
        target=organization,
        details=counts,
    )
    return counts


@transaction.atomic
def sign_in_locks_release(*, attempts, actor) -> list[str]:
    """End sign-in lockouts now (django-axes' attempts: the account's and the address's counts start again):
    for staff who may delete them. One audit event per account or address released."""
    _require_model_permission(actor, "axes.delete_accessattempt")
    released = []
    for attempt in attempts:
        who = attempt.username or attempt.ip_address or "?"
        audit_event_record(
            event_type=Event.SIGN_IN_UNLOCKED,
            actor=actor,
            target_type="account" if attempt.username else "address",
            details={
                "username": attempt.username or "",
                "address": attempt.ip_address or "",
                "failures": attempt.failures_since_start,
            },
        )
        released.append(who)
        attempt.delete()
    return released


# ---- API keys ---------------------------------------------------------------------------------------------------

DISABLE_REASON_MAX = 500


def _clean_disable_reason(reason, *, required: bool) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise ServiceError("VALIDATION_ERROR", "Say why the API key is disabled.", field="reason")
    if len(reason) > DISABLE_REASON_MAX:
        raise ServiceError(
            "VALIDATION_ERROR", f"The reason may be at most {DISABLE_REASON_MAX} characters.", field="reason"
        )
    return refuse_unsafe_characters(reason, field="reason", what="reason")


def _locked_key(api_key) -> tuple[Organization, ApiKey]:
    """The key's organization locked (as every API key write does), then the key as stored now."""
    organization = lock_organization(api_key.organization)
    return organization, ApiKey.objects.select_for_update().select_related("organization").get(pk=api_key.pk)


@transaction.atomic
def api_key_disable(*, api_key, actor, reason) -> ApiKey:
    """Disable an organization's API key, for staff who may change API keys (Portal administrators): from the
    next request on, everything signed with it is refused (401 API_KEY_DISABLED) until it is enabled again. Its
    roles, projects and access list stay, so enabling gives back exactly what it had. The pending invitations it
    sent are revoked, as a deactivated person's are. ``reason`` is required: the organization's owners read it
    on the key's page. A key disabled already is left as it is (its first reason stays; nothing is recorded)."""
    _require_model_permission(actor, "accounts.change_apikey")
    reason = _clean_disable_reason(reason, required=True)
    organization, api_key = _locked_key(api_key)
    if api_key.disabled_at is not None:
        return api_key
    api_key.disabled_at = timezone.now()
    api_key.disabled_by = actor
    api_key.disabled_reason = reason
    api_key.save(update_fields=["disabled_at", "disabled_by", "disabled_reason"])
    from .invitations.revoking import invitations_revoke_beyond_inviter

    revoked = invitations_revoke_beyond_inviter(
        organization=organization,
        inviters=[api_key.user],
        actor=actor,
        reason=f"API key {api_key.public_key} was disabled",
        everything=True,
    )
    audit_event_record(
        event_type=Event.API_KEY_DISABLED,
        actor=actor,
        organization=organization,
        target=api_key,
        target_type="api_key",
        details={"publicKey": api_key.public_key, "reason": reason, "invitationsRevoked": revoked},
    )
    return api_key


@transaction.atomic
def api_key_enable(*, api_key, actor, reason="") -> ApiKey:
    """Let a disabled API key be used again (the same staff permission as disabling), with what it held before;
    the invitations revoked when it was disabled stay revoked. ``reason`` is optional and only recorded. A key
    that is not disabled is left as it is (nothing is recorded)."""
    _require_model_permission(actor, "accounts.change_apikey")
    reason = _clean_disable_reason(reason, required=False)
    organization, api_key = _locked_key(api_key)
    if api_key.disabled_at is None:
        return api_key
    details = {
        "publicKey": api_key.public_key,
        "disabledAt": api_key.disabled_at.isoformat(),
        "disabledReason": api_key.disabled_reason,
    }
    if reason:
        details["reason"] = reason
    api_key.disabled_at = None
    api_key.disabled_by = None
    api_key.disabled_reason = ""
    api_key.save(update_fields=["disabled_at", "disabled_by", "disabled_reason"])
    audit_event_record(
        event_type=Event.API_KEY_ENABLED,
        actor=actor,
        organization=organization,
        target=api_key,
        target_type="api_key",
        details=details,
    )
    return api_key

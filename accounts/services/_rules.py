"""Rules that several services share: checking role names, setting a holder's roles and recording what that
changed, and names."""

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from accounts import roles as catalogue
from accounts.audit import audit_event_record
from accounts.errors import ServiceError
from accounts.models import Organization
from accounts.permissions import require_may_grant, sync_organization_permissions


def clean_organization_roles(role_names) -> list[str]:
    return _clean_roles(role_names, catalogue.ORGANIZATION_ROLES, "organization")


def clean_project_roles(role_names) -> list[str]:
    return _clean_roles(role_names, catalogue.PROJECT_ROLES, "project")


def clean_roles(scope, role_names) -> list[str]:
    """``role_names`` checked against the catalogue of ``scope``: an organization's roles or a project's."""
    if isinstance(scope, Organization):
        return clean_organization_roles(role_names)
    return clean_project_roles(role_names)


def grantable_roles(*, actor, scope, roles) -> list[str]:
    """``roles`` cleaned against the catalogue of ``scope``, once ``actor`` holds all they carry there (no
    escalation): what every service that gives new roles (a member, a team's assignment, a key) starts with."""
    role_names = clean_roles(scope, roles)
    require_may_grant(actor, role_names, scope)
    return role_names


def _clean_roles(role_names, known, kind) -> list[str]:
    if isinstance(role_names, str):
        role_names = [role_names]
    names = sorted(set(role_names or ()))
    if not names:
        raise ServiceError("INVALID_ROLE", f"Give at least one {kind} role.", roles=[])
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ServiceError(
            "INVALID_ROLE",
            f"Unknown {kind} role {', '.join(unknown)}; valid roles are {', '.join(known)}.",
            roles=unknown,
        )
    return names


def replace_roles(holder, names) -> tuple[list[str], list[str]]:
    """Make the role rows of ``holder`` (a membership or a team's assignment: a RoleHolder) exactly ``names``;
    returns (added, removed)."""
    reverse = type(holder).roles  # the role model's foreign key to its holder, seen from the holder
    role_model, holder_field = reverse.rel.related_model, reverse.field.name
    current = set(role_model.objects.filter(**{holder_field: holder}).values_list("name", flat=True))
    removed = sorted(current - set(names))
    added = sorted(set(names) - current)
    if removed:
        role_model.objects.filter(**{holder_field: holder, "name__in": removed}).delete()
    if added:
        role_model.objects.bulk_create(role_model(**{holder_field: holder}, name=name) for name in added)
    return added, removed


@dataclass(frozen=True)
class RolesSet:
    """What setting a holder's roles did: the holder, its roles before and after, and which were added and
    removed (both empty: nothing changed, so nothing is synced or audited)."""

    holder: object
    old: list[str]
    new: list[str]
    added: list[str]
    removed: list[str]

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)

    @property
    def details(self) -> dict:
        """The audit row's details: ``{"from": old, "to": new}``."""
        return {"from": self.old, "to": self.new}


def roles_set(*, actor, scope, roles, holder: Callable, owner_demoted: Callable | None = None) -> RolesSet:
    """The shared body of every "set the roles" service (of a member, a team's assignment, an API key or a
    service account), called with the organization locked and once ``actor`` may manage ``scope``'s members:
    ``roles`` cleaned against the catalogue of ``scope`` (an organization's roles or a project's), the holder
    fetched by ``holder()`` (so that a bad role is refused first), no escalation (the actor holds what is
    granted and what is taken away), ``owner_demoted()`` called when the owner role of ``scope`` is taken away
    (the last-owner rule), and the role rows replaced. The caller then hands the change to
    ``roles_set_recorded`` (permissions synced, its own audit event, what the lost roles had given revoked)."""
    role_names = clean_roles(scope, roles)
    owner = (
        catalogue.ORGANIZATION_OWNER_ROLE if isinstance(scope, Organization) else catalogue.PROJECT_OWNER_ROLE
    )
    row = holder()
    old = row.role_names
    require_may_grant(actor, set(role_names) | set(old), scope)
    if owner_demoted is not None and owner in old and owner not in role_names:
        owner_demoted()
    added, removed = replace_roles(row, role_names)
    return RolesSet(holder=row, old=old, new=role_names, added=added, removed=removed)


@dataclass(frozen=True)
class Grantee:
    """Who holds roles in ``scope`` (an organization or a project), as the tail of a change to those roles sees
    them: the audit row's ``target`` (and ``target_type``), the users and teams whose derived permissions are
    synced (on ``scope``'s projects: an organization's are every project; a project's are that one, or every
    one with ``every_project``), and ``inviters()``, the users who lose the invitations they could no longer
    send (called only when some are revoked)."""

    scope: object
    target: object
    inviters: Callable[[], list]
    user_ids: tuple = ()
    team_ids: tuple = ()
    target_type: str = ""
    every_project: bool = False

    @property
    def organization(self) -> Organization:
        return self.scope if isinstance(self.scope, Organization) else self.scope.organization


def access_changed(grantee: Grantee, *, event_type, actor, details) -> None:
    """The shared tail of every change to who holds which roles: the grantee's derived permissions synced, then
    the audit row of the change, in the caller's transaction."""
    scope, organization = grantee.scope, grantee.organization
    project = None if scope is organization else scope
    projects = {} if project is None or grantee.every_project else {"project_ids": [project.pk]}
    sync_organization_permissions(
        organization, user_ids=list(grantee.user_ids), team_ids=list(grantee.team_ids), **projects
    )
    audit_event_record(
        event_type=event_type,
        actor=actor,
        organization=organization,
        project=project,
        target=grantee.target,
        target_type=grantee.target_type,
        details=details,
    )


def invitations_beyond_revoke(grantee: Grantee, actor, reason, *, everything=False) -> list[str]:
    """Those who lost power lose the pending invitations of the grantee's organization that they could no
    longer send (``everything``: they are going, so all of them). Returns the invited addresses."""
    from .invitations.revoking import invitations_revoke_beyond_inviter

    return invitations_revoke_beyond_inviter(
        organization=grantee.organization,
        inviters=grantee.inviters(),
        actor=actor,
        reason=reason,
        everything=everything,
    )


def roles_set_recorded(
    change: RolesSet, grantee: Grantee, *, event_type, actor, lost: Callable, details=None
):
    """The tail of every "set the roles" service after ``roles_set``: when the roles changed, the permissions
    synced and ``event_type`` audited with the change's details (or ``details``); when some were taken away,
    the invitations revoked for the reason ``lost(names)`` (their names, comma-separated). Returns the
    holder."""
    if change.changed:
        access_changed(
            grantee,
            event_type=event_type,
            actor=actor,
            details=change.details if details is None else details,
        )
    if change.removed:
        invitations_beyond_revoke(grantee, actor, lost(", ".join(change.removed)))
    return change.holder


_NAME_MAX = 64

# What no name may hold, whoever gave it: control characters (newlines, NUL, escape: header injection, log
# forging), format characters (bidi overrides and isolates, zero-width spaces and joiners, byte-order marks:
# text that reads otherwise than it is), line and paragraph separators, and lone surrogates.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


def unsafe_characters(text: str) -> list[str]:
    """The refused characters in ``text``, as U+XXXX, each once, in order of appearance."""
    found = []
    for character in text:
        if unicodedata.category(character) in _REFUSED_CATEGORIES:
            code = f"U+{ord(character):04X}"
            if code not in found:
                found.append(code)
    return found


def refuse_unsafe_characters(text: str, *, field: str, what: str) -> str:
    """``text`` unchanged, or VALIDATION_ERROR naming ``field`` when it holds a control, bidi-override or
    zero-width character."""
    found = unsafe_characters(text)
    if found:
        raise ServiceError(
            "VALIDATION_ERROR",
            f"The {what} must not contain control, bidi-override or zero-width characters "
            f"(found {', '.join(found)}).",
            field=field,
        )
    return text


def clean_name(name, *, kind: str, field: str = "name") -> str:
    name = (name or "").strip()
    if not name:
        raise ServiceError("VALIDATION_ERROR", f"The {kind} name must not be empty.", field=field)
    if len(name) > _NAME_MAX:
        raise ServiceError(
            "VALIDATION_ERROR", f"The {kind} name must be at most {_NAME_MAX} characters.", field=field
        )
    return refuse_unsafe_characters(name, field=field, what=f"{kind} name")


def clean_person_name(name, *, field: str, what: str, max_length: int = 150) -> str:
    """A person's first or last name: may be empty."""
    name = (name or "").strip()
    if len(name) > max_length:
        raise ServiceError(
            "VALIDATION_ERROR", f"The {what} must be at most {max_length} characters.", field=field
        )
    return refuse_unsafe_characters(name, field=field, what=what)


_CLUSTER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$")


def clean_cluster_name(name) -> str:
    name = (name or "").strip()
    if not _CLUSTER_NAME.match(name):
        raise ServiceError(
            "VALIDATION_ERROR",
            "A cluster name has 1 to 64 ASCII letters, digits and hyphens, and starts with a letter or digit.",
            field="name",
        )
    return name

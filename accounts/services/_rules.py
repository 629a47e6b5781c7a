"""Rules that several services share: checking role names, setting a holder's roles, and names."""

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from accounts import roles as catalogue
from accounts.errors import ServiceError
from accounts.models import Organization
from accounts.permissions import require_may_grant


def clean_organization_roles(role_names) -> list[str]:
    return _clean_roles(role_names, catalogue.ORGANIZATION_ROLES, "organization")


def clean_project_roles(role_names) -> list[str]:
    return _clean_roles(role_names, catalogue.PROJECT_ROLES, "project")


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
    (the last-owner rule), and the role rows replaced. The caller then syncs permissions, records its own
    audit event and revokes what the lost roles had given."""
    if isinstance(scope, Organization):
        role_names, owner = clean_organization_roles(roles), catalogue.ORGANIZATION_OWNER_ROLE
    else:
        role_names, owner = clean_project_roles(roles), catalogue.PROJECT_OWNER_ROLE
    row = holder()
    old = row.role_names
    require_may_grant(actor, set(role_names) | set(old), scope)
    if owner_demoted is not None and owner in old and owner not in role_names:
        owner_demoted()
    added, removed = replace_roles(row, role_names)
    return RolesSet(holder=row, old=old, new=role_names, added=added, removed=removed)


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

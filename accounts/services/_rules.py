"""Rules that several services share: checking role names and names."""

import re
import unicodedata

from accounts import roles
from accounts.errors import ServiceError


def clean_organization_roles(role_names) -> list[str]:
    return _clean_roles(role_names, roles.ORGANIZATION_ROLES, "organization")


def clean_project_roles(role_names) -> list[str]:
    return _clean_roles(role_names, roles.PROJECT_ROLES, "project")


def _clean_roles(role_names, catalogue, kind) -> list[str]:
    if isinstance(role_names, str):
        role_names = [role_names]
    names = sorted(set(role_names or ()))
    if not names:
        raise ServiceError("INVALID_ROLE", f"Give at least one {kind} role.", roles=[])
    unknown = [name for name in names if name not in catalogue]
    if unknown:
        raise ServiceError(
            "INVALID_ROLE",
            f"Unknown {kind} role {', '.join(unknown)}; valid roles are {', '.join(catalogue)}.",
            roles=unknown,
        )
    return names


def replace_roles(membership, role_model, names, owner_field="membership") -> tuple[list[str], list[str]]:
    """Make ``membership``'s role rows exactly ``names``; returns (added, removed)."""
    current = set(role_model.objects.filter(**{owner_field: membership}).values_list("name", flat=True))
    removed = sorted(current - set(names))
    added = sorted(set(names) - current)
    if removed:
        role_model.objects.filter(**{owner_field: membership, "name__in": removed}).delete()
    if added:
        role_model.objects.bulk_create(role_model(**{owner_field: membership}, name=name) for name in added)
    return added, removed


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

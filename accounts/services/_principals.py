"""What an organization's programmatic principals share, whichever app defines them (API keys here, service
accounts in serviceaccounts): the user they act as, their description, their roles in the organization and its
projects, their IP access list and their deletion. A ``PrincipalKind`` says how one kind is named in audit rows,
errors and messages. The caller, the kind's own service, is atomic, locks the organization and checks the actor
on the object first; these building blocks then apply the rules, write the rows and record the audit events.
Callers import the module: ``principals.roles_set(KEY, api_key, project, roles=..., actor=...)``."""

import ipaddress
from dataclasses import dataclass

from django.contrib.auth import get_user_model

from accounts.audit import audit_event_record
from accounts.errors import ServiceError
from accounts.models import Organization, Project, ProjectMembership
from accounts.permissions import require_may_grant

from . import _rules
from ._rules import (
    Grantee,
    access_changed,
    grantable_roles,
    invitations_beyond_revoke,
    refuse_unsafe_characters,
    roles_set_recorded,
)
from .members import add_to_project


@dataclass(frozen=True)
class PrincipalKind:
    """One kind of programmatic principal. ``noun`` names it in messages ("API key"), after ``article``
    ("An"); its audit rows have ``target_type`` and carry ``{ident_key: principal.<ident_attr>}`` (every row
    of the kind, or, without ``ident_on_role_changes``, every row but the role changes' ``{from, to}``); its
    error codes start with ``code`` and carry that detail too with ``ident_in_errors``; a bad description is
    reported on ``description_field``; with ``refuse_assigned_twice`` assigning it to a project it is in
    already is refused as ``<code>_ALREADY_IN_GROUP`` (otherwise the member rule, USER_ALREADY_IN_GROUP).
    ``events`` maps each change these building blocks record ("roles_changed", "group_roles_changed",
    "added_to_group", "removed_from_group", "deleted", "access_list_entry_added") to the kind's audit event
    type. The invitations it loses say why with its noun and ``reason_attr`` ("API key abcdefgh lost
    ORG_OWNER"; without ``names_lost_roles``, "... lost roles")."""

    noun: str
    article: str
    target_type: str
    code: str
    ident_key: str
    ident_attr: str
    description_field: str
    reason_attr: str
    events: dict
    ident_in_errors: bool = False
    ident_on_role_changes: bool = False
    refuse_assigned_twice: bool = False
    names_lost_roles: bool = True

    def ident(self, principal) -> dict:
        return {self.ident_key: getattr(principal, self.ident_attr)}

    def name(self, principal, *, capital=False) -> str:
        """``API key abcdefgh``; ``capital``: to start a sentence (``Service account mdb_sa_id_...``)."""
        noun = self.noun[:1].upper() + self.noun[1:] if capital else self.noun
        return f"{noun} {getattr(principal, self.ident_attr)}"

    def reason(self, principal, why: str) -> str:
        return f"{self.noun} {getattr(principal, self.reason_attr)} {why}"

    def error(self, principal, code: str, message: str) -> ServiceError:
        return ServiceError(
            f"{self.code}_{code}", message, **(self.ident(principal) if self.ident_in_errors else {})
        )


def user_create(*, email, first_name, last_name):
    """The user a principal acts as: no password, marked as a service account (it never signs in)."""
    return get_user_model().objects.create_user(
        email, None, first_name=first_name, last_name=last_name, is_service_account=True
    )


def description_clean(kind: PrincipalKind, description) -> str:
    description = (description or "").strip()
    field = kind.description_field
    if not 1 <= len(description) <= 250:
        raise ServiceError(
            "VALIDATION_ERROR",
            f"{kind.article} {kind.noun} needs a description of 1 to 250 characters.",
            field=field,
        )
    return refuse_unsafe_characters(description, field=field, what=f"{kind.noun} description")


def audit(kind: PrincipalKind, event_type, principal, actor, scope, details) -> None:
    """One audit row about ``principal`` in ``scope``: its organization, or one of its projects."""
    project = scope if isinstance(scope, Project) else None
    audit_event_record(
        event_type=event_type,
        actor=actor,
        organization=None if project else scope,
        project=project,
        target=principal,
        target_type=kind.target_type,
        details=details,
    )


def _grantee(kind: PrincipalKind, principal, scope) -> Grantee:
    """A principal's derived permissions are synced on every project, also after a change in one project."""
    return Grantee(
        scope=scope,
        target=principal,
        inviters=lambda: [principal.user],
        user_ids=[principal.user_id],
        target_type=kind.target_type,
        every_project=True,
    )


def _same_organization(kind: PrincipalKind, principal, project):
    if principal.organization_id != project.organization_id:
        raise kind.error(
            principal,
            "NOT_FOUND",
            f"No {kind.name(principal)} exists in the organization of project {project.name}.",
        )


def _membership(kind: PrincipalKind, principal, project) -> ProjectMembership:
    membership = ProjectMembership.objects.filter(project=project, user=principal.user).first()
    if membership is None:
        raise kind.error(
            principal,
            "NOT_IN_GROUP",
            f"{kind.name(principal, capital=True)} is not assigned to project {project.name}.",
        )
    return membership


def roles_set(kind: PrincipalKind, principal, scope, *, roles, actor):
    """Replace a principal's roles in its organization or in one of its projects (no escalation), sync, audit,
    and revoke the invitations it could no longer send. Returns its membership."""
    if isinstance(scope, Organization):
        holder = lambda: principal.user.organization_memberships.get(organization=scope)  # noqa: E731
        event_type = kind.events["roles_changed"]
    else:
        holder = lambda: _membership(kind, principal, scope)  # noqa: E731
        event_type = kind.events["group_roles_changed"]
    change = _rules.roles_set(actor=actor, scope=scope, roles=roles, holder=holder)
    return roles_set_recorded(
        change,
        _grantee(kind, principal, scope),
        event_type=event_type,
        actor=actor,
        lost=lambda lost: kind.reason(principal, f"lost {lost if kind.names_lost_roles else 'roles'}"),
        details={**kind.ident(principal), **change.details} if kind.ident_on_role_changes else None,
    )


def project_assign(kind: PrincipalKind, principal, project, *, roles, actor):
    """Give a principal roles in one of its organization's projects (no escalation). Returns the membership."""
    _same_organization(kind, principal, project)
    role_names = grantable_roles(actor=actor, scope=project, roles=roles)
    assigned = ProjectMembership.objects.filter(project=project, user=principal.user)
    if kind.refuse_assigned_twice and assigned.exists():
        raise kind.error(
            principal,
            "ALREADY_IN_GROUP",
            f"{kind.name(principal, capital=True)} is already assigned to project {project.name}.",
        )
    membership = add_to_project(project=project, user=principal.user, role_names=role_names, actor=actor)
    details = {**kind.ident(principal), "roles": role_names}
    audit(kind, kind.events["added_to_group"], principal, actor, project, details)
    return membership


def project_unassign(kind: PrincipalKind, principal, project, *, actor) -> None:
    """Take a principal off a project: the actor must hold the roles it loses there."""
    membership = _membership(kind, principal, project)
    require_may_grant(actor, membership.role_names, project)
    membership.delete()
    grantee = _grantee(kind, principal, project)
    event_type = kind.events["removed_from_group"]
    access_changed(grantee, event_type=event_type, actor=actor, details=kind.ident(principal))
    invitations_beyond_revoke(grantee, actor, kind.reason(principal, f"was removed from {project.name}"))


def delete(kind: PrincipalKind, principal, organization, *, actor, **details):
    """Delete a principal: audited first (with ``details``), every pending invitation it sent revoked, then it
    and its user (memberships, roles and object permissions cascade)."""
    details = {**kind.ident(principal), **details}
    audit(kind, kind.events["deleted"], principal, actor, organization, details)
    reason = kind.reason(principal, "was deleted")
    invitations_beyond_revoke(_grantee(kind, principal, organization), actor, reason, everything=True)
    user = principal.user
    principal.delete()
    user.delete()


def clean_access_list_entry(value) -> str:
    """An IPv4/IPv6 address or CIDR block -> its normalised network ("203.0.113.7/32"). A block with host bits
    set is refused, saying which block was probably meant."""
    value = (value or "").strip()
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError:
        try:
            loose = ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ServiceError(
                "INVALID_IP_ADDRESS", f"{value or '(empty)'} is not an IP address or CIDR block.", entry=value
            ) from None
        raise ServiceError(
            "INVALID_IP_ADDRESS",
            f"{value} has host bits set; did you mean {loose.with_prefixlen}?",
            entry=value,
        ) from None
    return network.with_prefixlen


def access_list_add(kind: PrincipalKind, principal, organization, *, entries, actor):
    """Add addresses or CIDR blocks to a principal's access list; ones already there are kept as they are.
    Returns the entries named."""
    blocks = list(dict.fromkeys(clean_access_list_entry(entry) for entry in entries))
    if not blocks:
        raise ServiceError(
            "VALIDATION_ERROR", "Give at least one IP address or CIDR block.", field="ipAddress"
        )
    access_list = principal.access_list
    existing = set(access_list.filter(cidr_block__in=blocks).values_list("cidr_block", flat=True))
    new = [
        access_list.model(**{access_list.field.name: principal}, cidr_block=b, created_by=actor)
        for b in blocks
        if b not in existing
    ]
    access_list.model.objects.bulk_create(new)
    for entry in new:
        details = {**kind.ident(principal), "cidrBlock": entry.cidr_block}
        audit(kind, kind.events["access_list_entry_added"], principal, actor, organization, details)
    return list(access_list.filter(cidr_block__in=blocks))


def access_list_entry(kind: PrincipalKind, principal, entry):
    """The access-list row of ``entry`` (cleaned), or RESOURCE_NOT_FOUND."""
    block = clean_access_list_entry(entry)
    row = principal.access_list.filter(cidr_block=block).first()
    if row is None:
        raise ServiceError(
            "RESOURCE_NOT_FOUND",
            f"{block} is not on the access list of {kind.name(principal)}.",
            entry=block,
        )
    return row

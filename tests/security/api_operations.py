"""Every operation of the API's OpenAPI schema, and every place in it where a request names an object: path
parameters, query parameters and request-body fields, each with the kind of object it names (``world.KINDS``).

The operations are read from the schema when the tests are collected, so a new operation is in the matrices
without anyone listing it. A new path parameter, query parameter or body field must be classified below (as a
kind of reference, or as naming no object) or ``test_every_parameter_of_the_schema_is_classified`` fails: nobody
can add a reference the matrices do not try.

To extend:
- a path parameter: ``PATH_PARAMETERS`` (name -> kind), or ``PATH_PARAMETER_OVERRIDES`` for one path;
- a query parameter: ``QUERY_PARAMETERS`` (name -> kind, or None when it names no object);
- a body field: ``BODY_FIELDS`` (name -> kind or None), ``BODY_FIELD_OVERRIDES`` ((component, name) -> kind or
  None) where a name means something else in one request shape, ``ALTERNATIVES`` where two fields say the same
  thing and the first one given wins;
- a new kind: ``world.KINDS`` (with the object in ``world.build_tenant``).
"""

import re
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import quote, urlencode

from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from accounts import roles

PATH_PARAMETERS = {
    "org_id": "organization",
    "group_id": "project",
    "group_name": "project_name",
    "user_id": "user",
    "username": "person_email",
    "team_id": "team",
    "team_name": "team_name",
    "api_user_id": "api_key",
    "ip_address": "access_list_entry",
    "event_id": "event",
    "invitation_id": "invitation",
    "monitoring_user_id": "monitoring_user",
    "monitoring_group_id": "monitoring_group",
    "cluster_name": "cluster",
    "client_id": "service_account",
    "secret_id": "service_account_secret",
}
PATH_PARAMETER_OVERRIDES = {
    # "a user id or user name" of a team member
    ("/api/atlas/v2/orgs/{org_id}/teams/{team_id}/users/{user_id}", "user_id"): "person_ref",
    # an address on a service account's access list (the same parameter names an API key's entry elsewhere)
    (
        "/api/atlas/v2/orgs/{org_id}/serviceAccounts/{client_id}/accessList/{ip_address}",
        "ip_address",
    ): "service_account_access_list_entry",
}

QUERY_PARAMETERS = {
    "projectOwnerId": "person_id",
    "username": "invitee_email",
    # naming no object:
    "pageNum": None,
    "itemsPerPage": None,
    "includeCount": None,
    "envelope": None,
    "pretty": None,
    "eventType": None,
    "minDate": None,
    "maxDate": None,
    "includeRaw": None,
    "orgMembershipStatus": None,
    "flattenTeams": None,
    "includeOrgUsers": None,
}

BODY_FIELDS = {
    "orgId": "organization",
    "groupId": "project",
    "teamIds": "team",
    "teamId": "team",
    "usernames": "person_ref",
    "id": "person_ref",
    "username": "invitee_email",
    "linkedUserId": "person_id",
    "orgOwnerId": "person_id",
    "emailAddress": "monitoring_email",
    # naming no object (a new object's name or description, roles, flags, times, new addresses):
    "name": None,
    "desc": None,
    "description": None,
    "secretExpiresAfterHours": None,
    "roles": None,
    "orgRoles": None,
    "groupRoles": None,
    "groupRoleAssignments": None,
    "roleNames": None,
    "roleName": None,
    "orgRole": None,
    "groupRole": None,
    "grantType": None,
    "expirationTime": None,
    "restrictEmployeeAccess": None,
    "apiAccessListRequired": None,
    "multiFactorAuthRequired": None,
    "ipAddress": None,
    "cidrBlock": None,
}
BODY_FIELD_OVERRIDES = {
    ("TeamMemberRequest", "username"): "person_ref",
    ("MonitoringUserAttachRequest", "username"): "monitoring_username",
    ("MonitoringGroupMemberAddRequest", "username"): "monitoring_username",
}
# Fields of which only the first given is read: a slot on a later one leaves the earlier ones out.
ALTERNATIVES = {"TeamMemberRequest": ["id", "username"], "UserAccessListRequest": ["ipAddress", "cidrBlock"]}

# Body references refused whatever their value, before any lookup: the foreign and the missing value are answered
# alike by construction, and so is the caller's own. (Slot label -> why.)
NOT_LOOKED_UP = {
    ("createApiKey", "body:roles[].groupId"): "an organization key takes organization roles only",
    ("updateApiKey", "body:roles[].groupId"): "an organization key takes organization roles only",
    ("addProjectApiKey", "body:[].roles[].orgId"): "a project assignment takes project roles only",
    ("updateApiKeyRoles", "body:roles[].orgId"): "a project assignment takes project roles only",
}

METHODS = ("get", "post", "put", "patch", "delete")


@dataclass
class Slot:
    """One place where a request names an object. ``fill(request, value)`` returns the request with ``value``
    there; ``label`` names the place (``path:org_id``, ``query:username``, ``body:teamIds[]``)."""

    label: str
    kind: str
    fill: object


@dataclass
class Operation:
    method: str
    path: str  # the schema's template, /api/atlas/v2/...
    operation_id: str
    path_parameters: list
    query_parameters: list
    body_schema: dict | None
    unknown: list = field(default_factory=list)  # what the tables above do not classify

    def __str__(self):
        return f"{self.method.upper()} {self.path}"

    @property
    def project_scoped(self) -> bool:
        return self.path.startswith("/api/atlas/v2/groups/")

    def path_kind(self, name):
        return PATH_PARAMETER_OVERRIDES.get((self.path, name), PATH_PARAMETERS.get(name))


@dataclass
class Request:
    method: str
    path_values: dict
    query: dict
    body: object

    def url(self, operation) -> str:
        url = re.sub(
            r"\{([^}]+)\}", lambda m: quote(str(self.path_values[m.group(1)]), safe=""), operation.path
        )
        return f"{url}?{urlencode(self.query)}" if self.query else url


def load_schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


SCHEMA = load_schema()
COMPONENTS = SCHEMA["components"]["schemas"]


def _resolve(schema):
    """(schema without $ref or single allOf, component name or None)."""
    name = None
    while True:
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            schema = COMPONENTS[name]
        elif "allOf" in schema and len(schema["allOf"]) == 1:
            extra = {k: v for k, v in schema.items() if k != "allOf"}
            inner, inner_name = _resolve(schema["allOf"][0])
            schema, name = {**inner, **extra}, name or inner_name
        else:
            return schema, name


def operations() -> list[Operation]:
    found = []
    for path, item in sorted(SCHEMA["paths"].items()):
        for method in METHODS:
            if method not in item:
                continue
            spec = item[method]
            parameters = spec.get("parameters", [])
            body = spec.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            op = Operation(
                method=method,
                path=path,
                operation_id=spec["operationId"],
                path_parameters=[p["name"] for p in parameters if p["in"] == "path"],
                query_parameters=[p["name"] for p in parameters if p["in"] == "query"],
                body_schema=body,
            )
            op.unknown += [f"path parameter {n}" for n in op.path_parameters if op.path_kind(n) is None]
            op.unknown += [f"query parameter {n}" for n in op.query_parameters if n not in QUERY_PARAMETERS]
            if body is not None:
                _, _, unknown = _example(body, op, own=None, path=())
                op.unknown += [f"body field {name}" for name in unknown]
            found.append(op)
    return found


# ---- request bodies: a valid example from the schema, and the places that name objects --------------------------


def _default_role(allowed, op):
    if roles.DEFAULT_PROJECT_ROLE in allowed:
        return roles.DEFAULT_PROJECT_ROLE
    if roles.DEFAULT_ORGANIZATION_ROLE in allowed:
        return roles.DEFAULT_ORGANIZATION_ROLE
    return allowed[0]


def _scalar(name, schema, op):
    """A valid value for a field that names no object."""
    if "default" in schema:
        return schema["default"]
    if "enum" in schema:
        return _default_role(schema["enum"], op) if "ROLE" in " ".join(schema["enum"]) else schema["enum"][0]
    pattern = schema.get("pattern", "")
    if pattern.startswith("^(") and "|" in pattern:
        return _default_role(pattern[2:-2].split("|"), op)
    if schema.get("type") == "boolean":
        return True
    if schema.get("type") == "integer":
        return schema.get("minimum", 1)
    if schema.get("format") == "date-time":
        return (timezone.now() + timedelta(hours=1)).isoformat()
    if name in {"roles", "roleName", "roleNames", "orgRoles", "groupRoles"}:
        project = op.project_scoped
        return roles.DEFAULT_PROJECT_ROLE if project else roles.DEFAULT_ORGANIZATION_ROLE
    if name == "ipAddress":
        return "198.51.100.99"
    if name == "cidrBlock":
        return "198.51.100.0/24"
    if name == "desc":
        return "matrix key"
    return "Matrix New Name"


def _field_kind(component, name):
    if (component, name) in BODY_FIELD_OVERRIDES:
        return BODY_FIELD_OVERRIDES[(component, name)], True
    if name in BODY_FIELDS:
        return BODY_FIELDS[name], True
    return None, False


def _set(body, path, value):
    """A copy of ``body`` with ``value`` at ``path`` (keys and list indexes)."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(body, list):
        copy = list(body)
        copy[head] = _set(copy[head], rest, value)
        return copy
    copy = dict(body)
    copy[head] = _set(copy.get(head), rest, value)
    return copy


def _without(body, path, keys):
    if not path:
        return {k: v for k, v in body.items() if k not in keys}
    return _set(body, path, _without(_get(body, path), (), keys))


def _get(body, path):
    for step in path:
        body = body[step]
    return body


def _label(path, field_name=None):
    """``("roles", "groupRoleAssignments", 0, "groupId")`` -> ``body:roles.groupRoleAssignments[].groupId``."""
    parts = []
    for step in path:
        if isinstance(step, int):
            parts.append(parts.pop() + "[]" if parts else "[]")
        else:
            parts.append(step)
    if field_name:
        parts.append(field_name)
    return "body:" + ".".join(parts)


def _example(schema, op, own, path):
    """(example value, slots, unknown field names) for ``schema`` at ``path`` of the body. ``own(kind)`` gives
    the caller's value for a reference (None while only classifying)."""
    schema, component = _resolve(schema)
    if "oneOf" in schema:
        return _one_of(schema, component, op, path)
    if schema.get("type") == "array":
        return _array(schema, op, own, path)
    if schema.get("type") == "object" or "properties" in schema:
        return _object(schema, component, op, own, path)
    return _scalar(_parent_name(path), schema, op), [], []


def _one_of(schema, component, op, path):
    """A value in one of several shapes (a role as a name, or as ``{roleName, orgId|groupId}``): the example
    takes the plain shape; each object shape's references are slots that put that shape in its place."""
    branches = [_resolve(branch)[0] for branch in schema["oneOf"]]
    plain = next((b for b in branches if b.get("type") != "object"), branches[0])
    slots, unknown = [], []
    for branch in branches:
        if branch.get("type") != "object":
            continue
        required = {n: _scalar(n, branch["properties"][n], op) for n in branch.get("required", [])}
        for name in branch.get("properties", {}):
            kind, known = _field_kind(component, name)
            if not known:
                unknown.append(name)
            elif kind is not None:
                wrap = lambda v, r=required, n=name: {**r, n: v}  # noqa: E731
                slots.append(_slot(_label(path, name), kind, path, wrap))
    return _scalar(_parent_name(path), plain, op), slots, unknown


def _array(schema, op, own, path):
    item, slots, unknown = _example(schema["items"], op, own, (*path, 0))
    return [item], slots, unknown


def _object(schema, component, op, own, path):
    """Required fields and every field that names an object (or holds one that does); a shape with no required
    field at all (a PATCH) gets every field, so that the request is one the API accepts."""
    value, slots, unknown = {}, [], []
    required = set(schema.get("required", [])) or set(schema.get("properties", {}))
    alternatives = ALTERNATIVES.get(component, [])
    required -= set(alternatives[1:])
    for name, prop in schema.get("properties", {}).items():
        kind, known = _field_kind(component, name)
        if not known:
            unknown.append(name)
            continue
        if kind is None:
            sub, sub_slots, sub_unknown = _example(prop, op, own, (*path, name))
            unknown += sub_unknown
            if name in required or sub_slots:
                value[name] = sub
                slots += sub_slots
            continue
        prop_schema, _ = _resolve(prop)
        many = prop_schema.get("type") == "array"
        wrap = (lambda v: [v]) if many else (lambda v: v)
        dropped = [other for other in alternatives if other != name]
        label = _label((*path, name + ("[]" if many else "")))
        slots.append(_slot(label, kind, (*path, name), wrap, path, dropped))
        if own is not None and (not alternatives or name == alternatives[0]):
            value[name] = wrap(own(kind))
    return value, slots, unknown


def _parent_name(path):
    return next((p for p in reversed(path) if isinstance(p, str)), "")


def _slot(label, kind, path, wrap, parent=None, dropped=()):
    def fill(request, value):
        body = request.body
        if dropped:
            body = _without(body, parent, dropped)
        return Request(request.method, request.path_values, request.query, _set(body, path, wrap(value)))

    return Slot(label=label, kind=kind, fill=fill)


# ---- requests ---------------------------------------------------------------------------------------------------


def baseline(op: Operation, own) -> Request:
    """The request as the caller would make it with its own objects (``own(kind)`` -> value)."""
    body = None
    if op.body_schema is not None:
        body, _, _ = _example(op.body_schema, op, own, ())
    return Request(op.method, {n: own(op.path_kind(n)) for n in op.path_parameters}, {}, body)


def slots(op: Operation) -> list[Slot]:
    """Every place of ``op`` that names an object: each path parameter, all of them at once, each query
    parameter and each body field that names one."""
    found = []
    for name in op.path_parameters:
        found.append(
            Slot(
                f"path:{name}",
                op.path_kind(name),
                lambda r, v, n=name: Request(r.method, {**r.path_values, n: v}, r.query, r.body),
            )
        )
    for name in op.query_parameters:
        kind = QUERY_PARAMETERS.get(name)
        if kind is not None:
            found.append(
                Slot(
                    f"query:{name}",
                    kind,
                    lambda r, v, n=name: Request(r.method, r.path_values, {**r.query, n: v}, r.body),
                )
            )
    if op.body_schema is not None:
        found += _example(op.body_schema, op, None, ())[1]
    return found

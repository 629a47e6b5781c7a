"""The one error type that services raise when they refuse something, and its catalogue of stable codes."""

# code -> HTTP status an API answers with. Atlas's own codes where it has one; ours, equally stable, elsewhere.
STATUS_BY_CODE = {
    "RESOURCE_NOT_FOUND": 404,
    "USER_UNAUTHORIZED": 403,
    "VALIDATION_ERROR": 400,
    "INVALID_ROLE": 400,
    "ROLE_ESCALATION": 403,
    "NOT_ORG_GROUP_CREATOR": 403,
    "ORG_NOT_EMPTY": 409,
    "GROUP_NOT_EMPTY": 409,
    "GROUP_ALREADY_EXISTS": 409,
    "CLUSTER_ALREADY_EXISTS": 409,
    "USER_ALREADY_IN_ORG": 409,
    "USER_ALREADY_IN_GROUP": 409,
    "USER_NOT_IN_ORG": 400,
    "USER_NOT_IN_GROUP": 404,
    "USER_INACTIVE": 400,
    "TWO_FACTOR_AUTH_NOT_ENABLED": 409,
    "CANNOT_REMOVE_LAST_ORG_OWNER": 409,
    "CANNOT_REMOVE_LAST_GROUP_OWNER": 409,
    "TEAM_NAME_TAKEN": 409,
    "TEAM_LIMIT_REACHED": 409,
    "TEAM_MEMBER_LIMIT_REACHED": 409,
    "USER_ALREADY_IN_TEAM": 409,
    "USER_NOT_IN_TEAM": 404,
    "TEAM_ALREADY_IN_GROUP": 409,
    "TEAM_NOT_IN_GROUP": 404,
    "TEAM_NOT_IN_ORG": 400,
    "INVITATION_NOT_FOUND": 404,
    "INVITATION_EXPIRED": 410,
    "INVITATION_REVOKED": 410,
    "INVITATION_ALREADY_USED": 409,
    "INVITATION_WRONG_USER": 403,
    "INVITATION_NOT_PENDING": 409,
    "USER_ALREADY_EXISTS": 409,
    "JOIN_REQUEST_PENDING": 409,
    "JOIN_REQUEST_DECIDED": 409,
    "API_KEY_NOT_FOUND": 404,
    "INVALID_IP_ADDRESS": 400,
    "CANNOT_REMOVE_CALLER_ACCESS_LIST_ENTRY": 400,
    "IP_ADDRESS_NOT_ON_ACCESS_LIST": 403,
    "API_KEY_NOT_IN_GROUP": 404,
    "INVALID_ORG_OWNER": 400,
}


class ServiceError(Exception):
    """A refusal: nothing was changed. ``code`` is stable (clients switch on it), ``message`` is for a person,
    ``parameters`` name what the message is about."""

    def __init__(self, code: str, message: str, **parameters):
        if code not in STATUS_BY_CODE:
            raise ValueError(f"unknown error code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message
        self.parameters = parameters

    @property
    def status(self) -> int:
        return STATUS_BY_CODE[self.code]

    def __str__(self):
        return f"{self.code}: {self.message}"


def not_found(kind: str, identifier) -> ServiceError:
    """The same answer for a missing object and for one the actor may not see: it must learn nothing."""
    return ServiceError(
        "RESOURCE_NOT_FOUND", f"No {kind} with ID {identifier} exists.", kind=kind, id=identifier
    )

"""The error codes of service accounts and their HTTP statuses (merged into accounts' catalogue at start-up)."""

STATUS_BY_CODE = {
    "SERVICE_ACCOUNT_NOT_FOUND": 404,
    "SERVICE_ACCOUNT_SECRET_NOT_FOUND": 404,
    "SERVICE_ACCOUNT_NOT_IN_GROUP": 404,
    "SERVICE_ACCOUNT_ALREADY_IN_GROUP": 409,
    "SERVICE_ACCOUNT_SECRET_LIMIT_REACHED": 409,
    "INVALID_SECRET_EXPIRATION": 400,
}

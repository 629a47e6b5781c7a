"""The support app's refusal codes and their HTTP statuses (registered into accounts.errors.STATUS_BY_CODE by
the app's ready(), since accounts does not know this app)."""

STATUS_BY_CODE = {
    "INVALID_GRANT_TYPE": 400,
    "INVALID_EXPIRATION_TIME": 400,
    "EXPIRATION_TOO_FAR": 400,
    "GRANT_NOT_NEEDED": 400,
    "SYNC_NOT_ENABLED": 400,
    "GRANT_NOT_ACTIVE": 409,
    "INVALID_SCOPE": 400,
}

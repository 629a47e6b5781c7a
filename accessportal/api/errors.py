"""Atlas's error shape: {detail, error, errorCode, parameters, reason}."""

from http import HTTPStatus

from rest_framework import exceptions


def atlas_error_body(status: int, code: str, detail: str, parameters=()) -> dict:
    return {
        "detail": detail,
        "error": status,
        "errorCode": code,
        "parameters": list(parameters),
        "reason": HTTPStatus(status).phrase,
    }


class AtlasAuthenticationFailed(exceptions.AuthenticationFailed):
    """401 with Atlas's body; DRF adds a fresh WWW-Authenticate challenge."""

    def __init__(self, detail: str, code: str = "UNAUTHORIZED", parameters=()):
        super().__init__()
        self.detail = atlas_error_body(401, code, detail, parameters)


class AtlasPermissionDenied(exceptions.PermissionDenied):
    def __init__(self, detail: str, code: str, parameters=()):
        super().__init__()
        self.detail = atlas_error_body(403, code, detail, parameters)

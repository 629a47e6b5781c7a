"""What the OpenAPI schema says of the pieces every endpoint shares: Digest authentication, links and the error
body (the list envelope is AtlasPagination's). Views declare their shapes with ``extend_schema`` and these
helpers."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class DigestAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "accessportal.api.authentication.DigestAuthentication"
    name = "DigestAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "digest",
            "description": "HTTP Digest (RFC 7616): an API key's public key as user name, its private key as password.",
        }


class LinkSerializer(serializers.Serializer):
    href = serializers.CharField()
    rel = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    error = serializers.IntegerField()
    errorCode = serializers.CharField()
    parameters = serializers.ListField(child=serializers.JSONField())
    reason = serializers.CharField()
    badRequestDetail = serializers.JSONField(required=False)


ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Bad request: the body or a parameter is invalid"),
    401: OpenApiResponse(ErrorSerializer, description="Not authenticated"),
    403: OpenApiResponse(ErrorSerializer, description="Authenticated, but the role is too weak"),
    404: OpenApiResponse(ErrorSerializer, description="No such object, or one of another organization"),
    409: OpenApiResponse(ErrorSerializer, description="Conflicts with the current state"),
    429: OpenApiResponse(
        ErrorSerializer,
        description="RATE_LIMITED: too many requests, or too many failed authentications; retry after the "
        "Retry-After header's seconds",
    ),
}


def responses(success: dict) -> dict:
    """``success`` ({status: serializer or None}) plus the error statuses every endpoint may answer with."""
    return {**ERRORS, **success}

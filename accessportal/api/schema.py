"""What the OpenAPI schema says of the pieces every endpoint shares: Digest authentication, links, the list
envelope and the error body. Views declare their shapes with ``extend_schema`` and these helpers."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
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


def page_of(item_serializer, name: str):
    """The schema of Atlas's list envelope around ``item_serializer``."""
    return inline_serializer(
        name=f"Paginated{name}",
        fields={
            "links": LinkSerializer(many=True),
            "results": item_serializer(many=True),
            "totalCount": serializers.IntegerField(required=False),
        },
    )


PAGE_PARAMETERS = [
    OpenApiParameter("pageNum", int, description="1-based page number", default=1),
    OpenApiParameter("itemsPerPage", int, description="items per page, at most 500", default=100),
    OpenApiParameter("includeCount", bool, description="include totalCount", default=True),
]

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

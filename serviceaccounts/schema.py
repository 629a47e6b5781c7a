"""What the OpenAPI schema says of Bearer authentication (service accounts' OAuth 2.0 access tokens)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "serviceaccounts.authentication.BearerAuthentication"
    name = "ServiceAccounts"

    def get_security_definition(self, auto_schema):
        return {
            "type": "oauth2",
            "description": "A service account's access token from POST /api/oauth/token (OAuth 2.0 client "
            "credentials), sent as Authorization: Bearer <token>; it lives 3600 seconds.",
            "flows": {"clientCredentials": {"tokenUrl": "/api/oauth/token", "scopes": {}}},
        }

"""DRF authentication of service accounts by ``Authorization: Bearer <access token>`` (RFC 6750) on
/api/atlas/v2 and /api/atlas/v1.0, beside HTTP Digest; and their fair share of the API (a DRF throttle)."""

import structlog
from django.conf import settings
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from accessportal.api.authentication import access_list_check
from accessportal.api.errors import AtlasAuthenticationFailed
from accessportal.api.throttling import _SharedRateThrottle, authentication_failures_check

from . import schema  # noqa: F401 (registers the Bearer scheme with drf-spectacular)
from .audit import Event
from .models import AccessToken
from .services.tokens import (
    access_token_for,
    client_refusal_count,
    service_account_record_use,
    service_account_refusal_record,
)

REALM = "accessportal"


class BearerAuthentication(BaseAuthentication):
    """An unknown, expired or revoked token, or one of a disabled account, gets 401 with Atlas's body and a
    Bearer challenge (``error="invalid_token"``); each refusal is counted against the address (and the client,
    when the token names one) like a refused Digest answer, so past the limit the address gets 429. A token used
    from outside its account's access list gets 403, by the very check API keys go through."""

    def authenticate(self, request):
        header = get_authorization_header(request).decode("latin-1")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer":
            return None
        value = value.strip()
        address = request.META.get("REMOTE_ADDR", "")
        authentication_failures_check(public_key="", address=address)
        token = access_token_for(value)
        if token is None:
            self._refuse(request, address, None, "unknown_token")
        service_account = token.service_account
        if token.revoked_at is not None:
            self._refuse(request, address, service_account, "revoked_token")
        if not token.is_live():
            self._refuse(request, address, service_account, "expired_token")
        if not service_account.user.is_active:
            self._refuse(request, address, service_account, "disabled")

        entry = access_list_check(
            principal=service_account,
            address=address,
            name=f"service account {service_account.client_id}",
            scheme="oauth",
            refusal_record=lambda: service_account_refusal_record(
                service_account=service_account,
                reason="address not on the access list",
                address=address,
                event_type=Event.SERVICE_ACCOUNT_ACCESS_LIST_REFUSED,
            ),
        )
        service_account_record_use(service_account=service_account, address=address, entry=entry)
        structlog.contextvars.bind_contextvars(
            service_account=service_account.client_id,
            user_id=service_account.user.public_id,
            service_account_org_id=service_account.organization.public_id,
        )
        return service_account.user, token

    def _refuse(self, request, address, service_account, reason):
        client_id = service_account.client_id if service_account else ""
        client_refusal_count(
            client_id=client_id,
            address=address,
            service_account=service_account,
            reason=reason,
            limit_client=False,
        )
        request._bearer_challenge = f'Bearer realm="{REALM}", error="invalid_token"'
        raise AtlasAuthenticationFailed(
            "You are not authorized for this resource: the access token is unknown, expired or revoked.",
        )

    def authenticate_header(self, request):
        return f'Bearer realm="{REALM}"'


class ServiceAccountRateThrottle(_SharedRateThrottle):
    """Requests of one service account (Bearer tokens), whichever token it uses."""

    scope = "service_account"

    def get_rate(self):
        """``API_THROTTLE_RATES["service_account"]``, or an API key's rate where it is not set."""
        rates = settings.API_THROTTLE_RATES
        return rates.get(self.scope) or rates["api_key"]

    def get_cache_key(self, request, view):
        if isinstance(request.auth, AccessToken):
            return self.cache_format % {"scope": self.scope, "ident": request.auth.service_account.client_id}
        return None

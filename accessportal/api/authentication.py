"""DRF authentication with organization API keys over HTTP Digest (RFC 7616), as Atlas clients speak it."""

import structlog
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from accounts.digest import compute_ha1, get_realm
from accounts.metrics import api_authentication_failure_record
from accounts.models import AuditEvent
from accounts.selectors import api_key_for_public_key
from accounts.services.api_keys import (
    access_list_entry_for,
    api_key_ha1,
    api_key_record_use,
    api_key_refusal_record,
)
from accounts.services.signin import authentication_failure_count as audit_failure_count
from accounts.signin.limits import authentication_failure_count

from . import digest, schema  # noqa: F401 (schema registers the Digest scheme with drf-spectacular)
from .errors import AtlasAuthenticationFailed, AtlasPermissionDenied
from .throttling import AuthenticationRateLimited, authentication_failures_check


def access_list_check(*, principal, address, name, scheme, refusal_record):
    """The access-list entry that lets ``address`` use ``principal`` (an API key or a service account: anything
    with ``access_list``, ``organization`` and ``public_key``), ``True`` for a principal without a list, or 403:
    ORG_REQUIRES_ACCESS_LIST when its organization requires a list and it has none, IP_ADDRESS_NOT_ON_ACCESS_LIST
    otherwise. ``refusal_record()`` audits the refusal; it is counted in the metrics under ``scheme``. Every
    principal of the API goes through here, so the rule is written once."""
    entry = access_list_entry_for(principal, address)
    if entry is not None:
        return entry
    refusal_record()
    api_authentication_failure_record(
        scheme=scheme, reason="access_list", public_key=principal.public_key, address=address
    )
    if principal.organization.api_access_list_required and not principal.access_list.all():
        raise AtlasPermissionDenied(
            f"Organization {principal.organization.name} requires an API access list, and {name} has none: "
            "add the addresses it is used from.",
            code="ORG_REQUIRES_ACCESS_LIST",
            parameters=[principal.public_key],
        )
    raise AtlasPermissionDenied(
        f"IP address {address} is not allowed to use {name}: it is not on its API access list.",
        code="IP_ADDRESS_NOT_ON_ACCESS_LIST",
        parameters=[address],
    )


class DigestAuthentication(BaseAuthentication):
    """``Authorization: Digest username=<public key>, ...`` with the private key as password.

    An unknown key, a wrong secret, a replayed (nonce, nc) or a malformed header gets 401 with a fresh
    challenge (``stale=true`` when only the nonce had expired, so clients retry without asking anyone); the
    right secret of a key the provider's staff disabled gets 401 API_KEY_DISABLED; a key used from outside its
    access list gets 403 IP_ADDRESS_NOT_ON_ACCESS_LIST. Every refusal is audited; refused
    credentials are counted per public key and per address, and past the limit (``throttling``) the key or
    address gets 429 RATE_LIMITED, right secret or not, until its window ends."""

    def authenticate(self, request):
        header = get_authorization_header(request).decode("latin-1")
        if header[:7].lower() != "digest ":
            return None
        address = request.META.get("REMOTE_ADDR", "")
        try:
            credentials = digest.parse_authorization(header)
        except digest.DigestError as error:
            self._refuse(request, "", f"malformed Digest header: {error.reason}", address, kind="malformed")
        try:
            if credentials.realm != get_realm():
                raise digest.DigestError(f"unknown realm {credentials.realm!r}")
            digest.check_algorithm(credentials)
            digest.check_uri(credentials, request.get_full_path())
            digest.check_nonce(credentials.nonce)
        except digest.StaleNonce:
            request._digest_stale = True
            raise AtlasAuthenticationFailed("The nonce has expired; retry with the new challenge.") from None
        except digest.DigestError as error:
            self._refuse(request, credentials.username, error.reason, address, kind="invalid")

        # Sign-in limits: before the secret is checked, so that guessing stops at the limit.
        try:
            authentication_failures_check(public_key=credentials.username, address=address)
        except AuthenticationRateLimited:
            audit_failure_count(
                public_key=credentials.username,
                address=address,
                reason="rate limited",
                api_key=api_key_for_public_key(credentials.username),
            )
            raise
        api_key = api_key_for_public_key(credentials.username)
        ha1 = api_key_ha1(api_key, credentials.ha1_algorithm) if api_key else None
        # An unknown key is checked against a throwaway HA1, so that it costs what a wrong secret costs and the
        # answer's timing does not tell which public keys exist.
        checked = ha1 or compute_ha1(credentials.username, get_realm(), "", credentials.ha1_algorithm)
        if not digest.verify_response(credentials, method=request.method, ha1=checked) or ha1 is None:
            self._refuse(
                request, credentials.username, "unknown key or wrong secret", address, api_key, "credentials"
            )
        if not digest.claim_nonce_count(credentials):
            self._refuse(request, credentials.username, "replayed nonce count", address, api_key, "replay")
        if api_key.disabled_at is not None:
            # Said plainly, since only the key's holder gets this far (the signature verified): anyone else got
            # the answer an unknown key gets.
            self._refuse(
                request,
                credentials.username,
                "key disabled by staff",
                address,
                api_key,
                "disabled",
                code="API_KEY_DISABLED",
                detail=f"API key {api_key.public_key} has been disabled by the provider's staff: requests signed "
                "with it are refused until they enable it again. Its organization's owners can see why on the "
                "key's page.",
            )
        if not api_key.user.is_active:
            self._refuse(request, credentials.username, "key disabled", address, api_key, "disabled")

        entry = access_list_check(
            principal=api_key,
            address=address,
            name=f"API key {api_key.public_key}",
            scheme="digest",
            refusal_record=lambda: api_key_refusal_record(
                public_key=api_key.public_key,
                reason="address not on the access list",
                address=address,
                api_key=api_key,
                event_type=AuditEvent.Type.API_KEY_ACCESS_LIST_REFUSED,
            ),
        )
        api_key_record_use(api_key=api_key, address=address, entry=entry)
        # The rest of the request's log lines name the key, its service account and its organization.
        structlog.contextvars.bind_contextvars(
            api_key=api_key.public_key,
            user_id=api_key.user.public_id,
            api_key_org_id=api_key.organization.public_id,
        )
        return api_key.user, api_key

    def _refuse(
        self, request, public_key, reason, address, api_key=None, kind="credentials", code=None, detail=None
    ):
        """401, and the refusal counted like every other: towards the key's and the address's limits (a disabled
        key's holder that keeps retrying is slowed down like a wrong secret), in the aggregated audit trail
        and in the metrics (``kind``)."""
        authentication_failure_count(public_key=public_key, address=address)
        # Audited once per key (or address) and minute, with a count: see accounts.services.signin.
        audit_failure_count(public_key=public_key, reason=reason, address=address, api_key=api_key)
        api_authentication_failure_record(
            scheme="digest", reason=kind, public_key=public_key, address=address
        )
        raise AtlasAuthenticationFailed(
            detail
            or "You are not authorized for this resource: the API key or its signature was not accepted.",
            code=code or "UNAUTHORIZED",
            parameters=[public_key] if public_key else [],
        )

    def authenticate_header(self, request):
        """The challenge of a 401. DRF asks only the first class, this one: a refused Bearer token (which set
        ``request._bearer_challenge``) is answered with the Bearer challenge instead (RFC 6750 section 3)."""
        bearer = getattr(request, "_bearer_challenge", None)
        if bearer:
            return bearer
        return digest.challenge_header(stale=getattr(request, "_digest_stale", False))

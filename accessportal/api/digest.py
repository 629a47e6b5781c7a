"""Server side of HTTP Digest authentication (RFC 7616, auth-param syntax of RFC 7235) for API keys.

The user name is an API key's public key and the password its private key; we store only
HA1 = H(public_key:realm:private_key) for each of ``HA1_ALGORITHMS`` (see ``accounts.digest``). The DRF
authentication class calls, in this order:

    credentials = parse_authorization(header)         # DigestError -> 401 with challenge_header()
    check_algorithm(credentials)                       # only the algorithm challenged (no downgrade to MD5)
    check_nonce(credentials.nonce)                     # StaleNonce -> 401 with challenge_header(stale=True)
    check_uri(credentials, request.get_full_path())
    ha1 = <the stored HA1 for credentials.ha1_algorithm of the key named credentials.username>
    verify_response(credentials, method=request.method, ha1=ha1)
    claim_nonce_count(credentials)                     # False -> a replay: 401

Nonces are stateless (issue time, random bytes, HMAC keyed from SECRET_KEY), so any process verifies a nonce
that another issued. Replays are refused through a shared cache: a client must increase ``nc`` for every request
it makes under one nonce (every real client does), and the same (nonce, nc) is accepted only once. Claim
only after the response verified, so that nobody without the key can use up a client's counts. The cache
must be shared by all processes and must not evict live entries (see ``claim_nonce_count``).
"""

import base64
import hashlib
import hmac
import re
import secrets
import struct
import time
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.utils.crypto import salted_hmac

from accessportal import shared_cache
from accounts.digest import ALGORITHMS, HASHES, base_algorithm, digest_hash, get_realm

CLOCK_SKEW_SECONDS = 30  # how far in the future another server's clock may date a nonce
MAX_HEADER_LENGTH = 4096
_NONCE_SALT = "accessportal.api.digest.nonce"
_NONCE_BODY = 8 + 16  # issue time (unsigned 64-bit seconds), random bytes
_NONCE_LENGTH = _NONCE_BODY + 32  # + HMAC-SHA256

# RFC 7230 section 3.2.6: token and quoted-string (header values arrive ISO-8859-1 decoded, PEP 3333).
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_QUOTED = r'"(?:[\t !\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t\x20-\x7e\x80-\xff])*"'
_PARAM = re.compile(rf"({_TOKEN})[ \t]*=[ \t]*({_TOKEN}|{_QUOTED})")
_SCHEME = re.compile(r"[ \t]*digest[ \t]+", re.IGNORECASE)
_OWS = re.compile(r"[ \t]*")
_REQUIRED = ("username", "realm", "nonce", "uri", "response", "qop", "nc", "cnonce")


class DigestError(Exception):
    """Malformed or invalid Digest credentials; ``reason`` is short, fixed text, safe to show the client."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class StaleNonce(DigestError):
    """A nonce this server signed that has expired: answer 401 with ``challenge_header(stale=True)``."""


@dataclass(frozen=True)
class DigestCredentials:
    username: str
    realm: str
    nonce: str
    uri: str
    response: str
    qop: str
    nc: str
    cnonce: str
    algorithm: str = "MD5"
    opaque: str | None = None

    def __post_init__(self):
        algorithm = ALGORITHMS.get(self.algorithm.lower())
        if algorithm is None:
            raise DigestError("unsupported algorithm: use MD5 or SHA-256")
        object.__setattr__(self, "algorithm", algorithm)
        if self.qop.lower() == "auth-int":
            raise DigestError("qop=auth-int is not supported: use qop=auth")
        if self.qop.lower() != "auth":
            raise DigestError("unsupported qop: use qop=auth")
        object.__setattr__(self, "qop", "auth")
        if not re.fullmatch(r"[0-9a-fA-F]{8}", self.nc):
            raise DigestError("nc must be 8 hexadecimal digits")
        size = HASHES[base_algorithm(algorithm)]().digest_size * 2
        if not re.fullmatch(rf"[0-9a-fA-F]{{{size}}}", self.response):
            raise DigestError(f"response must be {size} hexadecimal digits for {algorithm}")
        object.__setattr__(self, "response", self.response.lower())

    @property
    def ha1_algorithm(self) -> str:
        """Which stored HA1 to verify with: a "-sess" variant uses its base algorithm's HA1."""
        return base_algorithm(self.algorithm)


def _ttl() -> int:
    return int(getattr(settings, "DIGEST_NONCE_TTL_SECONDS", 300))


def _params(header: str) -> dict[str, str]:
    """The auth-params of ``Digest <params>``, names lower-cased, quoted strings unescaped and UTF-8 decoded."""
    scheme = _SCHEME.match(header)
    if scheme is None:
        raise DigestError("expected the Digest scheme followed by parameters")
    params: dict[str, str] = {}
    pos = scheme.end()
    while pos < len(header):
        if header[pos] == ",":  # RFC 7230 section 7: empty list elements are ignored
            pos = _OWS.match(header, pos + 1).end()
            continue
        match = _PARAM.match(header, pos)
        if match is None:
            raise DigestError("malformed Authorization header")
        name, value = match.group(1).lower(), match.group(2)
        if name in params:
            raise DigestError(f"parameter {name} given twice")
        if value.startswith('"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        try:
            params[name] = value.encode("latin-1").decode("utf-8")
        except UnicodeError:
            raise DigestError("parameters must be UTF-8") from None
        pos = _OWS.match(header, match.end()).end()
        if pos < len(header) and header[pos] != ",":
            raise DigestError("malformed Authorization header")
    return params


def parse_authorization(header: str) -> DigestCredentials:
    """Parse an ``Authorization`` value as Django gives it (``request.META["HTTP_AUTHORIZATION"]``)."""
    if not isinstance(header, str) or len(header) > MAX_HEADER_LENGTH:
        raise DigestError("Authorization header missing or too long")
    params = _params(header)
    if "username*" in params:
        raise DigestError("username* is not supported: send the public key as username")
    if params.get("userhash", "false").lower() != "false":
        raise DigestError("userhash is not supported: send the public key itself as username")
    missing = [name for name in _REQUIRED if not params.get(name)]
    if missing:
        raise DigestError("missing " + ", ".join(missing))
    return DigestCredentials(
        **{name: params[name] for name in _REQUIRED},
        algorithm=params.get("algorithm", "MD5"),
        opaque=params.get("opaque"),
    )


def _sign(body: bytes, secret) -> bytes:
    return salted_hmac(_NONCE_SALT, body, secret=secret, algorithm="sha256").digest()


def make_nonce(now: float | None = None) -> str:
    """A fresh nonce: urlsafe base64 of issue time, 16 random bytes and their HMAC (keyed from SECRET_KEY)."""
    issued = int(time.time() if now is None else now)
    body = struct.pack(">Q", issued) + secrets.token_bytes(16)
    return base64.urlsafe_b64encode(body + _sign(body, settings.SECRET_KEY)).decode("ascii")


def check_nonce(nonce: str, now: float | None = None) -> None:
    """Accept a nonce signed with SECRET_KEY (or one of SECRET_KEY_FALLBACKS) within its lifetime."""
    try:
        raw = base64.urlsafe_b64decode(nonce)
    except (TypeError, ValueError):
        raise DigestError("malformed nonce") from None
    # Only the canonical encoding: base64 decoding silently skips characters outside its alphabet.
    if len(raw) != _NONCE_LENGTH or base64.urlsafe_b64encode(raw).decode("ascii") != nonce:
        raise DigestError("malformed nonce")
    body, mac = raw[:_NONCE_BODY], raw[_NONCE_BODY:]
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    if not any(hmac.compare_digest(mac, _sign(body, key)) for key in keys):
        raise DigestError("nonce was not issued by this server")
    (issued,) = struct.unpack(">Q", body[:8])
    now = time.time() if now is None else now
    if issued > now + CLOCK_SKEW_SECONDS:
        raise DigestError("nonce issued in the future")
    if now - issued > _ttl():
        raise StaleNonce("nonce has expired")


def challenge_header(*, stale: bool = False, algorithm: str | None = None) -> str:
    """The ``WWW-Authenticate`` value: one Digest challenge with a fresh nonce."""
    name = algorithm or getattr(settings, "DIGEST_CHALLENGE_ALGORITHM", "MD5")
    canonical = ALGORITHMS.get(name.lower())
    if canonical is None:
        raise ValueError(f"unsupported Digest algorithm {name!r}")
    realm = get_realm()
    opaque = hashlib.sha256(f"{_NONCE_SALT}.opaque:{realm}".encode()).hexdigest()[:32]
    quoted_realm = realm.replace("\\", "\\\\").replace('"', '\\"')
    value = (
        f'Digest realm="{quoted_realm}", qop="auth", algorithm={canonical}, '
        f'nonce="{make_nonce()}", opaque="{opaque}"'
    )
    if stale:
        value += ", stale=true"
    return value


def check_algorithm(credentials: DigestCredentials) -> None:
    """Answers only in the algorithm we challenged with (DIGEST_CHALLENGE_ALGORITHM): a client may not choose
    another, such as MD5 when SHA-256 is configured."""
    challenged = ALGORITHMS.get(getattr(settings, "DIGEST_CHALLENGE_ALGORITHM", "MD5").lower())
    if credentials.algorithm != challenged:
        raise DigestError(f"algorithm {credentials.algorithm} was not challenged: answer with {challenged}")


def expected_response(credentials: DigestCredentials, *, method: str, ha1: str) -> str:
    """RFC 7616 section 3.4.1 for qop=auth: H(HA1:nonce:nc:cnonce:qop:H(method:uri))."""
    c, algorithm = credentials, credentials.algorithm
    if algorithm.endswith("-sess"):
        ha1 = digest_hash(algorithm, f"{ha1}:{c.nonce}:{c.cnonce}")
    ha2 = digest_hash(algorithm, f"{method}:{c.uri}")
    return digest_hash(algorithm, f"{ha1}:{c.nonce}:{c.nc}:{c.cnonce}:{c.qop}:{ha2}")


def verify_response(credentials: DigestCredentials, *, method: str, ha1: str) -> bool:
    expected = expected_response(credentials, method=method, ha1=ha1)
    return hmac.compare_digest(expected.encode(), credentials.response.encode())


def claim_nonce_count(credentials: DigestCredentials) -> bool:
    """Record (nonce, nc) in the shared cache; False if it was used before, i.e. the request is a replay.

    The cache named by DIGEST_NONCE_CACHE must keep every entry until it expires: Django's database and
    local-memory caches cull live entries past OPTIONS["MAX_ENTRIES"] (default 300), and Redis evicts under
    memory pressure unless its policy is noeviction. An evicted claim lets that request be replayed."""
    nonce_hash = hashlib.sha256(credentials.nonce.encode()).hexdigest()[:32]
    key = f"accessportal:digest-nc:{nonce_hash}:{int(credentials.nc, 16):08x}"
    # Outlive the nonce: up to TTL after its issue time, which another server may date CLOCK_SKEW ahead.
    return shared_cache.claim(
        getattr(settings, "DIGEST_NONCE_CACHE", "default"), key, timeout=_ttl() + CLOCK_SKEW_SECONDS + 60
    )


def _origin_form(uri: str) -> str:
    try:
        parts = urlsplit(uri)
    except ValueError:
        raise DigestError("malformed uri") from None
    if parts.scheme and parts.netloc:  # absolute-form, as some clients send
        path, query = parts.path or "/", parts.query
    else:
        path, _, query = uri.partition("?")
    return f"{path}?{query}" if query else path


def check_uri(credentials: DigestCredentials, request_path_with_query: str) -> None:
    """The signed ``uri`` must be the request's (pass ``request.get_full_path()``), up to percent-encoding."""
    signed, actual = _origin_form(credentials.uri), _origin_form(request_path_with_query)
    if signed != actual and unquote(signed) != unquote(actual):
        raise DigestError("uri does not match the request")

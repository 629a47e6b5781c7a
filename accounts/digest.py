"""What an API key stores for HTTP Digest (RFC 7616): HA1 = H(public_key:realm:private_key) for each of
``HA1_ALGORITHMS``, in the realm of ``get_realm``. The HTTP side (challenges, nonces, verifying a response) is
``accessportal.api.digest``; the services that make and rotate keys need only this."""

import hashlib

from django.conf import settings

# What a key stores an HA1 for; the "-sess" variants derive their session key from the same HA1.
HA1_ALGORITHMS = ("MD5", "SHA-256")
HASHES = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}
# The algorithms a client may name, by their lower-cased name (Digest names are case-insensitive).
ALGORITHMS = {name.lower(): name for name in ("MD5", "MD5-sess", "SHA-256", "SHA-256-sess")}


def get_realm() -> str:
    """The realm of challenges, and part of every stored HA1: changing it invalidates every key."""
    return getattr(settings, "DIGEST_REALM", "accessportal")


def base_algorithm(algorithm: str) -> str:
    """The algorithm whose HA1 a "-sess" variant starts from."""
    return algorithm.removesuffix("-sess")


def digest_hash(algorithm: str, text: str) -> str:
    """H(text) for a Digest algorithm, lower-case hex."""
    return HASHES[base_algorithm(algorithm)](text.encode()).hexdigest()


def compute_ha1(username: str, realm: str, password: str, algorithm: str) -> str:
    """What a key stores per algorithm: H(username:realm:password), lower-case hex (same for "-sess")."""
    canonical = ALGORITHMS.get(algorithm.lower())
    if canonical is None:
        raise ValueError(f"unsupported Digest algorithm {algorithm!r}")
    return digest_hash(canonical, f"{username}:{realm}:{password}")

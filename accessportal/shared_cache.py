"""The few operations on the shared cache that every API request makes (refused-authentication counters, Digest
nonce-count claims, request rates), each in one round trip.

On Redis they go through one client kept for the process, built once from the cache's own connection pool:
Django's cache API builds a client for every call (and copies Redis's table of response callbacks each time),
and a counter that must exist before it is incremented costs it three round trips. On any other backend (the
database table of a newcomer's set-up) the cache API does the same work in more steps. Keys are made by the
cache itself (``make_and_validate_key``), and counters are plain integers, so the cache API reads what is
written here and the other way round."""

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

_clients: dict = {}


def _redis(cache):
    """The kept Redis client of ``cache``, or None when it is not a Redis cache. Keyed by the cache's location, so
    that a test that swaps the settings gets the client of the cache it configured."""
    if not isinstance(cache, RedisCache):
        return None
    location = tuple(cache._servers)
    client = _clients.get(location)
    if client is None:
        # ``_cache`` is Django's RedisCacheClient (stable since Django 4.0): its pool, our one client.
        client = _clients[location] = cache._cache.get_client(None, write=True)
    return client


def _integer(value) -> int:
    return int(value) if value is not None else 0


def counters_read(alias: str, keys: list[str]) -> dict[str, int]:
    """The current values of counters (0 for an absent one), by key."""
    cache = caches[alias]
    client = _redis(cache)
    if client is None:
        values = cache.get_many(keys)
        return {key: _integer(values.get(key)) for key in keys}
    names = [cache.make_and_validate_key(key) for key in keys]
    return dict(zip(keys, (_integer(value) for value in client.mget(names)), strict=True))


def counter_increment(alias: str, key: str, *, timeout: int) -> int:
    """Add one to a counter that expires ``timeout`` seconds after its first count; its new value."""
    cache = caches[alias]
    client = _redis(cache)
    if client is None:
        # Increment first, start the counter on a miss: on the database table both ways cost the same
        # statements, so that a request's query count does not depend on whether its window had begun.
        try:
            return cache.incr(key)
        except ValueError:
            if cache.add(key, 1, timeout=timeout):
                return 1
            return cache.incr(key)  # another process started it in between
    name = cache.make_and_validate_key(key)
    pipeline = client.pipeline(transaction=False)
    pipeline.set(name, 0, nx=True, ex=timeout)
    pipeline.incr(name)
    return pipeline.execute()[1]


def claim(alias: str, key: str, *, timeout: int) -> bool:
    """Store ``key`` unless it is stored already: True for the one caller that stored it."""
    cache = caches[alias]
    client = _redis(cache)
    if client is None:
        return cache.add(key, 1, timeout=timeout)
    return bool(client.set(cache.make_and_validate_key(key), 1, nx=True, ex=timeout))

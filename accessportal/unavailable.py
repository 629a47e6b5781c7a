"""When the cache or the broker (Redis) cannot be reached: 503 with Retry-After, never a 500. Under /api the body
is Atlas's error; elsewhere a short page. Digest authentication needs the shared cache (nonce counts), so every
Digest request is such a request while Redis is down."""

import logging

from django.http import HttpResponse, JsonResponse
from kombu.exceptions import OperationalError as BrokerUnavailable
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# What the cache (django's RedisCache: redis-py) and the broker (kombu) raise when Redis does not answer.
UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, BrokerUnavailable)
RETRY_AFTER_SECONDS = 30
DETAIL = "The service is temporarily unavailable (its cache or task queue does not answer); retry shortly."


def unavailable_body() -> dict:
    from accessportal.api.errors import atlas_error_body

    return atlas_error_body(503, "SERVICE_UNAVAILABLE", DETAIL)


def unavailable_response(request) -> HttpResponse:
    if request.path.startswith("/api/"):
        response = JsonResponse(unavailable_body(), status=503)
    else:
        response = HttpResponse(DETAIL, status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class ServiceUnavailableMiddleware:
    """Turns an unreachable cache or broker, raised by any view, into a 503 with Retry-After."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, UNAVAILABLE):
            return None
        logger.warning("cache or broker unavailable: %s", exception)
        return unavailable_response(request)

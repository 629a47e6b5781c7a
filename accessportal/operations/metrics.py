"""Prometheus metrics (django-prometheus, prometheus_client): the /metrics view, who may read it, the exporter a
Celery worker serves, and the collectors read at scrape time.

django-prometheus counts requests and latencies by view, database queries and their durations, and cache gets;
the apps count their own events (``accounts.metrics``). With several processes per machine (gunicorn workers,
Celery's prefork children) set ``PROMETHEUS_MULTIPROC_DIR`` to a directory they share: each process writes
its counters there and a scrape adds them up (prometheus_client's multiprocess mode)."""

import hmac
import ipaddress
import os
import threading
from wsgiref.simple_server import WSGIRequestHandler, make_server

from django.conf import settings
from django.http import HttpResponse
from django.utils.module_loading import import_string
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess


def scrape_allowed(remote_addr: str | None, authorization: str | None) -> bool:
    """A scrape comes from an address in METRICS_ALLOWED_IPS (addresses or CIDR blocks), or carries
    ``Authorization: Bearer <METRICS_TOKEN>``. Anything else is refused."""
    token = getattr(settings, "METRICS_TOKEN", "")
    if token and authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode()):
            return True
    try:
        address = ipaddress.ip_address((remote_addr or "").strip())
    except ValueError:
        return False
    for allowed in getattr(settings, "METRICS_ALLOWED_IPS", ()):
        try:
            if address in ipaddress.ip_network(allowed, strict=False):
                return True
        except ValueError:
            continue
    return False


# Collectors that read the database when scraped (the web's /metrics only; a worker's exporter has none).
SCRAPE_TIME_COLLECTORS = ("support.metrics.ActiveSupportGrants",)


class _Scrape:
    """What one scrape reads: every process's counters (multiprocess mode) or this process's, then the
    scrape-time collectors."""

    def __init__(self, collectors=()):
        self.collectors = collectors

    def collect(self):
        if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
            source = CollectorRegistry()
            multiprocess.MultiProcessCollector(source)
        else:
            source = REGISTRY
        yield from source.collect()
        for collector in self.collectors:
            yield from import_string(collector)().collect()


def metrics_view(request):
    """GET /metrics: Prometheus's text format, for allowed addresses or the bearer token; 403 otherwise."""
    if not scrape_allowed(request.META.get("REMOTE_ADDR"), request.headers.get("Authorization")):
        return HttpResponse(
            "Metrics are not available to this address.\n", status=403, content_type="text/plain"
        )
    return HttpResponse(generate_latest(_Scrape(SCRAPE_TIME_COLLECTORS)), content_type=CONTENT_TYPE_LATEST)


def _worker_app(environ, start_response):
    if not scrape_allowed(environ.get("REMOTE_ADDR"), environ.get("HTTP_AUTHORIZATION")):
        start_response("403 Forbidden", [("Content-Type", "text/plain")])
        return [b"Metrics are not available to this address.\n"]
    start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
    return [generate_latest(_Scrape())]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # scrapes every few seconds: not worth a line each
        pass


def worker_metrics_serve(*, address: str, port: int):
    """The Celery worker's exporter: the same metrics and the same access rule as /metrics, on a port of its
    own (CELERY_METRICS_PORT), served by a thread of the worker's main process. Returns the server."""
    server = make_server(address, port, _worker_app, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="metrics-exporter", daemon=True).start()
    return server

"""gunicorn's production settings for accessportal: ``gunicorn accessportal.wsgi`` reads this file from the
working directory (or ``-c gunicorn.conf.py``). Each value can be changed from the environment.

Logs: gunicorn's own lines and its access line go through the portal's structured formatter (JSON lines with
DEBUG off, see accessportal/operations/logs.py) on standard error, one JSON object per request with its
X-Request-ID. Metrics: with PROMETHEUS_MULTIPROC_DIR set, every worker process writes its counters there and
/metrics adds them up; a worker that exits is marked dead so its gauges stop counting."""

import multiprocessing
import os
import shutil

import environ

env = environ.Env()

_debug = env.bool("DEBUG", default=True)
_log_format = env("LOG_FORMAT", default="console" if _debug else "json")

bind = env("GUNICORN_BIND", default="0.0.0.0:8000")
# Synchronous workers, (2 x cores) + 1 of them: Django's ORM blocks, and every request is short.
workers = env.int("WEB_CONCURRENCY", default=multiprocessing.cpu_count() * 2 + 1)
threads = env.int("GUNICORN_THREADS", default=1)
# A request still running after 30 s is killed (and logged); on a restart, workers get 30 s to finish.
timeout = env.int("GUNICORN_TIMEOUT", default=30)
graceful_timeout = env.int("GUNICORN_GRACEFUL_TIMEOUT", default=30)
# Keep-alive for the load balancer's connections (a little under the usual 60 s idle timeout of balancers).
keepalive = env.int("GUNICORN_KEEPALIVE", default=5)
# Recycle workers now and then (jittered, so they do not all restart at once): bounds slow memory growth.
max_requests = env.int("GUNICORN_MAX_REQUESTS", default=1000)
max_requests_jitter = env.int("GUNICORN_MAX_REQUESTS_JITTER", default=100)
# Worker heartbeat files in memory, not on a possibly slow disk.
worker_tmp_dir = env("GUNICORN_WORKER_TMP_DIR", default="/dev/shm" if os.path.isdir("/dev/shm") else None)
# The proxy in front (load balancer) that may set X-Forwarded-For / -Proto: its addresses, comma-separated.
forwarded_allow_ips = env("FORWARDED_ALLOW_IPS", default="127.0.0.1,::1")
# Request line and header limits (gunicorn's defaults, stated): larger requests are refused before Django.
limit_request_line = 4094
limit_request_fields = 100

# Logging: gunicorn's error log and access log through the same structured formatter as the application.
loglevel = env("LOG_LEVEL", default="INFO").lower()
accesslog = None  # no plain handler of gunicorn's own: logconfig_dict below routes gunicorn.access
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(D)s'  # the formatter turns the atoms into JSON fields


def _logconfig():
    from accessportal.operations.logs import logging_config

    return logging_config(fmt=_log_format, level=env("LOG_LEVEL", default="INFO"))


logconfig_dict = _logconfig()


def on_starting(server):
    """Multiprocess metrics: start from an empty directory, or counters of a previous run would be added."""
    directory = env("PROMETHEUS_MULTIPROC_DIR", default="")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory, exist_ok=True)


def child_exit(server, worker):
    if env("PROMETHEUS_MULTIPROC_DIR", default=""):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)

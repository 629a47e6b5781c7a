"""gunicorn.conf.py: production defaults (workers from the CPU count, timeouts), and gunicorn's access line in
the structured format, with the request id and without secrets, from a real gunicorn process."""

import json
import multiprocessing
import os
import runpy
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "gunicorn.conf.py"


def _config(**env):
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        return runpy.run_path(str(CONF))
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_workers_follow_the_cpu_count_and_timeouts_are_set():
    config = _config()
    assert config["workers"] == multiprocessing.cpu_count() * 2 + 1
    assert config["timeout"] == 30 and config["graceful_timeout"] == 30
    assert config["max_requests"] > 0 and config["max_requests_jitter"] > 0
    assert _config(WEB_CONCURRENCY="3")["workers"] == 3


def test_logs_are_json_with_debug_off():
    handlers = _config(DEBUG="false")["logconfig_dict"]
    assert handlers["loggers"]["gunicorn.access"]["handlers"] == ["console"]
    renderer = handlers["formatters"]["structured"]["processors"][-1]
    assert type(renderer).__name__ == "JSONRenderer"


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_real_gunicorn_writes_structured_access_lines_with_the_request_id(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "s" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "API_KEY_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "ANYMAIL_WEBHOOK_SECRET": "hooks:webhook-secret-for-tests",
        "SECURE_SSL_REDIRECT": "false",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("REDIS_URL", None)
    log = tmp_path / "gunicorn.log"
    with open(log, "w") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(CONF), "accessportal.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                # The worker's first request loads the app: on a busy machine that takes more than a few seconds.
                response = urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/health/?token=SeCrEtToKeN123456789", timeout=30
                )
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline or server.poll() is not None:
                    raise AssertionError(log.read_text()) from None
                time.sleep(0.3)
        request_id = response.headers["X-Request-ID"]
        assert response.status == 200
        time.sleep(0.5)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    access = [line for line in lines if line["event"] == "http_access"]
    assert access, log.read_text()
    assert access[0]["path"] == "/health/"
    assert access[0]["code"] == 200
    assert access[0]["request_id"] == request_id
    assert access[0]["query"] == "token=[redacted]"
    assert any(line["logger"] == "gunicorn.error" and "Booting worker" in line["event"] for line in lines)
    assert "SeCrEtToKeN" not in log.read_text()

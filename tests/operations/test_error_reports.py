"""Error reports (sentry-sdk): nothing is sent without SENTRY_DSN; with it, the Django and Celery integrations,
no personal data, no request bodies, no frame variables, and secrets scrubbed from what is sent."""

import json
import os
import subprocess
import sys
from pathlib import Path

from accessportal.operations.error_reports import scrub_event

ROOT = Path(__file__).resolve().parents[2]


def _shell(code, tmp_path, **env):
    """Run ``code`` in a fresh Django process (from a file: Sentry reports sys.argv, which must not hold it)."""
    script = tmp_path / "script.py"
    script.write_text("import django\ndjango.setup()\n" + code)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")}
    environment.update(
        env,
        PYTHONPATH=str(ROOT),
        DJANGO_SETTINGS_MODULE="accessportal.settings",
        DATABASE_URL=f"sqlite:///{tmp_path / 'unused.sqlite3'}",  # the failing request reads no table
    )
    environment.pop("REDIS_URL", None)
    result = subprocess.run(
        [sys.executable, str(script)], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


CLIENT_STATE = """
import json, sentry_sdk
client = sentry_sdk.get_client()
options = client.options
print(json.dumps({
    "active": client.is_active(),
    "send_default_pii": options.get("send_default_pii"),
    "max_request_body_size": options.get("max_request_body_size"),
    "include_local_variables": options.get("include_local_variables"),
    "integrations": sorted(client.integrations),
}))
"""


def test_nothing_is_set_up_without_a_dsn(tmp_path):
    assert _shell(CLIENT_STATE, tmp_path)["active"] is False


def test_with_a_dsn_errors_are_reported_without_personal_data_or_bodies(tmp_path):
    state = _shell(CLIENT_STATE, tmp_path, SENTRY_DSN="https://public@sentry.invalid/1")
    assert state["active"] is True
    assert state["send_default_pii"] is False
    assert state["max_request_body_size"] == "never"
    assert state["include_local_variables"] is False
    assert {"django", "celery"} <= set(state["integrations"])


# A request to an invitation link fails (a bug stands in): what would be sent to Sentry is captured.
FAILING_REQUEST = """
import json
from unittest import mock
from sentry_sdk.transport import Transport
from accessportal.operations.error_reports import sentry_init

sent = []

class Capture(Transport):
    def capture_envelope(self, envelope):
        for item in envelope.items:
            if item.type == "event":
                sent.append(item.payload.json)

sentry_init(dsn="https://public@sentry.invalid/1", environment="test", release="t", transport=Capture)

import io
from wsgiref.util import setup_testing_defaults
from accessportal.wsgi import application  # through the WSGI handler, as gunicorn calls it

TOKEN = "SeCrEtToKeN0123456789abcdefSeCrEtToKeN01234"
body = b"password=Quartz-Meadow-Lantern-2026-Orbit&first_name=A"
environ = {
    "REQUEST_METHOD": "POST",
    "PATH_INFO": f"/invitations/{TOKEN}/",
    "QUERY_STRING": f"token={TOKEN}",
    "CONTENT_TYPE": "application/x-www-form-urlencoded",
    "CONTENT_LENGTH": str(len(body)),
    "wsgi.input": io.BytesIO(body),
    "HTTP_HOST": "127.0.0.1",
    "HTTP_AUTHORIZATION": "Bearer BeArErToKeN0123456789",
    "HTTP_COOKIE": "remember=SeSsIoN0123456789; csrftoken=abcdefghijklmnopqrstuvwxyzABCDEF",
    "HTTP_X_CSRFTOKEN": "abcdefghijklmnopqrstuvwxyzABCDEF",
}
setup_testing_defaults(environ)
statuses = []
# The lockout check before the view reads the database, which this process has not made: let it pass.
with mock.patch("axes.handlers.proxy.AxesProxyHandler.is_allowed", return_value=True), mock.patch(
    "accounts.services.invitations.invitation_for_token", side_effect=RuntimeError("database gone")
):
    b"".join(application(environ, lambda status, headers, exc_info=None: statuses.append(status)))

class response:
    status_code = int(statuses[0].split()[0])
import sentry_sdk
sentry_sdk.flush()
print(json.dumps({"status": response.status_code, "events": sent}))
"""


def test_a_reported_error_carries_no_token_password_header_cookie_or_body(tmp_path):
    result = _shell(FAILING_REQUEST, tmp_path)
    assert result["status"] == 500
    assert len(result["events"]) == 1
    event = result["events"][0]
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"  # the error itself is reported
    assert event["request"]["url"].endswith("/invitations/[redacted]/")
    text = json.dumps(event)
    for secret in ("SeCrEtToKeN", "Quartz-Meadow", "BeArErToKeN", "SeSsIoN0123"):
        assert secret not in text
    assert not event["request"].get("data")  # no body
    assert all(
        "vars" not in frame
        for value in event["exception"]["values"]
        for frame in value["stacktrace"]["frames"]
    )


def test_scrub_event_redacts_secret_keys_and_links_everywhere_in_an_event():
    event = {
        "request": {
            "url": "https://h/invitations/abcdefghijklmnop/",
            "headers": {"Authorization": "Digest x"},
        },
        "breadcrumbs": {"values": [{"message": "GET /invitations/abcdefghijklmnop/?token=abc"}]},
        "extra": {"celery-job": {"args": [1, {"token": "abc"}]}},
    }
    assert scrub_event(event, {}) == {
        "request": {"url": "https://h/invitations/[redacted]/", "headers": {"Authorization": "[redacted]"}},
        "breadcrumbs": {"values": [{"message": "GET /invitations/[redacted]/?token=[redacted]"}]},
        "extra": {"celery-job": {"args": [1, {"token": "[redacted]"}]}},
    }

"""Settings come from the environment; production secrets have no default."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_check(**env):
    environment = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {"SECRET_KEY", "ALLOWED_HOSTS", "DEBUG", "API_KEY_ENCRYPTION_KEYS", "ANYMAIL_WEBHOOK_SECRET"}
    }
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=environment, capture_output=True, text=True
    )


def test_without_debug_a_missing_secret_key_stops_start_up():
    result = run_check(DEBUG="false", ALLOWED_HOSTS="portal.example.com")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_without_debug_the_environment_configures_the_portal():
    from cryptography.fernet import Fernet

    key = Fernet.generate_key().decode()
    result = run_check(
        DEBUG="false",
        SECRET_KEY="x" * 50,
        ALLOWED_HOSTS="portal.example.com",
        API_KEY_ENCRYPTION_KEYS=key,
        ANYMAIL_WEBHOOK_SECRET="esp:secret",
    )
    assert result.returncode == 0, result.stderr


def test_without_debug_a_missing_webhook_secret_stops_start_up():
    """Else the ESP's tracking webhook would take anyone's word for a bounce."""
    from cryptography.fernet import Fernet

    key = Fernet.generate_key().decode()
    result = run_check(
        DEBUG="false", SECRET_KEY="x" * 50, ALLOWED_HOSTS="portal.example.com", API_KEY_ENCRYPTION_KEYS=key
    )
    assert result.returncode != 0
    assert "ANYMAIL_WEBHOOK_SECRET" in result.stderr


def test_without_debug_api_keys_need_an_encryption_key_from_the_environment():
    result = run_check(DEBUG="false", SECRET_KEY="x" * 50, ALLOWED_HOSTS="portal.example.com")
    assert result.returncode != 0
    assert "API_KEY_ENCRYPTION_KEYS" in result.stderr

"""The README's `make run`: links in email follow the port it serves on."""

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def dry_run(*args, **env):
    environment = {k: v for k, v in os.environ.items() if k != "PORTAL_BASE_URL"} | env
    return subprocess.run(
        ["make", "-n", "run", *args], cwd=ROOT, env=environment, capture_output=True, text=True, check=True
    ).stdout


def test_make_run_on_another_port_gives_web_and_worker_that_base_url():
    commands = dry_run("PORT=9000")
    assert commands.count("PORTAL_BASE_URL=http://127.0.0.1:9000") == 2  # the worker renders email too
    assert "runserver 127.0.0.1:9000" in commands


def test_a_base_url_from_the_environment_wins():
    commands = dry_run("PORT=9000", PORTAL_BASE_URL="https://portal.example.com")
    assert commands.count("PORTAL_BASE_URL=https://portal.example.com") == 2

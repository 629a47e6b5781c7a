"""Fixtures of the operations tests."""

import logging

import pytest

from tests.log_secrets import scanning


@pytest.fixture
def log_lines():
    """Every log line written during the test, rendered as production renders it (JSON), parsed: a list that
    fills as the test runs."""
    with scanning(logging.INFO) as scan:
        yield scan.kept

"""The secrets a test run creates, and every log line it writes, so that a check can say no secret was logged.

``SecretRegistry`` records, as they are made: invitation tokens (the 256-bit values in invitation links), API
private keys, the Digest responses the server is sent, and the passwords tests use. ``LogScan`` is a logging
handler rendering each record with the production (JSON) formatter, i.e. exactly the line an operator would
get, and keeping each secret-shaped word of it. conftest.py installs both for the whole session and fails the
run if any secret made during it appears in any line; tests/operations/test_no_secrets_in_logs.py runs the
flows that make secrets, checks the same, and proves that the check catches a leak."""

import json
import logging
import re
import secrets
import sys
from contextlib import contextmanager

# Secrets are made of these characters (token_urlsafe, hex, UUID-shaped keys); a secret inside a line is inside
# one maximal run of them.
_WORD = re.compile(r"[A-Za-z0-9_-]{16,}")

# Passwords the suite types (tests/factories.py and the flows below).
KNOWN_PASSWORDS = ("correct horse battery staple",)


class SecretRegistry:
    def __init__(self):
        self.secrets: set[str] = set(KNOWN_PASSWORDS)
        self._undo = []

    def add(self, value) -> None:
        if isinstance(value, str) and len(value) >= 16:
            self.secrets.add(value)

    def install(self) -> None:
        """Wrap the functions that make or receive secrets, so that each one is recorded when it exists."""
        from accessportal.api import digest
        from accounts.services import api_keys

        original_token_urlsafe = secrets.token_urlsafe

        def token_urlsafe(nbytes=None):
            value = original_token_urlsafe(nbytes)
            caller = sys._getframe(1).f_globals.get("__name__", "")
            if caller.startswith(("accounts.services.invitations", "serviceaccounts.services")):
                self.add(value)  # an invitation token, a service account's access token
            return value

        original_private_key = api_keys._new_private_key

        def new_private_key():
            value = original_private_key()
            self.add(value)
            return value

        original_parse = digest.parse_authorization

        def parse_authorization(header):
            credentials = original_parse(header)
            self.add(getattr(credentials, "response", None))
            return credentials

        self._patch(secrets, "token_urlsafe", token_urlsafe)
        self._patch(api_keys, "_new_private_key", new_private_key)
        self._patch(digest, "parse_authorization", parse_authorization)

        from serviceaccounts.services import accounts as service_accounts

        original_new_secret = service_accounts._new_secret

        def new_secret(*args, **kwargs):
            secret, value = original_new_secret(*args, **kwargs)
            self.add(value)  # a service account's client secret
            return secret, value

        self._patch(service_accounts, "_new_secret", new_secret)

    def _patch(self, owner, name, value):
        self._undo.append((owner, name, getattr(owner, name)))
        setattr(owner, name, value)

    def uninstall(self) -> None:
        while self._undo:
            owner, name, value = self._undo.pop()
            setattr(owner, name, value)


class LogScan(logging.Handler):
    """Renders every record as production would (JSON lines, redaction included) and keeps the secret-shaped
    words of each line, with the first line each appeared in."""

    def __init__(self, keep_lines=False):
        super().__init__(level=logging.NOTSET)
        from accessportal.operations import logs

        spec = logs.formatter("json")
        self.setFormatter(spec.pop("()")(**spec))
        self.words: dict[str, str] = {}
        self.lines = 0
        self.kept: list[dict] | None = [] if keep_lines else None

    def emit(self, record):
        try:
            line = self.format(record)
        except Exception:  # a record that cannot be rendered is a bug of its own, not this check's
            self.handleError(record)
            return
        self.lines += 1
        if self.kept is not None:
            self.kept.append(json.loads(line))
        for word in _WORD.findall(line):
            self.words.setdefault(word, line[:400])
        # A secret with spaces (a password) is looked for in the whole line.
        for password in KNOWN_PASSWORDS:
            if password in line:
                self.words.setdefault(password, line[:400])

    def leaks(self, registry_secrets) -> dict[str, str]:
        """{secret: the line it appeared in} for every registered secret found in a captured line."""
        found = {}
        lengths = {len(secret) for secret in registry_secrets}
        for word, line in self.words.items():
            if word in registry_secrets:
                found[word] = line
                continue
            for length in lengths:  # a secret glued to other word characters
                if len(word) > length:
                    for start in range(len(word) - length + 1):
                        if word[start : start + length] in registry_secrets:
                            found[word[start : start + length]] = line
        return found


@contextmanager
def scanning(level=logging.DEBUG):
    """Within the block, every log record of every logger (at ``level`` and above) goes through a LogScan, which
    also keeps each line (parsed) in ``kept``."""
    scan = LogScan(keep_lines=True)
    root = logging.getLogger()
    previous = root.level
    root.addHandler(scan)
    root.setLevel(level)
    try:
        yield scan
    finally:
        root.removeHandler(scan)
        root.setLevel(previous)

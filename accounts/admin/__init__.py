"""The Django admin of accounts: every model, every change through the services."""

from . import access, base, dashboard, people, signin, tenancy  # noqa: F401 (registers the admin classes)

"""Customers' pages of the accounts app."""

from .access import invitation_action, join_request_action, organization_access, project_access
from .invitations import home, invitation_accept, project_join_request
from .profile import profile, welcome

__all__ = [
    "home",
    "invitation_accept",
    "invitation_action",
    "join_request_action",
    "organization_access",
    "profile",
    "project_access",
    "project_join_request",
    "welcome",
]

"""The accounts app's models, one module per part of the domain."""

from .api_keys import ApiKey, ApiKeyAccessListEntry
from .audit import AuditEvent, AuthenticationFailureWindow
from .emails import OutboundEmail
from .invitations import Invitation, JoinRequest, invitation_token_hash
from .tenancy import (
    Cluster,
    Organization,
    OrganizationGroupObjectPermission,
    OrganizationMembership,
    OrganizationRole,
    OrganizationUserObjectPermission,
    Project,
    ProjectGroupObjectPermission,
    ProjectMembership,
    ProjectRole,
    ProjectUserObjectPermission,
    Team,
    TeamMembership,
    TeamProjectAssignment,
    TeamProjectRole,
    User,
    UserManager,
    new_public_id,
    public_id_field,
    team_name_key,
)

__all__ = [
    "ApiKey",
    "ApiKeyAccessListEntry",
    "Invitation",
    "JoinRequest",
    "AuditEvent",
    "AuthenticationFailureWindow",
    "Cluster",
    "Organization",
    "OutboundEmail",
    "OrganizationGroupObjectPermission",
    "OrganizationMembership",
    "OrganizationRole",
    "OrganizationUserObjectPermission",
    "Project",
    "ProjectGroupObjectPermission",
    "ProjectMembership",
    "ProjectRole",
    "ProjectUserObjectPermission",
    "Team",
    "TeamMembership",
    "TeamProjectAssignment",
    "TeamProjectRole",
    "User",
    "UserManager",
    "invitation_token_hash",
    "new_public_id",
    "public_id_field",
    "team_name_key",
]

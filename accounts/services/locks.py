"""The lock that queues the writes of one organization; every app's services that change an organization's
memberships, teams, projects, clusters or grants take it first."""

from accounts.models import Organization
from accounts.permissions import require


def lock_organization(organization) -> Organization:
    """Every membership, team and project write of an organization locks its row first (PostgreSQL row lock;
    on SQLite the IMMEDIATE transaction holds the database's write lock). So writes within one organization
    queue, and no two of them can both pass a "last owner" or "250 teams" check."""
    return Organization.objects.select_for_update().get(pk=organization.pk)


def lock_organization_for(actor, permission: str, scope) -> Organization:
    """How a write service starts: lock the organization of ``scope`` (an organization, or a project of it),
    then check that ``actor`` holds ``permission`` on ``scope`` (refused: ServiceError, 404 to an outsider).
    Checked after the lock, so that no change between the check and the write can slip in. Returns the locked
    organization."""
    if isinstance(scope, Organization):
        organization = lock_organization(scope)
        require(actor, permission, organization)
    else:
        organization = lock_organization(scope.organization)
        require(actor, permission, scope)
    return organization

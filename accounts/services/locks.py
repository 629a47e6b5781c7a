"""The lock that queues the writes of one organization; every app's services that change an organization's
memberships, teams, projects, clusters or grants take it first."""

from accounts.models import Organization


def lock_organization(organization) -> Organization:
    """Every membership, team and project write of an organization locks its row first (PostgreSQL row lock;
    on SQLite the IMMEDIATE transaction holds the database's write lock). So writes within one organization
    queue, and no two of them can both pass a "last owner" or "250 teams" check."""
    return Organization.objects.select_for_update().get(pk=organization.pk)

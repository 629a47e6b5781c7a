"""The emails to an organization's owners about its clusters' support access: one message per owner, queued
with the change (sent after commit). The expiry job tells each owner once a run, listing the grants that
expired."""

from dataclasses import dataclass
from datetime import datetime

from django.urls import reverse

from accounts import roles
from accounts.models import OrganizationMembership, OutboundEmail
from accounts.services.emails import emails_queue_bulk

from ..models import SupportAccessGrant

SUBJECTS = {
    "made": "Support access to cluster {cluster} in {project} was granted",
    "revoked": "Support access to cluster {cluster} in {project} was revoked",
    "expired": "Support access to cluster {cluster} in {project} expired",
}


def owner_emails(organization_ids) -> dict[int, list[str]]:
    """organization id -> the addresses of its owners (people, active): one query for any number."""
    rows = (
        OrganizationMembership.objects.filter(
            organization_id__in=set(organization_ids),
            roles__name=roles.ORG_OWNER,
            user__is_service_account=False,
            user__is_active=True,
        )
        .order_by("user__email")
        .values_list("organization_id", "user__email")
        .distinct()
    )
    owners: dict[int, list[str]] = {}
    for organization_id, email in rows:
        owners.setdefault(organization_id, []).append(email)
    return owners


def _context(grant, event, actor_email, extra) -> dict:
    project = grant.cluster.project
    return {
        "event": event,
        "organization": project.organization.name,
        "project": project.name,
        "cluster": grant.cluster.name,
        "grant_type": grant.grant_type,
        "grant_type_label": grant.get_grant_type_display(),
        "granted_by": grant.granted_by_email,
        "expires_at": grant.expires_at.strftime("%Y-%m-%d %H:%M UTC"),
        "actor": actor_email,
        "clusters_path": reverse("support:project_clusters", args=[project.public_id]),
        **extra,
    }


def notify_owners(grants, *, event, actor_email="", extra=None) -> list[OutboundEmail]:
    """Queue one email to each owner of each grant's organization about ``event`` ("made", "revoked" or
    "expired"); ``grants`` carry ``cluster__project__organization``."""
    owners = owner_emails(grant.cluster.project.organization_id for grant in grants)
    messages = []
    for grant in grants:
        context = _context(grant, event, actor_email, extra or {})
        for address in owners.get(grant.cluster.project.organization_id, []):
            email = OutboundEmail(
                to=address,
                subject=SUBJECTS[event].format(cluster=grant.cluster.name, project=context["project"])[:255],
                template=f"support/email/grant_{event}",
                context=context,
            )
            messages.append((email, None))
    return emails_queue_bulk(messages) if messages else []


@dataclass(frozen=True)
class ExpiredGrant:
    """What an expiry notice says of a grant, read with the expiry itself: plain values, no model instance."""

    id: int
    organization_id: int
    organization: str
    project: str
    project_public_id: str
    cluster: str
    grant_type: str
    granted_by_email: str
    expires_at: datetime


EXPIRY_NOTICE_LISTS = 50  # the grants one expiry notice names; it counts the rest


def _expired_context(grant: ExpiredGrant, paths: dict) -> dict:
    if grant.project_public_id not in paths:
        paths[grant.project_public_id] = reverse("support:project_clusters", args=[grant.project_public_id])
    return {
        "organization": grant.organization,
        "project": grant.project,
        "cluster": grant.cluster,
        "grant_type": grant.grant_type,
        "grant_type_label": SupportAccessGrant.GrantType(grant.grant_type).label,
        "granted_by": grant.granted_by_email,
        "expires_at": grant.expires_at.strftime("%Y-%m-%d %H:%M UTC"),
        "clusters_path": paths[grant.project_public_id],
    }


def notify_owners_of_expiry(expired: list[ExpiredGrant]) -> list[OutboundEmail]:
    """Queue one email to each owner of the organizations of these expired grants, whatever their number: a
    single grant's notice names it as before; more are listed (the first ``EXPIRY_NOTICE_LISTS``, the rest
    counted). One query for the owners, one INSERT for the messages."""
    owners = owner_emails(grant.organization_id for grant in expired)
    by_owner: dict[str, list[ExpiredGrant]] = {}
    for grant in expired:
        for address in owners.get(grant.organization_id, []):
            by_owner.setdefault(address, []).append(grant)
    paths: dict[str, str] = {}
    messages = []
    for address, grants in by_owner.items():
        grants.sort(key=lambda grant: (grant.organization, grant.project, grant.cluster))
        if len(grants) == 1:
            context = {"event": "expired", **_expired_context(grants[0], paths)}
            subject = SUBJECTS["expired"].format(cluster=context["cluster"], project=context["project"])
            email = OutboundEmail(
                to=address,
                subject=subject[:255],
                template="support/email/grant_expired",
                context=context,
            )
        else:
            listed = [_expired_context(grant, paths) for grant in grants[:EXPIRY_NOTICE_LISTS]]
            email = OutboundEmail(
                to=address,
                subject=f"Support access to {len(grants)} clusters expired",
                template="support/email/grants_expired",
                context={"grants": listed, "count": len(grants), "more": len(grants) - len(listed)},
            )
        messages.append((email, None))
    return emails_queue_bulk(messages) if messages else []

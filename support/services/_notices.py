"""The emails to an organization's owners about its clusters' support access: one message per owner, queued
with the change (sent after commit, one task each)."""

from django.urls import reverse

from accounts import roles
from accounts.models import OrganizationMembership, OutboundEmail
from accounts.services.emails import emails_queue_bulk

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

"""Reads of the support app that pages, the API and the admin share, with their prefetching. Expiry is decided
here, at read time: a grant is active only before its ``expires_at``, whatever the tasks have done."""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch
from django.utils import timezone

from accounts.models import Cluster, Organization

from . import rules
from .models import SUPPORT_GROUP_NAME, SupportAccessDecision, SupportAccessGrant, SupportAccessSetting


def support_access_setting(organization) -> SupportAccessSetting | None:
    """The organization's setting row (None: never changed, so support access is not blocked)."""
    return SupportAccessSetting.objects.filter(organization=organization).first()


def support_access_restricted(organization) -> bool:
    """Does the organization block support access to its infrastructure ("restrictEmployeeAccess")?"""
    return SupportAccessSetting.objects.filter(
        organization=organization, restrict_employee_access=True
    ).exists()


@dataclass(frozen=True)
class OrganizationSettings:
    """Atlas's OrganizationSettings, the fields this portal has."""

    organization: Organization
    restrict_employee_access: bool
    api_access_list_required: bool
    multi_factor_auth_required: bool


def organization_settings(organization) -> OrganizationSettings:
    return OrganizationSettings(
        organization=organization,
        restrict_employee_access=support_access_restricted(organization),
        api_access_list_required=organization.api_access_list_required,
        multi_factor_auth_required=organization.multi_factor_auth_required,
    )


def active_grants(now=None):
    """Grants in force now: ACTIVE and not yet at their expiry."""
    return SupportAccessGrant.objects.filter(
        status=SupportAccessGrant.Status.ACTIVE, expires_at__gt=now or timezone.now()
    )


def clusters_with_active_grant(clusters, now=None):
    """``clusters`` (a queryset) with each one's grant in force loaded for ``cluster_active_grant``: one query
    for a whole page."""
    return clusters.prefetch_related(
        Prefetch(
            "support_grants",
            queryset=active_grants(now),
            to_attr="active_support_grants",
        )
    )


def cluster_active_grant(cluster, now=None) -> SupportAccessGrant | None:
    """The cluster's grant in force (prefetched by ``clusters_with_active_grant``, or one query)."""
    now = now or timezone.now()
    if hasattr(cluster, "active_support_grants"):
        grant = next(iter(cluster.active_support_grants), None)
    else:
        grant = active_grants(now).filter(cluster=cluster).first()
    return grant if grant is not None and grant.is_live(now) else None


def project_clusters(project, now=None):
    """A project's clusters by name with their grants in force: two queries whatever the number."""
    return clusters_with_active_grant(Cluster.objects.filter(project=project).order_by("name", "pk"), now)


def organization_decisions(organization):
    """The log of support staff's attempts on the organization's clusters, newest first (for its owners)."""
    return SupportAccessDecision.objects.filter(organization=organization).order_by("-decided_at", "-id")


def is_support_engineer(user) -> bool:
    """An active staff user (a person, not an API key) in the Support group."""
    return bool(
        user is not None
        and getattr(user, "pk", None)
        and user.is_active
        and user.is_staff
        and not user.is_service_account
        and user.groups.filter(name=SUPPORT_GROUP_NAME).exists()
    )


@dataclass(frozen=True)
class GrantedReach:
    """A cluster a grant opens to support staff now: what they reach and until when."""

    grant: SupportAccessGrant
    restricted: bool
    scopes: list[str]


@dataclass(frozen=True)
class EngineerReach:
    """What a support engineer may reach now: the clusters with a grant in force (until its expiry), and the
    organizations that do not block support, whose every cluster's infrastructure and logs are open with no
    end date (``unblocked_scopes``)."""

    is_engineer: bool
    granted: list[GrantedReach]
    unblocked_organizations: list[Organization]
    unblocked_scopes: list[str]


def engineer_reach(user, now=None) -> EngineerReach:
    """Which clusters ``user`` may reach now and until when, by the same table as ``support_access_decide``:
    three queries whatever the numbers."""
    now = now or timezone.now()
    if not is_support_engineer(user):
        return EngineerReach(False, [], [], [])
    restricted = SupportAccessSetting.objects.filter(
        organization=OuterRef("cluster__project__organization"), restrict_employee_access=True
    )
    grants = (
        active_grants(now)
        .select_related("cluster__project__organization")
        .annotate(restricted=Exists(restricted))
        .order_by("expires_at", "pk")
    )
    granted = []
    for grant in grants:
        scopes = rules.scopes_reachable(
            restricted=grant.restricted, sync_enabled=grant.cluster.sync_enabled, grant=grant, now=now
        )
        if scopes and (grant.restricted or rules.Scope.SYNC_DATA in scopes):
            granted.append(GrantedReach(grant, grant.restricted, scopes))
    blocking = SupportAccessSetting.objects.filter(restrict_employee_access=True).values("organization_id")
    unblocked = list(Organization.objects.exclude(pk__in=blocking).order_by("name", "pk"))
    unblocked_scopes = rules.scopes_reachable(restricted=False, sync_enabled=False, grant=None, now=now)
    return EngineerReach(True, granted, unblocked, unblocked_scopes)

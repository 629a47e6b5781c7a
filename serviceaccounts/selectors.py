"""Reads of service accounts: the one fetch-with-permission path for a client id, and the prefetching their
lists need (a constant number of queries whatever the page size)."""

from django.db.models import Prefetch

from accounts.errors import ServiceError
from accounts.models import OrganizationMembership, ProjectMembership
from accounts.selectors.access import access_common, visible_organizations

from .models import ServiceAccount, ServiceAccountSecret


def access_service_account(*, actor, organization, client_id, need=None) -> ServiceAccount:
    """One of ``organization``'s service accounts by its client id; ``need`` is held on the organization. A
    missing account and another organization's get the same SERVICE_ACCOUNT_NOT_FOUND."""
    accounts = ServiceAccount.objects.select_related("user", "organization").filter(
        client_id=str(client_id), organization=organization
    )
    return access_common(
        actor=actor,
        visible=accounts.filter(organization__in=visible_organizations(actor).values("pk")),
        kind="service account",
        identifier=client_id,
        need=need,
        permission_target=lambda service_account: service_account.organization,
        missing=lambda: ServiceError(
            "SERVICE_ACCOUNT_NOT_FOUND",
            f"No service account with client ID {client_id} exists in organization {organization.public_id}.",
            clientId=str(client_id),
        ),
    )


def with_details(service_accounts, organization, projects=None):
    """Prefetch what the serializers show: the secrets, the roles in ``organization`` and, with ``projects``
    (those the caller may see), the project roles there."""
    queryset = service_accounts.select_related("user", "organization").prefetch_related(
        Prefetch("secrets", queryset=ServiceAccountSecret.objects.order_by("created_at", "pk")),
        Prefetch(
            "user__organization_memberships",
            queryset=OrganizationMembership.objects.filter(organization=organization).prefetch_related(
                "roles"
            ),
            to_attr="visible_organization_memberships",
        ),
    )
    if projects is not None:
        queryset = queryset.prefetch_related(
            Prefetch(
                "user__project_memberships",
                queryset=ProjectMembership.objects.filter(project__in=projects)
                .select_related("project")
                .prefetch_related("roles"),
                to_attr="visible_project_memberships",
            )
        )
    return queryset


def project_service_accounts(project):
    """The service accounts assigned to ``project``."""
    return ServiceAccount.objects.filter(
        organization=project.organization_id, user__project_memberships__project=project
    )

"""The Atlas Admin API v2 routes of service accounts: /orgs/{orgId}/serviceAccounts (list, create with its first
secret answered once, get, change, delete; secrets; the IP access list; the projects an account is in) and
/groups/{groupId}/serviceAccounts (the accounts assigned to a project; assign, change roles, unassign)."""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from accessportal.api.schema import responses
from accessportal.api.views import AtlasView
from accounts import selectors as account_selectors
from accounts.api.api_keys.serializers import AccessListRequestSerializer, access_list_entries
from accounts.errors import ServiceError
from accounts.models import ProjectMembership
from serviceaccounts import selectors
from serviceaccounts.models import ServiceAccount
from serviceaccounts.services import accounts as services

from .serializers import (
    AccessListEntrySerializer,
    CreateSerializer,
    GroupServiceAccountSerializer,
    OrgServiceAccountSerializer,
    ProjectRolesSerializer,
    ProjectUpdateSerializer,
    SecretCreateSerializer,
    SecretSerializer,
    ServiceAccountGroupSerializer,
    UpdateSerializer,
)

NO_STORE = {"Cache-Control": "no-store"}


def _organization(request, org_id):
    return account_selectors.access_organization(actor=request.user, organization_id=org_id)


def _account(request, organization, client_id) -> ServiceAccount:
    return selectors.access_service_account(
        actor=request.user, organization=organization, client_id=client_id
    )


def _org_json(request, service_account, secret_values=None) -> dict:
    fresh = selectors.with_details(
        ServiceAccount.objects.filter(pk=service_account.pk), service_account.organization
    ).get()
    context = {"request": request, "secret_values": secret_values or {}}
    return OrgServiceAccountSerializer(fresh, context=context).data


class OrganizationServiceAccountsView(AtlasView):
    @extend_schema(
        operation_id="listServiceAccounts",
        responses=responses({200: OrgServiceAccountSerializer(many=True)}),
    )
    def get(self, request, org_id):
        organization = _organization(request, org_id)
        accounts = selectors.with_details(
            organization.service_accounts.order_by("created_at", "pk"), organization
        )
        context = {"request": request}
        return self.page(
            accounts, lambda page: OrgServiceAccountSerializer(page, many=True, context=context).data
        )

    @extend_schema(
        operation_id="createServiceAccount",
        request=CreateSerializer,
        responses=responses({201: OrgServiceAccountSerializer}),
    )
    def post(self, request, org_id):
        organization = _organization(request, org_id)
        data = self.validated(CreateSerializer)
        service_account, secret, value = services.service_account_create(
            organization=organization,
            name=data["name"],
            description=data["description"],
            roles=data["roles"],
            secret_expires_after_hours=data["secretExpiresAfterHours"],
            actor=request.user,
        )
        body = _org_json(request, service_account, {secret.pk: value})
        # The secret, shown once: no cache (browser, proxy) may keep the answer.
        return Response(body, status=status.HTTP_201_CREATED, headers=NO_STORE)


class OrganizationServiceAccountView(AtlasView):
    @extend_schema(operation_id="getServiceAccount", responses=responses({200: OrgServiceAccountSerializer}))
    def get(self, request, org_id, client_id):
        organization = _organization(request, org_id)
        return Response(_org_json(request, _account(request, organization, client_id)))

    @extend_schema(
        operation_id="updateServiceAccount",
        request=UpdateSerializer,
        responses=responses({200: OrgServiceAccountSerializer}),
    )
    def patch(self, request, org_id, client_id):
        organization = _organization(request, org_id)
        service_account = _account(request, organization, client_id)
        data = self.validated(UpdateSerializer)
        service_account = services.service_account_update(
            service_account=service_account,
            actor=request.user,
            name=data.get("name"),
            description=data.get("description"),
            roles=data.get("roles"),
        )
        return Response(_org_json(request, service_account))

    @extend_schema(operation_id="deleteServiceAccount", responses=responses({204: None}))
    def delete(self, request, org_id, client_id):
        organization = _organization(request, org_id)
        services.service_account_delete(
            service_account=_account(request, organization, client_id), actor=request.user
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ServiceAccountSecretsView(AtlasView):
    @extend_schema(
        operation_id="createServiceAccountSecret",
        request=SecretCreateSerializer,
        responses=responses({201: SecretSerializer}),
    )
    def post(self, request, org_id, client_id):
        organization = _organization(request, org_id)
        service_account = _account(request, organization, client_id)
        data = self.validated(SecretCreateSerializer)
        secret, value = services.service_account_secret_create(
            service_account=service_account,
            secret_expires_after_hours=data["secretExpiresAfterHours"],
            actor=request.user,
        )
        body = SecretSerializer(secret, context={"secret_values": {secret.pk: value}}).data
        return Response(body, status=status.HTTP_201_CREATED, headers=NO_STORE)


class ServiceAccountSecretView(AtlasView):
    @extend_schema(operation_id="deleteServiceAccountSecret", responses=responses({204: None}))
    def delete(self, request, org_id, client_id, secret_id):
        organization = _organization(request, org_id)
        services.service_account_secret_delete(
            service_account=_account(request, organization, client_id),
            secret_id=secret_id,
            actor=request.user,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ServiceAccountAccessListView(AtlasView):
    def _page(self, service_account, status_code=status.HTTP_200_OK) -> Response:
        return self.page(
            service_account.access_list.order_by("cidr_block"),
            lambda page: AccessListEntrySerializer(page, many=True).data,
            status_code,
        )

    @extend_schema(
        operation_id="listServiceAccountAccessList",
        responses=responses({200: AccessListEntrySerializer(many=True)}),
    )
    def get(self, request, org_id, client_id):
        organization = _organization(request, org_id)
        return self._page(_account(request, organization, client_id))

    @extend_schema(
        operation_id="createServiceAccountAccessList",
        request=AccessListRequestSerializer(many=True),
        responses=responses({201: AccessListEntrySerializer(many=True)}),
    )
    def post(self, request, org_id, client_id):
        organization = _organization(request, org_id)
        service_account = _account(request, organization, client_id)
        services.service_account_access_list_add(
            service_account=service_account, entries=access_list_entries(self), actor=request.user
        )
        return self._page(service_account, status.HTTP_201_CREATED)


class ServiceAccountAccessListEntryView(AtlasView):
    """``ip_address`` is an address or a CIDR block with its slash URL-encoded (``10.0.0.0%2F24``)."""

    @extend_schema(operation_id="deleteServiceAccountAccessListEntry", responses=responses({204: None}))
    def delete(self, request, org_id, client_id, ip_address):
        organization = _organization(request, org_id)
        services.service_account_access_list_remove(
            service_account=_account(request, organization, client_id), entry=ip_address, actor=request.user
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ServiceAccountGroupsView(AtlasView):
    @extend_schema(
        operation_id="listServiceAccountProjects",
        responses=responses({200: ServiceAccountGroupSerializer(many=True)}),
    )
    def get(self, request, org_id, client_id):
        organization = _organization(request, org_id)
        service_account = _account(request, organization, client_id)
        visible = account_selectors.projects_for_user(request.user, organization=organization)
        memberships = (
            ProjectMembership.objects.filter(user=service_account.user, project__in=visible)
            .select_related("project")
            .prefetch_related("roles")
            .order_by("project__name", "pk")
        )
        return self.page(memberships, lambda page: ServiceAccountGroupSerializer(page, many=True).data)


# ---- /groups/{groupId}/serviceAccounts ----------------------------------------------------------------------------


def _project_json(request, project, service_account) -> dict:
    fresh = selectors.with_details(
        ServiceAccount.objects.filter(pk=service_account.pk), project.organization, projects=[project]
    ).get()
    return GroupServiceAccountSerializer(fresh, context={"request": request, "project": project}).data


class ProjectServiceAccountsView(AtlasView):
    @extend_schema(
        operation_id="listProjectServiceAccounts",
        responses=responses({200: GroupServiceAccountSerializer(many=True)}),
    )
    def get(self, request, group_id):
        project = account_selectors.access_project(actor=request.user, project_id=group_id)
        accounts = selectors.with_details(
            selectors.project_service_accounts(project).order_by("created_at", "pk"),
            project.organization,
            projects=[project],
        )
        context = {"request": request, "project": project}
        return self.page(
            accounts, lambda page: GroupServiceAccountSerializer(page, many=True, context=context).data
        )


class ProjectServiceAccountView(AtlasView):
    def _fetch(self, request, group_id, client_id, assigned=True):
        project = account_selectors.access_project(actor=request.user, project_id=group_id)
        service_account = _account(request, project.organization, client_id)
        if (
            assigned
            and not ProjectMembership.objects.filter(project=project, user=service_account.user).exists()
        ):
            raise ServiceError(
                "SERVICE_ACCOUNT_NOT_IN_GROUP",
                f"Service account {client_id} is not assigned to project {project.public_id}.",
                clientId=str(client_id),
            )
        return project, service_account

    @extend_schema(
        operation_id="getProjectServiceAccount", responses=responses({200: GroupServiceAccountSerializer})
    )
    def get(self, request, group_id, client_id):
        project, service_account = self._fetch(request, group_id, client_id)
        return Response(_project_json(request, project, service_account))

    @extend_schema(
        operation_id="updateProjectServiceAccount",
        request=ProjectUpdateSerializer,
        responses=responses({200: GroupServiceAccountSerializer}),
    )
    def patch(self, request, group_id, client_id):
        project, service_account = self._fetch(request, group_id, client_id, assigned=False)
        data = self.validated(ProjectUpdateSerializer)
        for field in ("name", "description"):
            if data.get(field, getattr(service_account, field)) != getattr(service_account, field):
                raise serializers.ValidationError(
                    {field: "Change it with PATCH /orgs/{orgId}/serviceAccounts/{clientId}."}
                )
        services.service_account_project_roles_set(
            service_account=service_account, project=project, roles=data["roles"], actor=request.user
        )
        return Response(_project_json(request, project, service_account))

    @extend_schema(operation_id="deleteProjectServiceAccount", responses=responses({204: None}))
    def delete(self, request, group_id, client_id):
        project, service_account = self._fetch(request, group_id, client_id, assigned=False)
        services.service_account_project_unassign(
            service_account=service_account, project=project, actor=request.user
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProjectServiceAccountInviteView(AtlasView):
    @extend_schema(
        operation_id="addProjectServiceAccount",
        request=ProjectRolesSerializer(many=True),
        responses=responses({201: GroupServiceAccountSerializer}),
    )
    def post(self, request, group_id, client_id):
        project = account_selectors.access_project(actor=request.user, project_id=group_id)
        service_account = _account(request, project.organization, client_id)
        # Atlas takes a list of {roles}; one bare {roles} object is taken too.
        body = request.data if isinstance(request.data, list) else [request.data]
        assignments = self.validated(ProjectRolesSerializer, data=body, many=True, allow_empty=False)
        roles = [name for assignment in assignments for name in assignment["roles"]]
        services.service_account_project_assign(
            service_account=service_account, project=project, roles=roles, actor=request.user
        )
        return Response(_project_json(request, project, service_account), status=status.HTTP_201_CREATED)


ACCOUNT = "orgs/<str:org_id>/serviceAccounts/<str:client_id>"
PROJECT_ACCOUNT = "groups/<str:group_id>/serviceAccounts/<str:client_id>"

urlpatterns = [
    path(
        "orgs/<str:org_id>/serviceAccounts",
        OrganizationServiceAccountsView.as_view(),
        name="org-service-accounts",
    ),
    path(ACCOUNT, OrganizationServiceAccountView.as_view(), name="org-service-account"),
    path(f"{ACCOUNT}/secrets", ServiceAccountSecretsView.as_view(), name="service-account-secrets"),
    path(
        f"{ACCOUNT}/secrets/<str:secret_id>",
        ServiceAccountSecretView.as_view(),
        name="service-account-secret",
    ),
    path(f"{ACCOUNT}/accessList", ServiceAccountAccessListView.as_view(), name="service-account-access-list"),
    # <path:...>: a CIDR block's %2F arrives decoded as "/".
    path(
        f"{ACCOUNT}/accessList/<path:ip_address>",
        ServiceAccountAccessListEntryView.as_view(),
        name="service-account-access-list-entry",
    ),
    path(f"{ACCOUNT}/groups", ServiceAccountGroupsView.as_view(), name="service-account-groups"),
    path(
        "groups/<str:group_id>/serviceAccounts",
        ProjectServiceAccountsView.as_view(),
        name="group-service-accounts",
    ),
    path(
        f"{PROJECT_ACCOUNT}:invite",
        ProjectServiceAccountInviteView.as_view(),
        name="group-service-account-invite",
    ),
    path(PROJECT_ACCOUNT, ProjectServiceAccountView.as_view(), name="group-service-account"),
]

"""/orgs: list, create, get, rename, delete (when empty); /orgs/{orgId}/groups."""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from accessportal.api.errors import AtlasAPIError
from accessportal.api.schema import responses
from accessportal.api.views import AtlasView, self_link
from accounts import selectors, services

from .groups import GroupSerializer


class OrganizationSerializer(serializers.Serializer):
    id = serializers.CharField(source="public_id", read_only=True)
    name = serializers.CharField(read_only=True)
    isDeleted = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField()

    def get_isDeleted(self, organization) -> bool:
        return False

    def get_links(self, organization) -> list[dict]:
        return self_link(self.context["request"], f"orgs/{organization.public_id}")


class OrganizationCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64)
    orgOwnerId = serializers.CharField(required=False, max_length=24)


class OrganizationCreatedSerializer(serializers.Serializer):
    organization = OrganizationSerializer()
    orgOwnerId = serializers.CharField()


class OrganizationRenameSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64)


class OrganizationListView(AtlasView):
    @extend_schema(
        operation_id="listOrganizations",
        responses=responses({200: OrganizationSerializer(many=True)}),
    )
    def get(self, request):
        organizations = selectors.organizations_for_user(request.user).order_by("name", "pk")
        return self.page(
            organizations,
            lambda page: OrganizationSerializer(page, many=True, context={"request": request}).data,
        )

    @extend_schema(
        operation_id="createOrganization",
        request=OrganizationCreateSerializer,
        responses=responses({201: OrganizationCreatedSerializer}),
    )
    def post(self, request):
        data = self.validated(OrganizationCreateSerializer)
        owner = request.user
        if data.get("orgOwnerId"):
            with selectors.body_reference("orgOwnerId", code="INVALID_ORG_OWNER"):
                owner = selectors.access_colleague(actor=request.user, user_id=data["orgOwnerId"])
        elif request.user.is_service_account:
            raise AtlasAPIError(
                400,
                "MISSING_ATTRIBUTE",
                "An API key creating an organization must name orgOwnerId.",
                ["orgOwnerId"],
            )
        organization = services.organization_create(name=data["name"], actor=request.user, owner=owner)
        body = {
            "organization": OrganizationSerializer(organization, context={"request": request}).data,
            "orgOwnerId": owner.public_id,
        }
        return Response(body, status=status.HTTP_201_CREATED)


class OrganizationDetailView(AtlasView):
    @extend_schema(operation_id="getOrganization", responses=responses({200: OrganizationSerializer}))
    def get(self, request, org_id):
        organization = selectors.access_organization(actor=request.user, organization_id=org_id)
        return Response(OrganizationSerializer(organization, context={"request": request}).data)

    @extend_schema(
        operation_id="renameOrganization",
        request=OrganizationRenameSerializer,
        responses=responses({200: OrganizationSerializer}),
    )
    def patch(self, request, org_id):
        organization = selectors.access_organization(actor=request.user, organization_id=org_id)
        data = self.validated(OrganizationRenameSerializer)
        organization = services.organization_rename(
            organization=organization, name=data["name"], actor=request.user
        )
        return Response(OrganizationSerializer(organization, context={"request": request}).data)

    @extend_schema(operation_id="deleteOrganization", responses=responses({204: None}))
    def delete(self, request, org_id):
        organization = selectors.access_organization(actor=request.user, organization_id=org_id)
        services.organization_delete(organization=organization, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class OrganizationGroupsView(AtlasView):
    @extend_schema(
        operation_id="listOrganizationProjects",
        responses=responses({200: GroupSerializer(many=True)}),
    )
    def get(self, request, org_id):
        organization = selectors.access_organization(actor=request.user, organization_id=org_id)
        projects = selectors.projects_for_user(request.user, organization=organization).order_by("name", "pk")
        return self.page(
            GroupSerializer.prefetch(projects),
            lambda page: GroupSerializer(page, many=True, context={"request": request}).data,
        )


urlpatterns = [
    path("orgs", OrganizationListView.as_view(), name="orgs"),
    path("orgs/<str:org_id>", OrganizationDetailView.as_view(), name="org"),
    path("orgs/<str:org_id>/groups", OrganizationGroupsView.as_view(), name="org-groups"),
]

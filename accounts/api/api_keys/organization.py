"""/orgs/{orgId}/apiKeys: list, create (the private key is answered once), get, change, delete; and each key's
/accessList of addresses and CIDR blocks."""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from accessportal.api.schema import responses
from accessportal.api.views import AtlasView
from accounts import selectors
from accounts.models import ApiKey
from accounts.services import _principals as principals
from accounts.services import api_keys as services

from .serializers import (
    AccessListEntrySerializer,
    AccessListRequestSerializer,
    ApiKeyCreateSerializer,
    ApiKeySerializer,
    ApiKeyUpdateSerializer,
    access_list_entries,
    with_visible_roles,
)


def organization_api_key(request, organization, api_user_id) -> ApiKey:
    return selectors.access_api_key(actor=request.user, organization=organization, api_key_id=api_user_id)


def key_details(request, api_key, *, private_key=None) -> dict:
    """One key as ApiKeyUserDetails (its roles as the caller may see them)."""
    fresh = visible_keys(request, api_key.organization, ApiKey.objects.filter(pk=api_key.pk)).get()
    return ApiKeySerializer(fresh, context={"request": request, "private_key": private_key}).data


def visible_keys(request, organization, api_keys):
    """``api_keys`` ready for ``ApiKeySerializer``: project roles only in projects the caller may see."""
    projects = selectors.projects_for_user(request.user, organization=organization)
    return with_visible_roles(api_keys.order_by("public_key"), organization, projects)


def serialize_keys(request):
    return lambda page: ApiKeySerializer(page, many=True, context={"request": request}).data


class OrganizationApiKeysView(AtlasView):
    @extend_schema(
        operation_id="listApiKeys",
        responses=responses({200: ApiKeySerializer(many=True)}),
    )
    def get(self, request, org_id):
        organization = selectors.access_organization(actor=request.user, organization_id=org_id)
        return self.page(
            visible_keys(request, organization, organization.api_keys.all()), serialize_keys(request)
        )

    @extend_schema(
        operation_id="createApiKey",
        request=ApiKeyCreateSerializer,
        responses=responses({201: ApiKeySerializer}),
    )
    def post(self, request, org_id):
        organization = selectors.access_organization(actor=request.user, organization_id=org_id)
        data = self.validated(ApiKeyCreateSerializer, context={"target_id": organization.public_id})
        api_key, private_key = services.api_key_create(
            organization=organization, description=data["desc"], roles=data["roles"], actor=request.user
        )
        body = key_details(request, api_key, private_key=private_key)
        # The private key, shown once: no cache (browser, proxy) may keep the answer.
        return Response(body, status=status.HTTP_201_CREATED, headers={"Cache-Control": "no-store"})


class OrganizationApiKeyView(AtlasView):
    @extend_schema(operation_id="getApiKey", responses=responses({200: ApiKeySerializer}))
    def get(self, request, org_id, api_user_id):
        organization = selectors.access_organization(actor=request.user, organization_id=org_id)
        return Response(key_details(request, organization_api_key(request, organization, api_user_id)))

    @extend_schema(
        operation_id="updateApiKey",
        request=ApiKeyUpdateSerializer,
        responses=responses({200: ApiKeySerializer}),
    )
    def patch(self, request, org_id, api_user_id):
        organization = selectors.access_organization(actor=request.user, organization_id=org_id)
        api_key = organization_api_key(request, organization, api_user_id)
        data = self.validated(ApiKeyUpdateSerializer, context={"target_id": organization.public_id})
        api_key = services.api_key_update(
            api_key=api_key, actor=request.user, description=data.get("desc"), roles=data.get("roles")
        )
        return Response(key_details(request, api_key))

    @extend_schema(operation_id="deleteApiKey", responses=responses({204: None}))
    def delete(self, request, org_id, api_user_id):
        organization = selectors.access_organization(actor=request.user, organization_id=org_id)
        services.api_key_delete(
            api_key=organization_api_key(request, organization, api_user_id), actor=request.user
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ApiKeyAccessListView(AtlasView):
    def _key(self, request, org_id, api_user_id):
        organization = selectors.access_organization(actor=request.user, organization_id=org_id)
        return organization_api_key(request, organization, api_user_id)

    def _page(self, api_key, status_code=status.HTTP_200_OK) -> Response:
        context = {"request": self.request, "api_key": api_key}
        return self.page(
            api_key.access_list.order_by("cidr_block"),
            lambda page: AccessListEntrySerializer(page, many=True, context=context).data,
            status_code,
        )

    @extend_schema(
        operation_id="listApiKeyAccessListsEntries",
        responses=responses({200: AccessListEntrySerializer(many=True)}),
    )
    def get(self, request, org_id, api_user_id):
        return self._page(self._key(request, org_id, api_user_id))

    @extend_schema(
        operation_id="createApiKeyAccessList",
        request=AccessListRequestSerializer(many=True),
        responses=responses({201: AccessListEntrySerializer(many=True)}),
    )
    def post(self, request, org_id, api_user_id):
        api_key = self._key(request, org_id, api_user_id)
        services.api_key_access_list_add(
            api_key=api_key, entries=access_list_entries(self), actor=request.user
        )
        return self._page(api_key, status.HTTP_201_CREATED)


class ApiKeyAccessListEntryView(AtlasView):
    """``ip_address`` is an address or a CIDR block with its slash URL-encoded (``10.0.0.0%2F24``)."""

    @extend_schema(operation_id="getApiKeyAccessList", responses=responses({200: AccessListEntrySerializer}))
    def get(self, request, org_id, api_user_id, ip_address):
        organization = selectors.access_organization(actor=request.user, organization_id=org_id)
        api_key = organization_api_key(request, organization, api_user_id)
        entry = principals.access_list_entry(services.KEY, api_key, ip_address)
        context = {"request": request, "api_key": api_key}
        return Response(AccessListEntrySerializer(entry, context=context).data)

    @extend_schema(operation_id="deleteApiKeyAccessListEntry", responses=responses({204: None}))
    def delete(self, request, org_id, api_user_id, ip_address):
        organization = selectors.access_organization(actor=request.user, organization_id=org_id)
        services.api_key_access_list_remove(
            api_key=organization_api_key(request, organization, api_user_id),
            entry=ip_address,
            actor=request.user,
            request_address=request.META.get("REMOTE_ADDR"),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


KEY = "orgs/<str:org_id>/apiKeys/<str:api_user_id>"

urlpatterns = [
    path("orgs/<str:org_id>/apiKeys", OrganizationApiKeysView.as_view(), name="org-api-keys"),
    path(KEY, OrganizationApiKeyView.as_view(), name="org-api-key"),
    path(f"{KEY}/accessList", ApiKeyAccessListView.as_view(), name="org-api-key-access-list"),
    # <path:...>: a CIDR block's %2F arrives decoded as "/".
    path(
        f"{KEY}/accessList/<path:ip_address>",
        ApiKeyAccessListEntryView.as_view(),
        name="org-api-key-access-list-entry",
    ),
]

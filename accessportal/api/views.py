"""The base every API view shares, and the API's root resource."""

from django.conf import settings
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from .errors import AtlasAPIError
from .pagination import AtlasPagination
from .schema import LinkSerializer, responses


class AtlasView(APIView):
    """An Atlas-shaped endpoint: ``envelope=true`` wraps any answer as ``{status, content}`` with HTTP 200 (for
    clients that cannot read status codes); lists go through ``self.page``."""

    # drf-spectacular documents a 2xx answer declared ``many=True`` as this class's page, with its parameters;
    # a view that answers a plain array says ``pagination_class = None``.
    pagination_class = AtlasPagination

    def initial(self, request, *args, **kwargs):
        """A NUL character can name nothing (and PostgreSQL's text refuses it): refuse it before any query."""
        if any("\x00" in str(value) for value in kwargs.values()):
            raise AtlasAPIError(
                404, "RESOURCE_NOT_FOUND", "Cannot find resource: the address has a NUL character."
            )
        for name, values in request.query_params.lists():
            if any("\x00" in value for value in values) or "\x00" in name:
                raise AtlasAPIError(
                    400,
                    "INVALID_QUERY_PARAMETER",
                    f"The query parameter {name!r} has a NUL character.",
                    [name],
                )
        super().initial(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.query_params.get("envelope") == "true" and isinstance(response, Response):
            response.data = {"status": response.status_code, "content": response.data}
            response.status_code = 200
        return response

    def page(self, items, serialize, status=200) -> Response:
        """One page of ``items`` (a queryset or list) in Atlas's list envelope, ``serialize`` turning the page
        into JSON."""
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(items, self.request, view=self)
        response = paginator.get_paginated_response(serialize(page))
        response.status_code = status
        return response

    def validated(self, serializer_class, data=None, **kwargs) -> dict:
        """The request body checked by a small input serializer; a 400 naming the fields otherwise."""
        serializer = serializer_class(data=self.request.data if data is None else data, **kwargs)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


def self_link(request, path: str) -> list[dict]:
    """Atlas's ``links`` of one resource: its own address under /api/atlas/v2."""
    return [{"href": request.build_absolute_uri(f"/api/atlas/v2/{path}"), "rel": "self"}]


class ApiRootView(AtlasView):
    """What Atlas answers at its root: the application, its build and links; authentication required."""

    @extend_schema(
        operation_id="getSystemStatus",
        responses=responses(
            {
                200: inline_serializer(
                    "SystemStatus",
                    {
                        "appName": serializers.CharField(),
                        "build": serializers.CharField(),
                        "links": LinkSerializer(many=True),
                        "throttling": serializers.BooleanField(),
                    },
                )
            }
        ),
    )
    def get(self, request):
        return Response(
            {
                "appName": "accessportal",
                "build": settings.ACCESSPORTAL_VERSION,
                "links": [{"href": request.build_absolute_uri(), "rel": "self"}],
                "throttling": False,
            }
        )


api_root = ApiRootView.as_view()

"""Atlas's list envelope {results, totalCount, links} with pageNum (1-based), itemsPerPage (default 100, at most
500) and includeCount (default true): DRF's pagination class of every AtlasView, and what it says in the schema."""

from urllib.parse import urlencode

from rest_framework.pagination import BasePagination
from rest_framework.response import Response

from .query import FlagParameter, QueryParameters, WholeNumberParameter

DEFAULT_ITEMS_PER_PAGE = 100
MAX_ITEMS_PER_PAGE = 500
# Past this page the offset no longer fits a database integer (there are never that many rows).
MAX_PAGE_NUM = 10_000_000


class PageParameters(QueryParameters):
    pageNum = WholeNumberParameter(maximum=MAX_PAGE_NUM, default=1, help_text="1-based page number")
    itemsPerPage = WholeNumberParameter(
        maximum=MAX_ITEMS_PER_PAGE, default=DEFAULT_ITEMS_PER_PAGE, help_text="items per page, at most 500"
    )
    includeCount = FlagParameter(default=True, help_text="include totalCount")


class AtlasPagination(BasePagination):
    """One page of a queryset or list: two queries for a queryset (the page, one row more to know whether a next
    page exists, then the count) plus whatever serializing the page costs, whatever the size."""

    def paginate_queryset(self, queryset, request, view=None) -> list:
        self.request = request
        self.items = queryset
        parameters = PageParameters.read(request)
        self.page_num, per_page = parameters["pageNum"], parameters["itemsPerPage"]
        self.include_count = parameters["includeCount"]
        start = (self.page_num - 1) * per_page
        window = list(queryset[start : start + per_page + 1])
        self.has_next = len(window) > per_page
        return window[:per_page]

    def get_paginated_response(self, data) -> Response:
        body = {"links": [self._link("self")], "results": data}
        if self.page_num > 1:
            body["links"].append(self._link("previous", self.page_num - 1))
        if self.has_next:
            body["links"].append(self._link("next", self.page_num + 1))
        if self.include_count:
            items = self.items
            body["totalCount"] = (
                items.count() if hasattr(items, "count") and not isinstance(items, list) else len(items)
            )
        return Response(body)

    def _link(self, rel, page_num=None) -> dict:
        params = self.request.query_params.copy()
        if page_num is not None:
            params["pageNum"] = str(page_num)
        query = urlencode(sorted(params.items()))
        return {
            "href": self.request.build_absolute_uri(self.request.path) + (f"?{query}" if query else ""),
            "rel": rel,
        }

    def get_schema_operation_parameters(self, view) -> list[dict]:
        types = {WholeNumberParameter: "integer", FlagParameter: "boolean"}
        return [
            {
                "in": "query",
                "name": name,
                "schema": {"type": types[type(field)], "default": field.default},
                "description": field.help_text,
            }
            for name, field in PageParameters().fields.items()
        ]

    def get_paginated_response_schema(self, schema) -> dict:
        # Link is the component of accessportal.api.schema.LinkSerializer, which every resource's links use.
        return {
            "type": "object",
            "properties": {
                "links": {"type": "array", "items": {"$ref": "#/components/schemas/Link"}},
                "results": schema,
                "totalCount": {"type": "integer"},
            },
            "required": ["links", "results"],
        }

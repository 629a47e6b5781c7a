"""Atlas's list envelope {results, totalCount, links} with pageNum (1-based), itemsPerPage (default 100, at most
500) and includeCount (default true)."""

from urllib.parse import urlencode

from .errors import AtlasAPIError

DEFAULT_ITEMS_PER_PAGE = 100
MAX_ITEMS_PER_PAGE = 500


def _positive_int(request, name, default, maximum=None):
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1 or (maximum is not None and value > maximum):
        bound = f" and at most {maximum}" if maximum else ""
        raise AtlasAPIError(
            400,
            "INVALID_QUERY_PARAMETER",
            f"{name} must be a whole number of at least 1{bound}; got {raw!r}.",
            [name],
        )
    return value


def _bool(request, name, default):
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if raw.lower() in {"true", "false"}:
        return raw.lower() == "true"
    raise AtlasAPIError(400, "INVALID_QUERY_PARAMETER", f"{name} must be true or false; got {raw!r}.", [name])


# Past this page the offset no longer fits a database integer (there are never that many rows).
MAX_PAGE_NUM = 10_000_000


def page_params(request) -> tuple[int, int, bool]:
    return (
        _positive_int(request, "pageNum", 1, MAX_PAGE_NUM),
        _positive_int(request, "itemsPerPage", DEFAULT_ITEMS_PER_PAGE, MAX_ITEMS_PER_PAGE),
        _bool(request, "includeCount", True),
    )


def _link(request, rel, page_num=None):
    params = request.query_params.copy()
    if page_num is not None:
        params["pageNum"] = str(page_num)
    query = urlencode(sorted(params.items()))
    return {"href": request.build_absolute_uri(request.path) + (f"?{query}" if query else ""), "rel": rel}


def paginated(request, items, serialize) -> dict:
    """One page of ``items`` (a queryset or list), each turned into JSON by ``serialize``: two queries for a
    queryset (count and page) plus whatever ``serialize``'s prefetching costs, whatever the size."""
    page_num, per_page, include_count = page_params(request)
    start = (page_num - 1) * per_page
    window = list(items[start : start + per_page + 1])
    has_next = len(window) > per_page
    window = window[:per_page]
    body = {"links": [_link(request, "self")], "results": serialize(window)}
    if page_num > 1:
        body["links"].append(_link(request, "previous", page_num - 1))
    if has_next:
        body["links"].append(_link(request, "next", page_num + 1))
    if include_count:
        body["totalCount"] = (
            items.count() if hasattr(items, "count") and not isinstance(items, list) else len(items)
        )
    return body

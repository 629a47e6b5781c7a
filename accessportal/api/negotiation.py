"""Atlas's versioned media types: ``application/vnd.atlas.YYYY-MM-DD+json`` in Accept and Content-Type.

One representation serves every version today; the response says which version it answered with (the media
type the client asked for), so Atlas clients that check the Content-Type are satisfied."""

import json
import re

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

VERSIONED = re.compile(r"application/vnd\.atlas\.(\d{4}-\d{2}-\d{2}|preview)\+json", re.IGNORECASE)


class RenderedJSON:
    """A response's data already rendered as compact JSON (a kept page of a list): ``AtlasJSONRenderer`` writes
    it out as it is, and reads it back only to indent it or to put it in an envelope."""

    def __init__(self, content: bytes):
        self.content = content

    def data(self):
        return json.loads(self.content)


class _Encoder(JSONEncoder):
    def default(self, obj):
        if isinstance(obj, RenderedJSON):
            return obj.data()
        return super().default(obj)


class AtlasJSONRenderer(JSONRenderer):
    """JSON; ``?pretty=true`` indents it."""

    encoder_class = _Encoder

    def render(self, data, accepted_media_type=None, renderer_context=None):
        renderer_context = dict(renderer_context or {})
        request = renderer_context.get("request")
        if request is not None and request.query_params.get("pretty") == "true":
            renderer_context["indent"] = 2
        if isinstance(data, RenderedJSON) and not renderer_context.get("indent"):
            return data.content
        return super().render(data, accepted_media_type, renderer_context)


def rendered(data) -> RenderedJSON:
    """``data`` as the API writes it (compact, as ``AtlasJSONRenderer`` without ``?pretty``)."""
    return RenderedJSON(AtlasJSONRenderer().render(data))


class AtlasContentNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        match = VERSIONED.search(request.META.get("HTTP_ACCEPT", ""))
        if match:
            renderer = AtlasJSONRenderer()
            renderer.media_type = match.group(0).lower()
            request.atlas_api_version = match.group(1)
            return renderer, renderer.media_type
        return super().select_renderer(request, renderers, format_suffix)

    def select_parser(self, request, parsers):
        if VERSIONED.match(request.content_type or ""):
            return JSONParser()
        return super().select_parser(request, parsers)

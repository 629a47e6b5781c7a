"""Query parameters read by small serializers, as request bodies are: the fields Atlas's parameters need, and the
one refusal of a bad value, 400 INVALID_QUERY_PARAMETER in Atlas's error body naming the parameter.

A query string is read as it is, not as DRF reads a form: an absent parameter takes its default, a blank one is
read (and refused where a blank means nothing), a repeated one counts by its last value (a list takes them all)."""

from datetime import UTC

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers
from rest_framework.fields import empty

from .errors import AtlasAPIError


class QueryParameters(serializers.Serializer):
    """The query parameters of an operation. ``read(request)`` answers their values, or refuses the first bad
    one in the order the fields are declared (a cross-field rule in ``validate`` names its parameter with
    ``ValidationError({name: message})``). The class also documents them: pass it in ``extend_schema``'s
    ``parameters``."""

    @classmethod
    def read(cls, request, **kwargs) -> dict:
        serializer = cls(data=request.query_params, **kwargs)
        if not serializer.is_valid():
            name, messages = next(iter(serializer.errors.items()))
            raise AtlasAPIError(400, "INVALID_QUERY_PARAMETER", str(messages[0]), [name])
        return serializer.validated_data


class QueryParameter:
    """A field read from the query string as it is; its ``to_internal_value`` refuses with a sentence that names
    the parameter and the value given."""

    def get_value(self, dictionary):
        return dictionary.get(self.field_name, empty)


class WholeNumberParameter(QueryParameter, serializers.IntegerField):
    """A whole number from 1 to ``maximum``; blank is the default."""

    def __init__(self, *, maximum: int, **kwargs):
        self.maximum = maximum
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if data == "":
            return self.get_default()
        try:
            value = int(data)
        except ValueError:
            value = 0
        if not 1 <= value <= self.maximum:
            raise serializers.ValidationError(
                f"{self.field_name} must be a whole number of at least 1 and at most {self.maximum}; got {data!r}."
            )
        return value


class FlagParameter(QueryParameter, serializers.BooleanField):
    """``true`` or ``false`` in any case (clients write ``True`` as Python prints it)."""

    def to_internal_value(self, data):
        if data.lower() not in {"true", "false"}:
            raise serializers.ValidationError(f"{self.field_name} must be true or false; got {data!r}.")
        return data.lower() == "true"


class DateTimeParameter(QueryParameter, serializers.DateTimeField):
    """An ISO 8601 date and time (or a date: midnight), UTC when it names no offset; blank is none."""

    def __init__(self, **kwargs):
        super().__init__(default=None, **kwargs)

    def to_internal_value(self, data):
        if data == "":
            return None
        try:
            value = parse_datetime(data)
        except ValueError:
            value = None
        if value is None:
            hint = " (write + in a query string as %2B)" if " " in data else ""
            raise serializers.ValidationError(
                f"{self.field_name} must be an ISO 8601 date and time such as 2024-05-01T00:00:00Z; "
                f"got {data!r}{hint}."
            )
        try:
            value = timezone.make_aware(value, UTC) if timezone.is_naive(value) else value
            return value.astimezone(UTC)  # an offset that pushes it outside the calendar is refused here
        except (OverflowError, ValueError):
            raise serializers.ValidationError(
                f"{self.field_name} is outside the dates this API handles: {data!r}."
            ) from None


class TextParameter(QueryParameter, serializers.CharField):
    """Text as given (not trimmed); blank is none."""

    def __init__(self, **kwargs):
        super().__init__(default=None, allow_blank=True, trim_whitespace=False, **kwargs)


class ChoiceParameter(QueryParameter, serializers.ChoiceField):
    """One of ``choices``; blank is none."""

    def __init__(self, choices, **kwargs):
        super().__init__(choices, default=None, allow_blank=True, **kwargs)

    def to_internal_value(self, data):
        if data == "":
            return None
        if data not in self.choices:
            raise serializers.ValidationError(
                f"{self.field_name} must be one of {', '.join(self.choices)}; got {data!r}."
            )
        return data


class ChoicesParameter(QueryParameter, serializers.ListField):
    """Any of ``choices``, the parameter repeated for several; none given is all."""

    def __init__(self, choices, **kwargs):
        super().__init__(child=serializers.ChoiceField(choices), default=list, **kwargs)

    def get_value(self, dictionary):
        return dictionary.getlist(self.field_name) if hasattr(dictionary, "getlist") else empty

    def to_internal_value(self, data):
        unknown = sorted(set(data) - set(self.child.choices))
        if unknown:
            raise serializers.ValidationError(f"Unknown {self.field_name} {', '.join(map(repr, unknown))}.")
        return list(data)


class ChoiceParameterSchema(OpenApiSerializerFieldExtension):
    """A choice parameter's schema: its values, sorted, and nothing more (DRF's ChoiceField would also list each
    value beside its label, the same word twice)."""

    target_class = ChoiceParameter

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "string", "enum": sorted(self.target.choices)}


class ChoicesParameterSchema(OpenApiSerializerFieldExtension):
    target_class = ChoicesParameter

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "array", "items": {"type": "string", "enum": sorted(self.target.child.choices)}}

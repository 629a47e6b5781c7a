"""/orgs/{orgId}/events and /groups/{groupId}/events: the audit trail as Atlas's events, newest first."""

from datetime import UTC

from django.urls import path
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from accessportal.api.errors import AtlasAPIError
from accessportal.api.schema import PAGE_PARAMETERS, LinkSerializer, page_of, responses
from accessportal.api.views import AtlasView, self_link
from accounts import selectors
from accounts.audit import event_types
from accounts.errors import not_found
from accounts.models import AuditEvent

# Every registered type: the registry's own list, so that types an app registers after this import count too.
EVENT_TYPES = event_types.names


class EventSerializer(serializers.Serializer):
    """Atlas's EventViewForOrg / EventViewForNdsGroup, for what the audit trail records. Who acted is a person
    (``userId``, ``username``) or an API key (``apiKeyId``, ``publicKey``), never both, as in Atlas; what the
    event is about is ``targetUsername`` (a person), ``targetPublicKey`` (an API key), ``teamId`` or
    ``clusterName``. Fields that do not apply are left out, not null.

    Context: ``request``, ``organization``, ``project`` (None for organization events), ``include_raw``."""

    id = serializers.CharField()
    eventTypeName = serializers.ChoiceField(choices=EVENT_TYPES)  # noqa: N815
    created = serializers.DateTimeField()
    orgId = serializers.CharField()  # noqa: N815
    groupId = serializers.CharField(required=False)  # noqa: N815
    userId = serializers.CharField(required=False)  # noqa: N815
    username = serializers.CharField(required=False)
    apiKeyId = serializers.CharField(required=False)  # noqa: N815
    publicKey = serializers.CharField(required=False)  # noqa: N815
    remoteAddress = serializers.CharField(required=False)  # noqa: N815
    targetUsername = serializers.CharField(required=False)  # noqa: N815
    targetPublicKey = serializers.CharField(required=False)  # noqa: N815
    teamId = serializers.CharField(required=False)  # noqa: N815
    clusterName = serializers.CharField(required=False)  # noqa: N815
    raw = serializers.DictField(required=False, help_text="What the event recorded (with includeRaw=true).")
    links = LinkSerializer(many=True)

    @staticmethod
    def prefetch(events):
        """The acting user and, when the actor is an API key's account, its key: in the page's own query."""
        return events.select_related("actor__api_key")

    def to_representation(self, event):
        organization, project = self.context["organization"], self.context["project"]
        body = {
            "id": event.public_id,
            "eventTypeName": event.event_type,
            "created": serializers.DateTimeField().to_representation(event.created_at),
            "orgId": organization.public_id,
        }
        if project is not None:
            body["groupId"] = project.public_id
        body.update(self._actor(event))
        if event.client_ip:
            body["remoteAddress"] = event.client_ip
        body.update(self._target(event))
        if self.context.get("include_raw"):
            body["raw"] = event.details
        base = f"groups/{project.public_id}" if project is not None else f"orgs/{organization.public_id}"
        body["links"] = self_link(self.context["request"], f"{base}/events/{event.public_id}")
        return body

    @staticmethod
    def _actor(event) -> dict:
        actor = event.actor  # None for the system, or when the account is gone (its email stays on the event)
        api_key = getattr(actor, "api_key", None) if actor is not None else None
        if api_key is not None:
            return {"apiKeyId": api_key.public_id, "publicKey": api_key.public_key}
        fields = {"userId": actor.public_id} if actor is not None else {}
        if event.actor_email:
            fields["username"] = event.actor_email
        return fields

    @staticmethod
    def _target(event) -> dict:
        if event.target_type == "user" and event.target_name:
            return {"targetUsername": event.target_name}
        details = event.details if isinstance(event.details, dict) else {}
        if event.target_type == "api_key" and details.get("publicKey"):
            return {"targetPublicKey": details["publicKey"]}
        if event.target_type == "team" and event.target_id:
            return {"teamId": event.target_id}
        if event.target_type == "cluster" and event.target_name:
            return {"clusterName": event.target_name}
        return {}


FILTER_PARAMETERS = [
    OpenApiParameter(
        "eventType",
        str,
        many=True,
        enum=EVENT_TYPES,
        description="Only events of these types (repeat the parameter for several).",
    ),
    OpenApiParameter(
        "minDate", OpenApiTypes.DATETIME, description="Only events at or after this time (ISO 8601, UTC)."
    ),
    OpenApiParameter(
        "maxDate", OpenApiTypes.DATETIME, description="Only events at or before this time (ISO 8601, UTC)."
    ),
    OpenApiParameter("includeRaw", bool, default=False, description="Include what each event recorded."),
]
RAW_PARAMETER = FILTER_PARAMETERS[-1]


def _bad_parameter(name, message):
    return AtlasAPIError(400, "INVALID_QUERY_PARAMETER", message, [name])


def _date(request, name):
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = parse_datetime(raw)
    except ValueError:
        value = None
    if value is None:
        hint = " (write + in a query string as %2B)" if " " in raw else ""
        raise _bad_parameter(
            name, f"{name} must be an ISO 8601 date and time such as 2024-05-01T00:00:00Z; got {raw!r}{hint}."
        )
    try:
        value = timezone.make_aware(value, UTC) if timezone.is_naive(value) else value
        return value.astimezone(UTC)  # an offset that pushes it outside the calendar is refused here
    except (OverflowError, ValueError):
        raise _bad_parameter(name, f"{name} is outside the dates this API handles: {raw!r}.") from None


def _include_raw(request) -> bool:
    raw = request.query_params.get("includeRaw", "false").lower()
    if raw not in {"true", "false"}:
        raise _bad_parameter("includeRaw", f"includeRaw must be true or false; got {raw!r}.")
    return raw == "true"


def _filtered(request, events):
    """``events`` narrowed by eventType, minDate and maxDate; an unknown type or a bad date is a 400 naming it."""
    types = request.query_params.getlist("eventType")
    unknown = sorted(set(types) - set(EVENT_TYPES))
    if unknown:
        raise _bad_parameter("eventType", f"Unknown eventType {', '.join(map(repr, unknown))}.")
    if types:
        events = events.filter(event_type__in=types)
    min_date, max_date = _date(request, "minDate"), _date(request, "maxDate")
    if min_date and max_date and min_date > max_date:
        raise _bad_parameter("minDate", "minDate is later than maxDate.")
    if min_date:
        events = events.filter(created_at__gte=min_date)
    if max_date:
        events = events.filter(created_at__lte=max_date)
    return events


def _organization_events(organization):
    """The organization's own events; a project's are under /groups/{groupId}/events, for who may read it."""
    return AuditEvent.objects.filter(organization=organization, project__isnull=True)


def _project_events(project):
    return AuditEvent.objects.filter(project=project)


class EventsView(AtlasView):
    """What the organization and project event endpoints share, given the events the caller may read."""

    def list_events(self, request, events, *, organization, project=None):
        events = EventSerializer.prefetch(_filtered(request, events)).order_by("-created_at", "-id")
        context = self._context(request, organization, project)
        return self.page(events, lambda page: EventSerializer(page, many=True, context=context).data)

    def one_event(self, request, events, event_id, *, organization, project=None):
        event = EventSerializer.prefetch(events).filter(public_id=event_id).first()
        if event is None:
            raise not_found("event", event_id)
        return Response(EventSerializer(event, context=self._context(request, organization, project)).data)

    @staticmethod
    def _context(request, organization, project) -> dict:
        return {
            "request": request,
            "organization": organization,
            "project": project,
            "include_raw": _include_raw(request),
        }


class OrganizationEventListView(EventsView):
    @extend_schema(
        operation_id="listOrganizationEvents",
        parameters=[*PAGE_PARAMETERS, *FILTER_PARAMETERS],
        responses=responses({200: page_of(EventSerializer, "OrganizationEvents")}),
    )
    def get(self, request, org_id):
        organization = selectors.access_organization(actor=request.user, organization_id=org_id)
        return self.list_events(request, _organization_events(organization), organization=organization)


class OrganizationEventDetailView(EventsView):
    @extend_schema(
        operation_id="getOrganizationEvent",
        parameters=[RAW_PARAMETER],
        responses=responses({200: EventSerializer}),
    )
    def get(self, request, org_id, event_id):
        organization = selectors.access_organization(actor=request.user, organization_id=org_id)
        return self.one_event(
            request, _organization_events(organization), event_id, organization=organization
        )


class ProjectEventListView(EventsView):
    @extend_schema(
        operation_id="listProjectEvents",
        parameters=[*PAGE_PARAMETERS, *FILTER_PARAMETERS],
        responses=responses({200: page_of(EventSerializer, "GroupEvents")}),
    )
    def get(self, request, group_id):
        project = selectors.access_project(actor=request.user, project_id=group_id)
        return self.list_events(
            request, _project_events(project), organization=project.organization, project=project
        )


class ProjectEventDetailView(EventsView):
    @extend_schema(
        operation_id="getProjectEvent",
        parameters=[RAW_PARAMETER],
        responses=responses({200: EventSerializer}),
    )
    def get(self, request, group_id, event_id):
        project = selectors.access_project(actor=request.user, project_id=group_id)
        return self.one_event(
            request, _project_events(project), event_id, organization=project.organization, project=project
        )


urlpatterns = [
    path("orgs/<str:org_id>/events", OrganizationEventListView.as_view(), name="org-events"),
    path("orgs/<str:org_id>/events/<str:event_id>", OrganizationEventDetailView.as_view(), name="org-event"),
    path("groups/<str:group_id>/events", ProjectEventListView.as_view(), name="group-events"),
    path("groups/<str:group_id>/events/<str:event_id>", ProjectEventDetailView.as_view(), name="group-event"),
]

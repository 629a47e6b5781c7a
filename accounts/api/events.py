"""/orgs/{orgId}/events and /groups/{groupId}/events: the audit trail as Atlas's events, newest first."""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from accessportal.api.query import (
    ChoicesParameter,
    DateTimeParameter,
    FlagParameter,
    QueryParameters,
)
from accessportal.api.schema import LinkSerializer, responses
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
    eventTypeName = serializers.ChoiceField(choices=EVENT_TYPES)
    created = serializers.DateTimeField()
    orgId = serializers.CharField()
    groupId = serializers.CharField(required=False)
    userId = serializers.CharField(required=False)
    username = serializers.CharField(required=False)
    apiKeyId = serializers.CharField(required=False)
    publicKey = serializers.CharField(required=False)
    remoteAddress = serializers.CharField(required=False)
    targetUsername = serializers.CharField(required=False)
    targetPublicKey = serializers.CharField(required=False)
    teamId = serializers.CharField(required=False)
    clusterName = serializers.CharField(required=False)
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


class EventFilters(QueryParameters):
    """Which events a list shows; an unknown type or a bad date is a 400 naming it."""

    eventType = ChoicesParameter(
        sorted(EVENT_TYPES), help_text="Only events of these types (repeat the parameter for several)."
    )
    minDate = DateTimeParameter(help_text="Only events at or after this time (ISO 8601, UTC).")
    maxDate = DateTimeParameter(help_text="Only events at or before this time (ISO 8601, UTC).")

    def validate(self, attrs):
        if attrs["minDate"] and attrs["maxDate"] and attrs["minDate"] > attrs["maxDate"]:
            raise serializers.ValidationError({"minDate": "minDate is later than maxDate."})
        return attrs

    @staticmethod
    def apply(filters, events):
        if filters["eventType"]:
            events = events.filter(event_type__in=filters["eventType"])
        if filters["minDate"]:
            events = events.filter(created_at__gte=filters["minDate"])
        if filters["maxDate"]:
            events = events.filter(created_at__lte=filters["maxDate"])
        return events


class EventContent(QueryParameters):
    """What each event shows, in a list and alone."""

    includeRaw = FlagParameter(default=False, help_text="Include what each event recorded.")


def _organization_events(organization):
    """The organization's own events; a project's are under /groups/{groupId}/events, for who may read it."""
    return AuditEvent.objects.filter(organization=organization, project__isnull=True)


def _project_events(project):
    return AuditEvent.objects.filter(project=project)


class EventsView(AtlasView):
    """What the organization and project event endpoints share, given the events the caller may read."""

    def list_events(self, request, events, *, organization, project=None):
        events = EventFilters.apply(EventFilters.read(request), events)
        events = EventSerializer.prefetch(events).order_by("-created_at", "-id")
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
            "include_raw": EventContent.read(request)["includeRaw"],
        }


class OrganizationEventListView(EventsView):
    @extend_schema(
        operation_id="listOrganizationEvents",
        parameters=[EventFilters, EventContent],
        responses=responses({200: EventSerializer(many=True)}),
    )
    def get(self, request, org_id):
        organization = selectors.access_organization(actor=request.user, organization_id=org_id)
        return self.list_events(request, _organization_events(organization), organization=organization)


class OrganizationEventDetailView(EventsView):
    @extend_schema(
        operation_id="getOrganizationEvent",
        parameters=[EventContent],
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
        parameters=[EventFilters, EventContent],
        responses=responses({200: EventSerializer(many=True)}),
    )
    def get(self, request, group_id):
        project = selectors.access_project(actor=request.user, project_id=group_id)
        return self.list_events(
            request, _project_events(project), organization=project.organization, project=project
        )


class ProjectEventDetailView(EventsView):
    @extend_schema(
        operation_id="getProjectEvent",
        parameters=[EventContent],
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

"""/groups (projects): serializer shared with /orgs/{orgId}/groups. Views: filled in by the groups change."""

from django.db.models import Count
from rest_framework import serializers

from accessportal.api.views import self_link


class GroupSerializer(serializers.Serializer):
    id = serializers.CharField(source="public_id", read_only=True)
    name = serializers.CharField(read_only=True)
    orgId = serializers.CharField(source="organization.public_id", read_only=True)  # noqa: N815
    clusterCount = serializers.IntegerField(source="cluster_count", read_only=True)  # noqa: N815
    created = serializers.DateTimeField(source="created_at", read_only=True)
    links = serializers.SerializerMethodField()

    @staticmethod
    def prefetch(projects):
        """What serializing a page of projects needs, in the page's own queries."""
        return projects.select_related("organization").annotate(cluster_count=Count("clusters"))

    def get_links(self, project) -> list[dict]:
        return self_link(self.context["request"], f"groups/{project.public_id}")


urlpatterns = []

"""/groups/{groupId}/clusters: a project's clusters, described with the part of Atlas's ClusterDescription
that exists here; /clusters: every cluster the caller may see, by project (what Atlas's newer clients read
first); /groups/{groupId}/flexClusters: none here, an empty page rather than a 404."""

import copy
from collections.abc import Callable
from dataclasses import dataclass

from django.urls import path, re_path
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response

from accessportal.api.schema import PAGE_PARAMETERS, page_of, responses
from accessportal.api.views import AtlasView, self_link
from accounts import selectors
from accounts.models import Cluster


@dataclass(frozen=True)
class ClusterExtras:
    """What an app built on accounts adds to a cluster's JSON without accounts knowing it (support adds the
    grant in force of its staff): ``fields`` are the serializer fields it adds, by name, declared not
    required so that the schema says they may be absent; ``prefetch(queryset) -> queryset`` loads what they
    need for a page of clusters in a constant number of queries; ``represent(cluster) -> dict`` gives one
    cluster's values by field name, leaving out those it has none of (the field is then absent)."""

    fields: dict[str, serializers.Field]
    prefetch: Callable
    represent: Callable


# Registered from the apps' AppConfig.ready() (explicit calls, in order, rather than Django signals).
CLUSTER_EXTRAS: list[ClusterExtras] = []


def register_cluster_extras(extras: ClusterExtras) -> ClusterExtras:
    if extras not in CLUSTER_EXTRAS:
        CLUSTER_EXTRAS.append(extras)
    return extras


class HardwareSpecSerializer(serializers.Serializer):
    instanceSize = serializers.CharField(read_only=True)  # noqa: N815
    nodeCount = serializers.IntegerField(read_only=True)  # noqa: N815


class RegionConfigSerializer(serializers.Serializer):
    """One region of a replication spec, as Atlas writes it: a sandbox or shared cluster runs on Atlas's
    TENANT provider, backed by the cloud provider it lives on."""

    providerName = serializers.CharField(read_only=True)  # noqa: N815
    # Present for TENANT only; not read_only, so that the schema says it may be absent (output only).
    backingProviderName = serializers.CharField(required=False)  # noqa: N815
    regionName = serializers.CharField(read_only=True)  # noqa: N815
    priority = serializers.IntegerField(read_only=True)
    electableSpecs = HardwareSpecSerializer(read_only=True)  # noqa: N815


class ReplicationSpecSerializer(serializers.Serializer):
    """Every cluster here is one replica set in one region: one spec, one region config."""

    id = serializers.CharField(read_only=True)
    zoneName = serializers.CharField(read_only=True)  # noqa: N815
    regionConfigs = RegionConfigSerializer(many=True, read_only=True)  # noqa: N815

    def to_representation(self, cluster):
        tenant = cluster.tier != Cluster.Tier.DEDICATED
        region = {
            "providerName": "TENANT" if tenant else cluster.provider_name,
            "regionName": cluster.region_name,
            "priority": 7,
            "electableSpecs": {
                "instanceSize": cluster.effective_instance_size,
                "nodeCount": 1 if cluster.tier == Cluster.Tier.SHARED else 3,
            },
        }
        if tenant:
            region["backingProviderName"] = cluster.provider_name
        return {"id": cluster.public_id, "zoneName": "Zone 1", "regionConfigs": [region]}


class ConnectionStringsSerializer(serializers.Serializer):
    """Where clients connect: made from the cluster's name and id (this portal runs no database itself)."""

    standard = serializers.CharField(read_only=True)
    standardSrv = serializers.CharField(read_only=True)  # noqa: N815

    def to_representation(self, cluster):
        name, host = cluster.name.lower(), cluster.public_id[:6]
        nodes = ",".join(f"{name}-shard-00-0{i}.{host}.mongodb.net:27017" for i in range(3))
        return {
            "standard": f"mongodb://{nodes}/?ssl=true&authSource=admin&replicaSet=atlas-{host}-shard-0",
            "standardSrv": f"mongodb+srv://{name}.{host}.mongodb.net",
        }


class ClusterSerializer(serializers.Serializer):
    """Atlas's ClusterDescription, the fields this portal has. Every cluster here is a replica set and, as far
    as access is concerned, always IDLE. ``tier`` is ours: Atlas spreads the plan over replicationSpecs and
    instance sizes; here it is SANDBOX (Atlas's "M0 Sandbox", free), SHARED (shared single-node) or DEDICATED,
    the three words Atlas's own plans use, and what monitoring eligibility depends on."""

    id = serializers.CharField(source="public_id", read_only=True)
    name = serializers.CharField(read_only=True)
    groupId = serializers.CharField(source="project.public_id", read_only=True)  # noqa: N815
    clusterType = serializers.SerializerMethodField()  # noqa: N815
    stateName = serializers.SerializerMethodField()  # noqa: N815
    tier = serializers.ChoiceField(choices=Cluster.Tier.values, read_only=True)
    paused = serializers.BooleanField(read_only=True)
    mongoDBVersion = serializers.CharField(source="mongodb_version", read_only=True)  # noqa: N815
    mongoDBMajorVersion = serializers.CharField(source="mongodb_version", read_only=True)  # noqa: N815
    replicationSpecs = serializers.SerializerMethodField()  # noqa: N815
    connectionStrings = ConnectionStringsSerializer(read_only=True, source="*")  # noqa: N815
    createDate = serializers.DateTimeField(source="created_at", read_only=True)  # noqa: N815
    # (the registered extras' fields stand here, before the links)
    links = serializers.SerializerMethodField()

    @staticmethod
    def prefetch(clusters):
        """What serializing a page of clusters needs, in the page's own queries (and the registered extras')."""
        clusters = clusters.select_related("project")
        for extras in CLUSTER_EXTRAS:
            clusters = extras.prefetch(clusters)
        return clusters

    def get_clusterType(self, cluster) -> str:  # noqa: N802
        return "REPLICASET"

    @extend_schema_field(ReplicationSpecSerializer(many=True))
    def get_replicationSpecs(self, cluster) -> list[dict]:  # noqa: N802
        return [ReplicationSpecSerializer(cluster).data]

    def get_stateName(self, cluster) -> str:  # noqa: N802
        return "IDLE"  # paused or not: no operation is ever running here

    def get_links(self, cluster) -> list[dict]:
        return self_link(
            self.context["request"], f"groups/{cluster.project.public_id}/clusters/{cluster.name}"
        )

    def get_fields(self):
        """The declared fields and the registered extras' (a copy each, as DRF does), the links last."""
        fields = super().get_fields()
        links = fields.pop("links")
        for extras in CLUSTER_EXTRAS:
            fields.update({name: copy.deepcopy(field) for name, field in extras.fields.items()})
        fields["links"] = links
        return fields

    def to_representation(self, cluster):
        body = super().to_representation(
            cluster
        )  # the extras' fields are skipped: clusters have no such attribute
        for extras in CLUSTER_EXTRAS:
            for name, value in extras.represent(cluster).items():
                body[name] = self.fields[name].to_representation(value)
        return body


class ClusterListView(AtlasView):
    @extend_schema(
        operation_id="listClusters",
        parameters=PAGE_PARAMETERS,
        responses=responses({200: page_of(ClusterSerializer, "Clusters")}),
    )
    def get(self, request, group_id):
        project = selectors.access_project(actor=request.user, project_id=group_id)
        clusters = ClusterSerializer.prefetch(project.clusters.order_by("name", "pk"))
        return self.page(
            clusters, lambda page: ClusterSerializer(page, many=True, context={"request": request}).data
        )


class ClusterDetailView(AtlasView):
    @extend_schema(operation_id="getCluster", responses=responses({200: ClusterSerializer}))
    def get(self, request, group_id, cluster_name):
        project = selectors.access_project(actor=request.user, project_id=group_id)
        cluster = selectors.access_cluster(actor=request.user, project=project, name=cluster_name)
        return Response(ClusterSerializer(cluster, context={"request": request}).data)


class CloudClusterSerializer(serializers.Serializer):
    """Atlas's CloudCluster (in the all-clusters list), the fields this portal has."""

    clusterId = serializers.CharField(source="public_id", read_only=True)  # noqa: N815
    name = serializers.CharField(read_only=True)
    type = serializers.SerializerMethodField()

    def get_type(self, cluster) -> str:
        return "REPLICA_SET"


class OrgGroupSerializer(serializers.Serializer):
    """Atlas's OrgGroup: a project the caller may see, its organization and its clusters (prefetched)."""

    groupId = serializers.CharField(source="public_id", read_only=True)  # noqa: N815
    groupName = serializers.CharField(source="name", read_only=True)  # noqa: N815
    orgId = serializers.CharField(source="organization.public_id", read_only=True)  # noqa: N815
    orgName = serializers.CharField(source="organization.name", read_only=True)  # noqa: N815
    clusters = CloudClusterSerializer(many=True, read_only=True, source="page_clusters")


class AllClustersView(AtlasView):
    @extend_schema(
        operation_id="listClusterDetails",
        parameters=PAGE_PARAMETERS,
        responses=responses({200: page_of(OrgGroupSerializer, "OrgGroups")}),
    )
    def get(self, request):
        """Every project the caller may see (a page of them), each with its clusters: three queries a page."""
        projects = selectors.projects_for_user(request.user).order_by("name", "pk")
        return self.page(projects.select_related("organization"), self._serialize)

    @staticmethod
    def _serialize(page):
        by_project = {}
        for cluster in Cluster.objects.filter(project__in=page).order_by("name", "pk"):
            by_project.setdefault(cluster.project_id, []).append(cluster)
        for project in page:
            project.page_clusters = by_project.get(project.pk, [])
        return OrgGroupSerializer(page, many=True).data


class FlexClusterListView(AtlasView):
    @extend_schema(
        operation_id="listFlexClusters",
        parameters=PAGE_PARAMETERS,
        responses=responses({200: page_of(ClusterSerializer, "FlexClusters")}),
    )
    def get(self, request, group_id):
        """Flex clusters do not exist here: a project the caller may see has none (an empty page, not a 404)."""
        selectors.access_project(actor=request.user, project_id=group_id)
        return self.page([], lambda page: [])


urlpatterns = [
    path("clusters", AllClustersView.as_view(), name="all-clusters"),
    path("groups/<str:group_id>/flexClusters", FlexClusterListView.as_view(), name="flex-clusters"),
    path("groups/<str:group_id>/clusters", ClusterListView.as_view(), name="clusters"),
    # A cluster name never holds a colon, so Atlas's actions (``{clusterName}:grantMongoDBEmployeeAccess``) can
    # have routes of their own wherever they are listed.
    re_path(
        r"^groups/(?P<group_id>[^/]+)/clusters/(?P<cluster_name>[^/:]+)$",
        ClusterDetailView.as_view(),
        name="cluster",
    ),
]

from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "support"
    verbose_name = "Support access"

    def ready(self):
        """Plug into accounts without accounts knowing this app: its audit event types, the error codes' HTTP
        statuses, the cluster
        change hook (a deleted cluster's grant ends), the cluster JSON's ``mongoDBEmployeeAccessGrant``, and the
        Settings tab of an organization's pages and the Clusters tab of a project's."""
        from accounts import roles
        from accounts.api.clusters import ClusterExtras, register_cluster_extras
        from accounts.errors import STATUS_BY_CODE
        from accounts.services.clusters import register_cluster_change_hook
        from accounts.views.pages import ORGANIZATION, PROJECT, Tab, register_tab

        from . import selectors
        from .api.serializers import CLUSTER_FIELDS, employee_access_grant_json
        from .audit import register_event_types
        from .errors import STATUS_BY_CODE as SUPPORT_STATUS_BY_CODE
        from .services import support_grants_end_with_cluster

        register_event_types()
        STATUS_BY_CODE.update(SUPPORT_STATUS_BY_CODE)
        register_cluster_change_hook(support_grants_end_with_cluster)
        register_cluster_extras(
            ClusterExtras(
                fields=CLUSTER_FIELDS,
                prefetch=selectors.clusters_with_active_grant,
                represent=employee_access_grant_json,
            )
        )
        register_tab(PROJECT, Tab("clusters", "Clusters", "support:project_clusters", roles.VIEW_PROJECT))
        register_tab(
            ORGANIZATION,
            Tab("settings", "Settings", "support:organization_settings", roles.VIEW_ORGANIZATION),
        )

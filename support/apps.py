from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "support"
    verbose_name = "Support access"

    def ready(self):
        """Plug into accounts without accounts knowing this app: the error codes' HTTP statuses, the cluster
        change hook (a deleted cluster's grant ends), and the cluster JSON's ``mongoDBEmployeeAccessGrant``."""
        from accounts.api.clusters import ClusterExtras, register_cluster_extras
        from accounts.errors import STATUS_BY_CODE
        from accounts.services.clusters import register_cluster_change_hook

        from . import selectors
        from .api.serializers import employee_access_grant_json
        from .errors import STATUS_BY_CODE as SUPPORT_STATUS_BY_CODE
        from .services import support_grants_end_with_cluster

        STATUS_BY_CODE.update(SUPPORT_STATUS_BY_CODE)
        register_cluster_change_hook(support_grants_end_with_cluster)
        register_cluster_extras(
            ClusterExtras(
                prefetch=selectors.clusters_with_active_grant,
                employee_access_grant=employee_access_grant_json,
            )
        )

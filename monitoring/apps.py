from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = "Monitoring (MMS)"

    def ready(self):
        from accounts import roles
        from accounts.errors import STATUS_BY_CODE
        from accounts.services.clusters import register_cluster_change_hook
        from accounts.views.pages import ORGANIZATION, PROJECT, Tab, register_tab

        from .audit import register_event_types
        from .errors import STATUS_BY_CODE as MONITORING_CODES
        from .services.groups import cluster_changed

        STATUS_BY_CODE.update(MONITORING_CODES)
        register_event_types()
        # Groups follow clusters: created with an eligible cluster, gone with it or with its eligibility.
        register_cluster_change_hook(cluster_changed)
        # The Monitoring tab of an organization's pages and of a project's.
        register_tab(
            ORGANIZATION, Tab("monitoring", "Monitoring", "monitoring:organization", roles.VIEW_ORGANIZATION)
        )
        register_tab(PROJECT, Tab("monitoring", "Monitoring", "monitoring:project", roles.VIEW_PROJECT))

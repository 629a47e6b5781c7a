from django.apps import AppConfig


class ServiceAccountsConfig(AppConfig):
    name = "serviceaccounts"
    verbose_name = "Service accounts"

    def ready(self):
        """Plug into accounts without accounts knowing this app: its audit event types, the error codes' HTTP
        statuses, and
        ``manage.py bootstrap --service-account``, and the service accounts' list on the API Keys tab."""
        from accounts.errors import STATUS_BY_CODE
        from accounts.management.commands.bootstrap import register_service_account_maker
        from accounts.views.api_keys import register_api_keys_section

        from .audit import register_event_types
        from .errors import STATUS_BY_CODE as SERVICE_ACCOUNT_STATUS_BY_CODE
        from .services.accounts import service_account_bootstrap
        from .views import api_keys_section

        register_event_types()
        STATUS_BY_CODE.update(SERVICE_ACCOUNT_STATUS_BY_CODE)
        register_service_account_maker(service_account_bootstrap)
        register_api_keys_section(api_keys_section)

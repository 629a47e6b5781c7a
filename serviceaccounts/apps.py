from django.apps import AppConfig


class ServiceAccountsConfig(AppConfig):
    name = "serviceaccounts"
    verbose_name = "Service accounts"

    def ready(self):
        """Plug into accounts without accounts knowing this app: the error codes' HTTP statuses."""
        from accounts.errors import STATUS_BY_CODE

        from .errors import STATUS_BY_CODE as SERVICE_ACCOUNT_STATUS_BY_CODE

        STATUS_BY_CODE.update(SERVICE_ACCOUNT_STATUS_BY_CODE)

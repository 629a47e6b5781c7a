from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Tenancy and people"

    def ready(self):
        from . import webhooks  # noqa: F401 (connects the ESP tracking receiver)
        from .audit import register_accounts_event_types
        from .signin import receivers  # noqa: F401 (audit hooks on allauth's and axes' signals)

        register_accounts_event_types()

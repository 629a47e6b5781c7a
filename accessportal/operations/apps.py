"""The operations app: its management command (``health``) and the receivers that shape request logs."""

from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "accessportal.operations"
    label = "operations"
    verbose_name = "Operations"

    def ready(self):
        from . import logs

        logs.connect_request_log_receivers()

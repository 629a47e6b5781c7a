"""Receives anymail's tracking events (the ESP's webhooks, at /anymail/<esp>/tracking/) and hands each to the
email service. The library delivers them as a Django signal; the receiver holds no logic of its own."""

from anymail.signals import tracking
from django.dispatch import receiver

from .services.emails import email_tracking_event_record


@receiver(tracking, dispatch_uid="accounts.email_tracking")
def on_tracking_event(sender, event, esp_name, **kwargs):
    email_tracking_event_record(event=event)

"""No tables: only the staff console's own model-wide permissions, which the staff roles carry."""

from django.db import models


class StaffConsole(models.Model):
    """A model without a table, so that the console's permissions have a home (``staff.export_records``)."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("export_records", "Export lists as CSV (audit events, decisions, memberships, API keys)")
        ]

    def __str__(self):
        return "staff console"

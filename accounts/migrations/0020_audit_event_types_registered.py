"""The last migration for an audit event type: AuditEvent.event_type loses its choices, since each app now
registers its own types (accounts.audit.event_types) and the service that writes the rows checks them. No SQL."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0019_api_key_disabled"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="event_type",
            field=models.CharField(help_text="A registered type (accounts.audit.event_types).", max_length=64),
        ),
    ]

"""OutboundEmail.tracking_id: a random id for the ESP's tracking events (existing rows get one each)."""

import secrets

from django.db import migrations, models

import accounts.models.emails

HELP = "Sent to the ESP as metadata; a tracking event must carry it and the ESP's message id."


def fill(apps, schema_editor):
    OutboundEmail = apps.get_model("accounts", "OutboundEmail")
    rows = list(OutboundEmail.objects.filter(tracking_id__isnull=True).only("pk"))
    for row in rows:
        row.tracking_id = secrets.token_hex(16)
    OutboundEmail.objects.bulk_update(rows, ["tracking_id"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0010_signin_two_factor_lockout"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboundemail",
            name="tracking_id",
            field=models.CharField(editable=False, help_text=HELP, max_length=32, null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="outboundemail",
            name="tracking_id",
            field=models.CharField(
                default=accounts.models.emails.new_tracking_id,
                editable=False,
                help_text=HELP,
                max_length=32,
                unique=True,
            ),
        ),
    ]

"""Fewer indexes to write when the expiry job marks thousands of grants at once: the due index holds only
active grants, the rows the job looks for (an expired grant leaves it), and the public id loses its unused
pattern-matching twin on PostgreSQL."""

from django.db import migrations, models

from accessportal.migration_operations import drop_pattern_indexes


class Migration(migrations.Migration):
    dependencies = [("support", "0005_support_group")]

    operations = [
        migrations.RemoveIndex(model_name="supportaccessgrant", name="support_grant_due"),
        migrations.AddIndex(
            model_name="supportaccessgrant",
            index=models.Index(
                fields=["expires_at"], condition=models.Q(status="ACTIVE"), name="support_grant_active_due"
            ),
        ),
        drop_pattern_indexes("support", "supportaccessgrant", "public_id"),
        drop_pattern_indexes("support", "supportaccessdecision", "public_id"),
    ]

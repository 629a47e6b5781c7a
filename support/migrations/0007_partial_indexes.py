"""The grant's revoker and its replacement, empty on most rows, index only the rows that have them: two index
entries the expiry job's UPDATE no longer writes for each grant. ``replaced_by`` becomes a foreign key unique
where set (it was a one-to-one field, whose unique index held every empty row too); its reverse accessor was
never used. The revoker's index is dropped without rebuilding the table (``drop_foreign_key_indexes``)."""

from django.conf import settings
from django.db import migrations, models

from accessportal.migration_operations import drop_foreign_key_indexes


class Migration(migrations.Migration):
    dependencies = [
        ("support", "0006_bulk_write_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="supportaccessgrant",
            name="replaced_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=models.deletion.SET_NULL,
                related_name="+",
                to="support.supportaccessgrant",
            ),
        ),
        migrations.AddConstraint(
            model_name="supportaccessgrant",
            constraint=models.UniqueConstraint(
                condition=models.Q(replaced_by__isnull=False),
                fields=["replaced_by"],
                name="support_grant_replaced_once",
            ),
        ),
        drop_foreign_key_indexes(
            "support",
            "supportaccessgrant",
            (
                "revoked_by",
                models.ForeignKey(
                    blank=True,
                    db_index=False,
                    null=True,
                    on_delete=models.deletion.SET_NULL,
                    related_name="+",
                    to=settings.AUTH_USER_MODEL,
                ),
            ),
        ),
        migrations.AddIndex(
            model_name="supportaccessgrant",
            index=models.Index(
                condition=models.Q(revoked_by__isnull=False), fields=["revoked_by"], name="support_grant_revoked_by"
            ),
        ),
    ]

"""Fewer indexes to write on the tables the bulk jobs write: audit events (every job inserts one a row),
invitations (expiry updates thousands at once). The audit event's organization and project indexes are the
first column of the two "newest first" indexes, which serve every lookup by either; the expiry index holds
only pending invitations, the rows the job looks for (an expired row then leaves it instead of being written
into it again); public ids and token hashes lose their unused pattern-matching twins on PostgreSQL."""

from django.db import migrations, models

from accessportal.migration_operations import drop_foreign_key_indexes, drop_pattern_indexes


class Migration(migrations.Migration):
    dependencies = [("accounts", "0020_audit_event_types_registered")]

    operations = [
        drop_foreign_key_indexes(
            "accounts",
            "auditevent",
            (
                "organization",
                models.ForeignKey(
                    blank=True,
                    db_constraint=False,
                    db_index=False,
                    null=True,
                    on_delete=models.deletion.DO_NOTHING,
                    related_name="+",
                    to="accounts.organization",
                ),
            ),
            (
                "project",
                models.ForeignKey(
                    blank=True,
                    db_constraint=False,
                    db_index=False,
                    null=True,
                    on_delete=models.deletion.DO_NOTHING,
                    related_name="+",
                    to="accounts.project",
                ),
            ),
        ),
        migrations.RemoveIndex(model_name="invitation", name="accounts_invitation_expiry"),
        migrations.AddIndex(
            model_name="invitation",
            index=models.Index(
                fields=["expires_at"],
                condition=models.Q(status="PENDING"),
                name="accounts_invitation_due",
            ),
        ),
        drop_pattern_indexes("accounts", "auditevent", "public_id"),
        drop_pattern_indexes("accounts", "invitation", "public_id", "token_hash"),
        drop_pattern_indexes("accounts", "outboundemail", "tracking_id", "esp_message_id"),
    ]

"""Foreign keys empty on most rows index only the rows that have them: the audit event's actor (the system's
rows, which the bulk jobs write by the thousand, have none), an invitation's project (empty for invitations to
the organization) and the person who accepted it (empty until then). Each is an index entry every INSERT, and
every UPDATE the expiry job makes, no longer writes. The indexes are dropped without ``AlterField``, which would
rebuild a SQLite table and lose the audit trail's append-only trigger (see ``drop_foreign_key_indexes``)."""

from django.conf import settings
from django.db import migrations, models

from accessportal.migration_operations import drop_foreign_key_indexes


class Migration(migrations.Migration):
    dependencies = [("accounts", "0022_organization_role_groups")]

    operations = [
        drop_foreign_key_indexes(
            "accounts",
            "auditevent",
            (
                "actor",
                models.ForeignKey(
                    blank=True,
                    db_constraint=False,
                    db_index=False,
                    null=True,
                    on_delete=models.deletion.DO_NOTHING,
                    related_name="+",
                    to=settings.AUTH_USER_MODEL,
                ),
            ),
        ),
        drop_foreign_key_indexes(
            "accounts",
            "invitation",
            (
                "accepted_by",
                models.ForeignKey(
                    blank=True,
                    db_index=False,
                    null=True,
                    on_delete=models.deletion.SET_NULL,
                    related_name="+",
                    to=settings.AUTH_USER_MODEL,
                ),
            ),
            (
                "project",
                models.ForeignKey(
                    blank=True,
                    db_index=False,
                    help_text="Set for an invitation to a project; empty for one to the organization.",
                    null=True,
                    on_delete=models.deletion.CASCADE,
                    related_name="invitations",
                    to="accounts.project",
                ),
            ),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(
                condition=models.Q(actor__isnull=False), fields=["actor"], name="accounts_audit_actor"
            ),
        ),
        migrations.AddIndex(
            model_name="invitation",
            index=models.Index(
                condition=models.Q(project__isnull=False), fields=["project"], name="accounts_invitation_project"
            ),
        ),
        migrations.AddIndex(
            model_name="invitation",
            index=models.Index(
                condition=models.Q(accepted_by__isnull=False),
                fields=["accepted_by"],
                name="accounts_invitation_accepter",
            ),
        ),
    ]

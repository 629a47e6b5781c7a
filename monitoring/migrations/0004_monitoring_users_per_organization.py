# Monitoring users become each organization's own records (naming one never reveals another organization's), and
# custom group names are unique within their project rather than across every tenant.

import django.db.models.deletion
import django.db.models.functions.text
from django.db import migrations, models

from accounts.models.tenancy import new_public_id


def split_per_organization(apps, schema_editor):
    """Give every monitoring user the organization it is used in. One used in several organizations (attached,
    or in their groups) is copied, one record per further organization, and that organization's attachments and
    group memberships move to its copy. A record used nowhere reaches nothing and is deleted."""
    MonitoringUser = apps.get_model("monitoring", "MonitoringUser")
    Attachment = apps.get_model("monitoring", "MonitoringUserAttachment")
    Membership = apps.get_model("monitoring", "MonitoringGroupMembership")
    for user in MonitoringUser.objects.order_by("pk"):
        organization_ids = set(
            Attachment.objects.filter(monitoring_user=user).values_list("organization_id", flat=True)
        ) | set(
            Membership.objects.filter(monitoring_user=user).values_list(
                "group__project__organization_id", flat=True
            )
        )
        if not organization_ids:
            user.delete()
            continue
        first, *others = sorted(organization_ids)
        user.organization_id = first
        user.save(update_fields=["organization"])
        for organization_id in others:
            copy = MonitoringUser.objects.create(
                public_id=new_public_id(),
                organization_id=organization_id,
                username=user.username,
                email=user.email,
                created_at=user.created_at,
            )
            Attachment.objects.filter(monitoring_user=user, organization_id=organization_id).update(
                monitoring_user=copy
            )
            Membership.objects.filter(
                monitoring_user=user, group__project__organization_id=organization_id
            ).update(monitoring_user=copy)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0009_organization_api_access_list_required"),
        ("monitoring", "0003_beat_schedule"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="monitoringgroup", name="monitoring_group_name_unique_ci"),
        migrations.RemoveConstraint(model_name="monitoringuser", name="monitoring_user_username_unique_ci"),
        migrations.RemoveConstraint(model_name="monitoringuser", name="monitoring_user_email_unique_ci"),
        migrations.AddField(
            model_name="monitoringuser",
            name="organization",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="monitoring_users",
                to="accounts.organization",
            ),
        ),
        migrations.RunPython(split_per_organization, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="monitoringuser",
            name="organization",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="monitoring_users",
                to="accounts.organization",
            ),
        ),
        migrations.AddConstraint(
            model_name="monitoringgroup",
            constraint=models.UniqueConstraint(
                models.F("project"),
                django.db.models.functions.text.Lower("name"),
                name="monitoring_group_name_unique_in_project_ci",
                violation_error_message="A monitoring group with this name already exists in the project.",
            ),
        ),
        migrations.AddConstraint(
            model_name="monitoringuser",
            constraint=models.UniqueConstraint(
                models.F("organization"),
                django.db.models.functions.text.Lower("username"),
                name="monitoring_user_username_unique_in_org_ci",
                violation_error_message="A monitoring user with this user name already exists.",
            ),
        ),
        migrations.AddConstraint(
            model_name="monitoringuser",
            constraint=models.UniqueConstraint(
                models.F("organization"),
                django.db.models.functions.text.Lower("email"),
                name="monitoring_user_email_unique_in_org_ci",
                violation_error_message="A monitoring user with this email address already exists.",
            ),
        ),
    ]

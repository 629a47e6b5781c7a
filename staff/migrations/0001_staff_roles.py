"""The staff roles as groups (staff.roles): Portal administrators, Support engineers (the existing "Support"
group), Auditors, each with exactly its model-wide permissions. Permissions are made by Django after all
migrations have run, so this one makes those it needs first."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

APPS = ("auth", "axes", "accounts", "monitoring", "support", "serviceaccounts")


def forwards(apps, schema_editor):
    from staff.roles import staff_roles_sync

    for label in APPS:
        app_config = apps.get_app_config(label)
        app_config.models_module = True  # historical app configs have none; create_permissions needs one
        create_permissions(app_config, apps=apps, verbosity=0)
    staff_roles_sync(permission_model=apps.get_model("auth", "Permission"), group_model=apps.get_model("auth", "Group"))


def backwards(apps, schema_editor):
    from staff.roles import AUDITORS, PORTAL_ADMINISTRATORS, SUPPORT_ENGINEERS

    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name__in=[PORTAL_ADMINISTRATORS, AUDITORS], user__isnull=True).delete()
    for group in Group.objects.filter(name=SUPPORT_ENGINEERS):
        group.permissions.clear()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("axes", "0010_accessattemptexpiration"),
        ("accounts", "0017_audit_staff_console"),
        ("monitoring", "0004_monitoring_users_per_organization"),
        ("support", "0005_support_group"),
        ("serviceaccounts", "0002_beat_schedule"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]

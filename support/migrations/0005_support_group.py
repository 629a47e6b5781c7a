"""The "Support" group: staff users in it are the support engineers whose attempts the decision function
judges. Staff add engineers to it in the admin."""

from django.db import migrations

SUPPORT_GROUP_NAME = "Support"


def create(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name=SUPPORT_GROUP_NAME)


def remove(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=SUPPORT_GROUP_NAME, user__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("support", "0004_support_reach"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(create, remove)]

"""The monitoring app's scheduled job in django-celery-beat's tables: the sweep that emails group admins about
new members whose own task was lost (staff change it in the admin)."""

from django.db import migrations

TASKS = [("Email monitoring group admins about new members", "monitoring.tasks.notify_group_admins")]


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    for name, task in TASKS:
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "interval": every_minute})


def unschedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, _ in TASKS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0002_groups_for_existing_clusters"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]

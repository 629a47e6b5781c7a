"""The service accounts' scheduled job, in django-celery-beat's tables (staff change it in the admin)."""

from django.db import migrations

TASKS = [("Purge dead service account access tokens", "serviceaccounts.tasks.purge_access_tokens")]


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_hour, _ = IntervalSchedule.objects.get_or_create(every=1, period="hours")
    for name, task in TASKS:
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "interval": every_hour})


def unschedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, _ in TASKS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("serviceaccounts", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]

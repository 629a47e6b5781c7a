"""OutboundEmail: a lease (past it, a QUEUED message is queued again) and its secret context encrypted at rest;
the beat job "Re-queue stalled emails", every minute."""

from django.db import migrations, models

TASKS = [("Re-queue stalled emails", "accounts.tasks.requeue_stalled_emails")]


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
        ("accounts", "0011_outbound_email_tracking_id"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboundemail",
            name="lease_expires_at",
            field=models.DateTimeField(
                blank=True, help_text="Still QUEUED after this, the message is queued again.", null=True
            ),
        ),
        migrations.AddField(
            model_name="outboundemail",
            name="secret_context_encrypted",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AddIndex(
            model_name="outboundemail",
            index=models.Index(fields=["status", "lease_expires_at"], name="accounts_email_lease"),
        ),
        migrations.RunPython(schedule, unschedule),
    ]

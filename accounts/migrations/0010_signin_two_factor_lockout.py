"""Sign-in and account security: a time zone per user, "two-factor required" per organization, the audit
event types of two-factor and lockout, the per-minute windows of refused API authentications and their beat job;
every existing person's address recorded as verified (invited or made by staff before registration existed)."""


import django.utils.timezone
from django.db import migrations, models

TASKS = [("Audit refused API authentications", "accounts.tasks.flush_authentication_failures")]


def verify_existing_addresses(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    EmailAddress = apps.get_model("account", "EmailAddress")
    known = set(EmailAddress.objects.values_list("user_id", flat=True))
    EmailAddress.objects.bulk_create(
        EmailAddress(user_id=pk, email=email.lower(), verified=True, primary=True)
        for pk, email in User.objects.filter(is_service_account=False).values_list("pk", "email")
        if pk not in known
    )


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
        ('accounts', '0009_organization_api_access_list_required'),
        ('account', '0009_emailaddress_unique_primary_email'),
        ('django_celery_beat', '0019_alter_periodictasks_options'),
    ]

    operations = [
        migrations.AddField(
            model_name='organization',
            name='multi_factor_auth_required',
            field=models.BooleanField(default=False, help_text='Members must set up two-factor authentication before they reach the organization.', verbose_name='two-factor authentication required'),
        ),
        migrations.AddField(
            model_name='user',
            name='time_zone',
            field=models.CharField(default='UTC', help_text='IANA time zone (e.g. Europe/Paris) the pages show times in.', max_length=64),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='event_type',
            field=models.CharField(choices=[('ORG_CREATED', 'Org Created'), ('ORG_RENAMED', 'Org Renamed'), ('ORG_DELETED', 'Org Deleted'), ('JOINED_ORG', 'Joined Org'), ('REMOVED_FROM_ORG', 'Removed From Org'), ('GROUP_CREATED', 'Group Created'), ('GROUP_RENAMED', 'Group Renamed'), ('GROUP_DELETED', 'Group Deleted'), ('JOINED_GROUP', 'Joined Group'), ('REMOVED_FROM_GROUP', 'Removed From Group'), ('USER_ROLES_CHANGED_AUDIT', 'User Roles Changed'), ('TEAM_CREATED', 'Team Created'), ('TEAM_DELETED', 'Team Deleted'), ('TEAM_NAME_CHANGED', 'Team Name Changed'), ('JOINED_TEAM', 'Joined Team'), ('REMOVED_FROM_TEAM', 'Removed From Team'), ('TEAM_ADDED_TO_GROUP', 'Team Added To Group'), ('TEAM_REMOVED_FROM_GROUP', 'Team Removed From Group'), ('TEAM_ROLES_MODIFIED', 'Team Roles Modified'), ('CLUSTER_CREATED', 'Cluster Created'), ('CLUSTER_UPDATED', 'Cluster Updated'), ('CLUSTER_DELETED', 'Cluster Deleted'), ('INVITED_TO_ORG', 'Invited To Org'), ('INVITED_TO_GROUP', 'Invited To Group'), ('ORG_INVITATION_UPDATED', 'Org Invitation Updated'), ('GROUP_INVITATION_UPDATED', 'Group Invitation Updated'), ('ORG_INVITATION_RESENT', 'Org Invitation Resent'), ('GROUP_INVITATION_RESENT', 'Group Invitation Resent'), ('ORG_INVITATION_DELETED', 'Org Invitation Deleted'), ('GROUP_INVITATION_DELETED', 'Group Invitation Deleted'), ('INVITATION_ACCEPT_REFUSED', 'Invitation Accept Refused'), ('ORG_INVITATION_EXPIRED', 'Org Invitation Expired'), ('GROUP_INVITATION_EXPIRED', 'Group Invitation Expired'), ('INVITATION_EMAIL_BOUNCED', 'Invitation Email Bounced'), ('REQUESTED_TO_JOIN_GROUP', 'Requested To Join Group'), ('JOIN_GROUP_REQUEST_APPROVED_AUDIT', 'Join Group Request Approved'), ('JOIN_GROUP_REQUEST_DENIED_AUDIT', 'Join Group Request Denied'), ('API_KEY_CREATED', 'Api Key Created'), ('API_KEY_DELETED', 'Api Key Deleted'), ('API_KEY_ROLES_CHANGED', 'Api Key Roles Changed'), ('API_KEY_DESCRIPTION_CHANGED', 'Api Key Description Changed'), ('API_KEY_ACCESS_LIST_ENTRY_ADDED', 'Api Key Access List Entry Added'), ('API_KEY_ACCESS_LIST_ENTRY_DELETED', 'Api Key Access List Entry Deleted'), ('API_KEY_ADDED_TO_GROUP', 'Api Key Added To Group'), ('API_KEY_REMOVED_FROM_GROUP', 'Api Key Removed From Group'), ('API_KEY_GROUP_ROLES_CHANGED', 'Api Key Group Roles Changed'), ('API_KEY_AUTHENTICATION_FAILED', 'Api Key Authentication Failed'), ('API_KEY_ACCESS_LIST_REFUSED', 'Api Key Access List Refused'), ('ORG_SETTINGS_CHANGED', 'Org Settings Changed'), ('ORG_TWO_FACTOR_AUTH_REQUIRED', 'Org Two Factor Auth Required'), ('ORG_TWO_FACTOR_AUTH_OPTIONAL', 'Org Two Factor Auth Optional'), ('TWO_FACTOR_AUTH_ENABLED', 'Two Factor Auth Enabled'), ('TWO_FACTOR_AUTH_DISABLED', 'Two Factor Auth Disabled'), ('TWO_FACTOR_RECOVERY_CODE_USED', 'Two Factor Recovery Code Used'), ('TWO_FACTOR_RECOVERY_CODES_REGENERATED', 'Two Factor Recovery Codes Regenerated'), ('SIGN_IN_LOCKED_OUT', 'Sign In Locked Out'), ('MONITORING_USER_ATTACHED', 'Monitoring User Attached'), ('MONITORING_USER_DETACHED', 'Monitoring User Detached'), ('MONITORING_GROUP_CREATED', 'Monitoring Group Created'), ('MONITORING_GROUP_DELETED', 'Monitoring Group Deleted'), ('MONITORING_GROUP_MEMBER_ADDED', 'Monitoring Group Member Added'), ('MONITORING_GROUP_MEMBER_REMOVED', 'Monitoring Group Member Removed'), ('USER_OFFBOARDED', 'User Offboarded'), ('ORG_EMPLOYEE_ACCESS_RESTRICTED', 'Org Employee Access Restricted'), ('ORG_EMPLOYEE_ACCESS_UNRESTRICTED', 'Org Employee Access Unrestricted'), ('EMPLOYEE_ACCESS_GRANTED', 'Employee Access Granted'), ('EMPLOYEE_ACCESS_REVOKED', 'Employee Access Revoked'), ('EMPLOYEE_ACCESS_EXPIRED', 'Employee Access Expired'), ('EMPLOYEE_ACCESS_REPLACED', 'Employee Access Replaced')], max_length=64),
        ),
        migrations.CreateModel(
            name='AuthenticationFailureWindow',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('event_type', models.CharField(max_length=64)),
                ('public_key', models.CharField(blank=True, max_length=64)),
                ('client_ip', models.CharField(blank=True, max_length=45)),
                ('minute', models.DateTimeField(help_text='Start of the minute the refusals fell in (UTC).')),
                ('organization_id', models.BigIntegerField(blank=True, null=True)),
                ('api_key_public_id', models.CharField(blank=True, max_length=24)),
                ('count', models.PositiveIntegerField(default=0)),
                ('reasons', models.JSONField(blank=True, default=dict, help_text='reason -> how many times')),
                ('samples', models.JSONField(blank=True, default=dict, help_text='addresses (for a key) or public keys (for an address) -> how many')),
                ('first_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('last_at', models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                'indexes': [models.Index(fields=['minute'], name='accounts_auth_failure_minute')],
                'constraints': [models.UniqueConstraint(fields=('event_type', 'public_key', 'client_ip', 'minute'), name='accounts_auth_failure_window_unique')],
            },
        ),
        migrations.RunPython(verify_existing_addresses, migrations.RunPython.noop),
        migrations.RunPython(schedule, unschedule),
    ]

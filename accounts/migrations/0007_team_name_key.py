"""Team names are unique per organization case-insensitively in every alphabet: a case-folded key column
(SQL's LOWER() folds only ASCII on SQLite)."""

from django.db import migrations, models


def fill_keys(apps, schema_editor):
    Team = apps.get_model("accounts", "Team")
    teams = list(Team.objects.all())
    for team in teams:
        team.name_key = team.name.casefold()
    Team.objects.bulk_update(teams, ["name_key"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0006_beat_schedule")]

    operations = [
        migrations.AddField(
            model_name="team", name="name_key", field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="team", name="accounts_team_name_unique_in_org_ci"),
        migrations.AddConstraint(
            model_name="team",
            constraint=models.UniqueConstraint(
                fields=("organization", "name_key"),
                name="accounts_team_name_unique_in_org_ci",
                violation_error_message="A team with this name already exists in the organization.",
            ),
        ),
    ]

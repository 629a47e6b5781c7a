"""Existing eligible clusters get their monitoring groups (no monitoring user is attached yet, so they start
empty). Later, ``manage.py monitoring_reconcile`` does the same at any time, for clusters made outside the
services."""

import secrets

from django.db import migrations

RESERVED_GROUP_PREFIX = "mongolab_"
ELIGIBLE_TIERS = ["DEDICATED"]


def create_groups(apps, schema_editor):
    Cluster = apps.get_model("accounts", "Cluster")
    MonitoringGroup = apps.get_model("monitoring", "MonitoringGroup")
    clusters = Cluster.objects.filter(tier__in=ELIGIBLE_TIERS, monitoring_group__isnull=True)
    MonitoringGroup.objects.bulk_create(
        MonitoringGroup(
            public_id=secrets.token_hex(12),
            project_id=cluster.project_id,
            cluster_id=cluster.pk,
            name=f"{RESERVED_GROUP_PREFIX}{cluster.name}_{cluster.public_id}",
        )
        for cluster in clusters.iterator()
    )


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0001_initial")]

    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]

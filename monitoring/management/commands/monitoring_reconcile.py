"""``manage.py monitoring_reconcile [--organization ID]``: make the system's monitoring groups match the
clusters (the system acting), for data that predates the monitoring app or was made outside the services.
Idempotent: running it again changes nothing."""

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organization
from monitoring.services import monitoring_groups_reconcile


class Command(BaseCommand):
    help = "Create the monitoring groups of eligible clusters that lack one; delete those of ineligible ones."

    def add_arguments(self, parser):
        parser.add_argument("--organization", help="Only this organization (its public id).")

    def handle(self, *args, organization=None, **options):
        organizations = Organization.objects.order_by("pk")
        if organization:
            organizations = organizations.filter(public_id=organization)
            if not organizations.exists():
                raise CommandError(f"No organization with ID {organization} exists.")
        created = deleted = 0
        for org in organizations:
            result = monitoring_groups_reconcile(organization=org, actor=None)
            created += len(result["created"])
            deleted += len(result["deleted"])
            for name in result["created"]:
                self.stdout.write(f"  {org.name}: created {name}")
            for name in result["deleted"]:
                self.stdout.write(f"  {org.name}: deleted {name}")
        self.stdout.write(
            self.style.SUCCESS(f"Monitoring groups reconciled: {created} created, {deleted} deleted.")
        )

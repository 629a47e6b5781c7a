"""Rebuild every derived object permission (django-guardian rows, team group membership) from roles."""

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.permissions import sync_all_permissions


class Command(BaseCommand):
    help = "Rebuild the django-guardian object permissions of every organization from its roles and teams."

    def handle(self, *args, **options):
        with transaction.atomic():
            counts = sync_all_permissions()
        self.stdout.write(
            f"Permissions rebuilt from roles: {counts['added']} added, {counts['removed']} removed."
        )

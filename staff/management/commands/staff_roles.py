"""``manage.py staff_roles``: give each staff group exactly its permissions again (after new models arrive)."""

from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand
from django.db import transaction

from staff.roles import staff_roles_sync


class Command(BaseCommand):
    help = "Give each staff role (group) exactly its model-wide permissions."

    @transaction.atomic
    def handle(self, *args, **options):
        for name, permission_ids in staff_roles_sync(permission_model=Permission, group_model=Group).items():
            self.stdout.write(f"{name}: {len(permission_ids)} permissions")

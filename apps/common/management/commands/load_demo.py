from django.conf import settings
from django.core.management.base import BaseCommand

from apps.common.demo import demo_load, demo_password_get


class Command(BaseCommand):
    help = "Load the demo registry (idempotent): organisations, sites, vendors, ownership, equipment, users."

    def handle(self, *args, **options):
        created = demo_load()
        summary = ", ".join(f"{v} {k}" for k, v in created.items())
        self.stdout.write(self.style.SUCCESS(f"Demo registry loaded (created this run: {summary})."))
        password, generated = demo_password_get()
        where = "from DEMO_PASSWORD" if settings.DEMO_PASSWORD else "kept in var/demo-password.txt"
        note = "generated now, " if generated else ""
        self.stdout.write(f"Demo users admin, admin2, officer, auditor, viewer; password: {password} ({note}{where})")

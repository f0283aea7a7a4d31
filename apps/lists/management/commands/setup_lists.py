from django.core.management.base import BaseCommand

from apps.lists.services import list_sources_setup


class Command(BaseCommand):
    help = "Create the default list sources that are missing (idempotent; never overwrites an admin's edits)."

    def handle(self, *args, **options):
        counts = list_sources_setup()
        self.stdout.write(f"List sources: {counts['created']} created, {counts['present']} already present.")

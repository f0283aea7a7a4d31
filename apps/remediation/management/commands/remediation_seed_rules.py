from django.core.management.base import BaseCommand

from apps.remediation.services import policy_rules_seed_defaults


class Command(BaseCommand):
    help = "Create the default policy rules that are missing (never overwrites an admin's edits)."

    def handle(self, *args, **options):
        created, present = policy_rules_seed_defaults()
        self.stdout.write(f"Policy rules: {created} created, {present} already present.")

"""Rebuild (or, with --check, verify) the per-site equipment tally that the sites page, the dashboard, the API
summary and the equipment list's page counts read."""
import json

from django.core.management.base import BaseCommand, CommandError

from apps.inventory.services import equipment_counts_check, equipment_counts_refresh


class Command(BaseCommand):
    help = "Recount installed equipment per site, category, status and risk status (SiteEquipmentCount)."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true",
                            help="Only compare the tally with the equipment table; exit 1 when they differ.")
        parser.add_argument("--site", type=int, action="append", dest="sites", help="Only this site id (repeat).")

    def handle(self, *args, check: bool = False, sites=None, **options):
        if check:
            drift = equipment_counts_check(site_ids=sites)
            self.stdout.write(json.dumps({"drift": len(drift), "buckets": drift[:50]}, default=list))
            if drift:
                raise CommandError(f"{len(drift)} tally buckets differ from the equipment table; "
                                   "run `manage.py recount_equipment` to repair them.")
            return
        self.stdout.write(json.dumps({"written": equipment_counts_refresh(site_ids=sites)}))

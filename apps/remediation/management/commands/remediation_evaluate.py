import datetime as dt
import json

from django.core.management.base import BaseCommand

from apps.remediation.services import remediation_daily, remediation_evaluate_all


class Command(BaseCommand):
    help = "Evaluate remediation plans for every unit (and optionally run the daily overdue/digest job)."

    def add_arguments(self, parser):
        parser.add_argument("--today", help="YYYY-MM-DD (default: today in the registry's time zone)")
        parser.add_argument("--daily", action="store_true", help="Also run the daily overdue/digest job.")

    def handle(self, *args, **options):
        today = dt.date.fromisoformat(options["today"]) if options["today"] else None
        result = remediation_evaluate_all(today=today)
        self.stdout.write(json.dumps({"evaluate": result.as_dict()}))
        if options["daily"]:
            self.stdout.write(json.dumps({"daily": remediation_daily(today=today)}))

"""`manage.py rescreen [--vendor ID ...] [--list-version ID] [--equipment-only]`

Without options: a full run (every vendor against every active list). Runs in this process (no worker
needed) and prints the run's counts as JSON.
"""
from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from apps.screening.choices import RunTrigger
from apps.screening.services import (
    equipment_risk_refresh,
    screening_run_full,
    screening_run_list_version,
    screening_run_vendors,
)


class Command(BaseCommand):
    help = "Re-screen vendors against the active lists (all by default) and refresh vendor/equipment status."

    def add_arguments(self, parser):
        parser.add_argument("--vendor", type=int, action="append", default=[], help="Vendor id; repeatable.")
        parser.add_argument("--list-version", type=int, help="Screen the added/changed entries of this version.")
        parser.add_argument("--equipment-only", action="store_true", help="Only recompute equipment status.")

    def handle(self, *args, **options):
        if options["equipment_only"]:
            self.stdout.write(json.dumps({"equipment_updated": equipment_risk_refresh()}))
            return
        if options["list_version"]:
            run = screening_run_list_version(version_id=options["list_version"])
        elif options["vendor"]:
            run = screening_run_vendors(vendor_ids=options["vendor"], trigger=RunTrigger.MANUAL)
        else:
            run = screening_run_full(trigger=RunTrigger.MANUAL)
        if run is None:
            self.stdout.write(json.dumps({"status": "skipped", "reason": "version not active"}))
            return
        self.stdout.write(json.dumps({
            "run": run.pk, "status": run.status, "vendors": run.vendor_count, "entries": run.entry_count,
            "duration_ms": run.duration_ms, "counts": run.counts, "timings": run.timings,
            "list_versions": [{"source": v["source"], "version_id": v["version_id"], "sha256": v["sha256"]}
                              for v in run.list_versions],
        }))

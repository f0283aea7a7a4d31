import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from apps.lists.choices import RunStatus, RunTrigger
from apps.lists.models import ListSource
from apps.lists.services import ImportResult, list_version_import


class Command(BaseCommand):
    help = (
        "Offline import for air-gapped sites: the same pipeline as a refresh (sha256, parse, diff, guard, "
        "activation). Prints one JSON object with --json; exits non-zero when the import failed (also when the "
        "database fails: the JSON says why, with retryable true)."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", help="Source code, e.g. ofac_sdn")
        parser.add_argument("paths", nargs="+", help="The file(s) of one publication")
        parser.add_argument("--json", action="store_true", help="Print one JSON object")
        parser.add_argument("--format", dest="fmt", default=None,
                            help="Parser key for these files when it differs from the source's (e.g. ofac_legacy_csv)")
        parser.add_argument("--delta", action="store_true", default=None,
                            help="Apply the files as a delta (ADD/MOD/DEL) on the active version")

    def handle(self, *args, **options):
        try:
            source = ListSource.objects.filter(code=options["source"]).first()
            if source is None:
                codes = ", ".join(ListSource.objects.values_list("code", flat=True)) or "none (run setup_lists)"
                raise CommandError(f"Unknown source {options['source']!r}. Known: {codes}")
            paths = [Path(p) for p in options["paths"]]
            result = list_version_import(source=source, paths=paths, trigger=RunTrigger.IMPORT, fmt=options["fmt"],
                                         delta=options["delta"])
        except DatabaseError as exc:  # unreachable even to record the failure: still one JSON answer, exit 1
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            result = ImportResult(source=options["source"], status=RunStatus.FAILED,
                                  reason=f"Database error: {exc.__class__.__name__}: {detail}".rstrip(": "),
                                  extra={"retryable": True})
        data = result.as_dict()
        if options["json"]:
            self.stdout.write(json.dumps(data, default=str))
        else:
            self.stdout.write(
                f"{data['source']}: {data['status']} version={data['version']} entries={data['entries']} "
                f"+{data['added']} -{data['removed']} ~{data['changed']} {data['reason']}".rstrip()
            )
        if result.status == RunStatus.FAILED:
            raise SystemExit(1)

import json

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from apps.lists.choices import RunStatus, RunTrigger
from apps.lists.downloads import DownloadError
from apps.lists.models import ListSource
from apps.lists.services import RunRetryable, SourceBusy, list_source_refresh


class Command(BaseCommand):
    help = "Download and import list sources now, in this process (all enabled sources, or --source CODE)."

    def add_arguments(self, parser):
        parser.add_argument("--source", help="Only this source code")
        parser.add_argument("--json", action="store_true", help="Print one JSON object per source")

    def handle(self, *args, **options):
        sources = ListSource.objects.all()
        if options["source"]:
            sources = sources.filter(code=options["source"])
            if not sources.exists():
                raise CommandError(f"Unknown source {options['source']!r}.")
        else:
            sources = sources.filter(enabled=True)
        failed = 0
        for source in sources:
            try:
                data = list_source_refresh(source=source, trigger=RunTrigger.MANUAL).as_dict()
            except (SourceBusy, DownloadError, RunRetryable, DatabaseError) as exc:  # recorded on the run if possible
                data = {"source": source.code, "status": RunStatus.FAILED,
                        "reason": getattr(exc, "reason", None) or getattr(exc, "message", None) or str(exc)}
            failed += data["status"] == RunStatus.FAILED
            if options["json"]:
                self.stdout.write(json.dumps(data, default=str))
            else:
                self.stdout.write(f"{data['source']}: {data['status']} {data.get('reason', '')}".rstrip())
        if failed:
            raise SystemExit(1)

"""`python manage.py verify_audit`: walk the audit hash chain; exit 0 when intact, 1 at the first broken link."""
from django.core.management.base import BaseCommand, CommandError

from apps.audit.services import audit_chain_verify


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain. Reports the first broken link and exits non-zero if any."

    def add_arguments(self, parser):
        parser.add_argument("--chunk-size", type=int, default=5000, help="Rows read per database round trip.")

    def handle(self, *args, **options):
        verdict = audit_chain_verify(chunk_size=options["chunk_size"])
        if verdict.ok:
            self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {verdict.checked} events verified."))
            return
        raise CommandError(
            f"Audit chain BROKEN at event id {verdict.first_broken_id}: {verdict.reason} "
            f"({verdict.checked} events before it verified).",
            returncode=1,
        )

"""`python manage.py verify_audit`: walk the keyed audit chain and compare it with the signed checkpoints;
exit 0 when intact, 1 at the first problem (a broken link, a bad MAC, a key id not configured, or events a
checkpoint proves deleted or rewritten)."""
from django.core.management.base import BaseCommand, CommandError

from apps.audit.services import audit_chain_verify


class Command(BaseCommand):
    help = "Verify the audit trail's keyed hash chain and its checkpoints. Exits non-zero at the first problem."

    def add_arguments(self, parser):
        parser.add_argument("--chunk-size", type=int, default=5000, help="Rows read per database round trip.")
        parser.add_argument("--since-id", type=int, default=None,
                            help="Only the events after this id (linked to it); default: the whole chain.")
        parser.add_argument("--require-checkpoint", action="store_true",
                            help="Fail when no checkpoint was compared (e.g. the checkpoint folder is empty).")

    def handle(self, *args, **options):
        verdict = audit_chain_verify(chunk_size=options["chunk_size"], since_id=options["since_id"])
        if verdict.ok and options["require_checkpoint"] and not verdict.checkpoints:
            raise CommandError("Audit chain: no checkpoint to compare with (AUDIT_CHECKPOINT_DIR).", returncode=1)
        if verdict.ok:
            self.stdout.write(self.style.SUCCESS(
                f"Audit chain intact: {verdict.checked} events verified ({verdict.legacy} legacy unkeyed), "
                f"{verdict.checkpoints} checkpoints matched."))
            return
        raise CommandError(
            f"Audit chain BROKEN at event id {verdict.first_broken_id}: {verdict.reason} "
            f"({verdict.checked} events before it verified).",
            returncode=1,
        )

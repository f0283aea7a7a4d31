"""`python manage.py audit_checkpoint`: sign the audit chain's head and append it to the checkpoint file
(AUDIT_CHECKPOINT_DIR). Beat does it hourly; run it by hand after a migration or before a backup."""
from django.core.management.base import BaseCommand

from apps.audit.checkpoints import audit_checkpoint_write


class Command(BaseCommand):
    help = "Append a signed checkpoint of the audit chain's head to AUDIT_CHECKPOINT_DIR."

    def handle(self, *args, **options):
        cp = audit_checkpoint_write()
        self.stdout.write(self.style.SUCCESS(
            f"Checkpoint {cp.created_at}: event {cp.last_id}, {cp.count} events ({cp.legacy_count} legacy), "
            f"key {cp.key_id!r}."))

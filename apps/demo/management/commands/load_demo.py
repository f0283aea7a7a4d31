from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from apps.demo.services import CURATOR_USERNAME, demo_curator_ensure, demo_load_full, demo_password_get
from apps.vendors.choices import ProposalStatus
from apps.vendors.models import ChangeProposal


class Command(BaseCommand):
    help = "Load the demo registry (idempotent): organisations, sites, vendors, ownership, equipment, users."

    def handle(self, *args, **options):
        result = demo_load_full()
        summary = ", ".join(f"{v} {k}" for k, v in result["created"].items())
        self.stdout.write(self.style.SUCCESS(f"Demo registry loaded (created this run: {summary})."))
        lists = ", ".join(f"{code}: {status}" for code, status in result["lists"].items())
        self.stdout.write(f"Bundled lists imported ({lists}); screening run #{result['screening_run']}; "
                          f"remediation: {result['remediation']}.")
        password, generated = demo_password_get()
        where = "from DEMO_PASSWORD" if settings.DEMO_PASSWORD else "kept in var/demo-password.txt"
        note = "generated now, " if generated else ""
        self.stdout.write(f"Demo users admin, admin2, officer, auditor, viewer, curator; password: {password} "
                          f"({note}{where})")
        curator = get_user_model().objects.get(username=CURATOR_USERNAME)
        self.stdout.write(f"The curator's authenticator (add it to an authenticator app, then Account, Verify): "
                          f"{demo_curator_ensure(curator)}")
        pending = ChangeProposal.objects.filter(status=ProposalStatus.PENDING).count()
        self.stdout.write(f"Pending change proposals to shared vendor facts: {pending} (the curator decides them at "
                          "/proposals/queue/ once verified; the officer sees them at /proposals/).")

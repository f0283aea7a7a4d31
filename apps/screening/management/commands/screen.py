"""`manage.py screen NAME [--country CC] [--identifier scheme:value] [--json] [--limit N] [--offset N]
[--save --user U --org SLUG]`

The pre-purchase check: may I buy from them? Prints one JSON object with --json (query, verdict, verdict_reason,
matches, coverage, registry, versions: the API's answer); otherwise a short human summary. --org also chooses the
view (the organisation's in-house lists and required sources). Exit status 0 whatever the verdict; 2 on bad input.
"""
from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from apps.common.exceptions import ApplicationError
from apps.screening.services import screen_name


class Command(BaseCommand):
    help = "Screen a company name (not necessarily a vendor) against the active lists: may I buy from them?"

    def add_arguments(self, parser):
        parser.add_argument("name", help="Company name as written on the offer or invoice.")
        parser.add_argument("--country", default="", help="ISO 3166 alpha-2 country of the company (evidence only).")
        parser.add_argument("--identifier", action="append", default=[], metavar="SCHEME:VALUE",
                            help="An identifier such as lei:5299... or uscc:9133...; repeatable.")
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")
        parser.add_argument("--save", action="store_true", help="Keep the answer as evidence (PrePurchaseCheck).")
        parser.add_argument("--user", default="", help="Username recorded with --save.")
        parser.add_argument("--org", default="", help="Organisation slug: its view of the lists, recorded with --save.")
        parser.add_argument("--limit", type=int, default=25, help="Matches shown (the verdict counts them all).")
        parser.add_argument("--offset", type=int, default=0, help="First match shown.")

    def handle(self, *args, **options):
        user = organization = None
        if options["user"]:
            from apps.accounts.models import User

            user = User.objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user {options['user']!r}.")
        if options["org"]:
            from apps.accounts.models import Organization

            organization = Organization.objects.filter(slug=options["org"]).first()
            if organization is None:
                raise CommandError(f"No organisation {options['org']!r}.")
        try:
            result = screen_name(name=options["name"], country=options["country"],
                                 identifiers=options["identifier"], user=user, organization=organization,
                                 save=options["save"], limit=options["limit"], offset=options["offset"])
        except ApplicationError as exc:
            details = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.fields.items())
            raise CommandError(f"{exc.message} {details}".strip(), returncode=2) from exc
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False, sort_keys=False))
            return
        self.stdout.write(f"{result['query']['name']}: {result['verdict'].upper()} ({result['verdict_reason']})")
        for m in result["matches"]:
            self.stdout.write(f"  {m['score']:.2f} {m['status']:<16} {m['source']} #{m['entry_id']} {m['entry_name']}")
            if m.get("via_vendor"):
                self.stdout.write(f"       via the recorded vendor {m['via_vendor']['vendor_name']}")
            if m.get("why"):
                self.stdout.write(f"       why: {m['why']}")
            self.stdout.write(f"       detail: {m['explanation']}")
        shown = len(result["matches"])
        if result["matches_total"] > shown:
            self.stdout.write(f"  ({result['matches_total'] - shown} more matches not shown; all count in the verdict)")
        for v in result["registry"]:
            self.stdout.write(f"  registry: {v['vendor_name']} (#{v['vendor_id']}, {v['status']}, "
                              f"by {v['resolved_by']})")
            lines = ([f"finding {f['status']}: {f['path_text']}" for f in v["findings"]]
                     + [f"owned: {p['path_text']}" for p in v["ownership_paths"]]
                     + [f"made by: {o['manufacturer_name']} ({o['status']})" for o in v["oem_manufacturers"]])
            for line in lines:
                self.stdout.write(f"       {line}")
        coverage = result["coverage"]
        self.stdout.write(f"  coverage: {coverage['summary']}")
        for v in coverage["searched"]:
            self.stdout.write(f"    searched {v['source']} v{v['version_id']} sha256 {v['sha256'][:12]} activated "
                              f"{v['activated_at']}{' STALE' if v['stale'] else ''}")
        for m in coverage["missing"]:
            self.stdout.write(f"    not loaded {m['source']}{' (required)' if m['required'] else ''}")
        if "check_id" in result:
            self.stdout.write(f"  saved as evidence: check #{result['check_id']}")

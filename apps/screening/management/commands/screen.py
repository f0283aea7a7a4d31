"""`manage.py screen NAME [--country CC] [--identifier scheme:value] [--json] [--save --user U --org SLUG]`

The pre-purchase check: may I buy from them? Prints one JSON object with --json (query, verdict, matches,
versions); otherwise a short human summary. Exit status 0 whatever the verdict; 2 on bad input.
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
        parser.add_argument("--org", default="", help="Organisation slug recorded with --save.")

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
                                 save=options["save"])
        except ApplicationError as exc:
            details = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.fields.items())
            raise CommandError(f"{exc.message} {details}".strip(), returncode=2) from exc
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False, sort_keys=False))
            return
        self.stdout.write(f"{result['query']['name']}: {result['verdict'].upper()}")
        for m in result["matches"]:
            self.stdout.write(f"  {m['score']:.2f} {m['status']:<16} {m['source']} #{m['entry_id']} {m['entry_name']}")
            self.stdout.write(f"       {m['explanation']}")
        if not result["versions"]:
            self.stdout.write("  (no active list versions: load lists first)")
        else:
            used = ", ".join(f"{v['source']}#{v['version_id']}" for v in result["versions"])
            self.stdout.write(f"  lists: {used}")
        if "check_id" in result:
            self.stdout.write(f"  saved as evidence: check #{result['check_id']}")

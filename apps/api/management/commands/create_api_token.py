"""Create an API token for a user and print its key once."""
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from apps.api.services import api_token_create
from apps.common.exceptions import ApplicationError


class Command(BaseCommand):
    help = "Create an API token for USERNAME and print the key (shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--expires-in", type=int, default=None, metavar="DAYS",
                            help="Days until the token expires (default: API_TOKEN_DEFAULT_DAYS; at most "
                                 "API_TOKEN_MAX_DAYS).")
        parser.add_argument("--name", default="", help="What the token is for.")

    def handle(self, *args, username, expires_in, name, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        try:
            token, key = api_token_create(user=user, name=name or "created with create_api_token",
                                          expires_in_days=expires_in)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(key)
        expiry = token.expires_at.isoformat() if token.expires_at else "never"
        self.stderr.write(f"Token {token.prefix}… for {username}, expires: {expiry}. Store the key now; "
                          "it cannot be shown again.")

"""Shared set-up of the Django benchmarks: settings for a quiet run, a throwaway SQLite file unless
DATABASE_URL is set, and migrations. Returns a label saying which database the figures are for."""
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def setup_django(name: str, **env_defaults: str) -> str:
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vendorrisk.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    for key, value in env_defaults.items():
        os.environ.setdefault(key, value)
    if not os.environ.get("DATABASE_URL"):
        tmp = tempfile.mkdtemp(prefix=f"bench-{name}-")
        os.environ["VAR_DIR"] = tmp
        label = f"SQLite file in {tmp}"
    else:
        label = "PostgreSQL (DATABASE_URL)"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, skip_checks=True)
    return label

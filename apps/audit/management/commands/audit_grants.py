"""`python manage.py audit_grants --app-role vendorrisk_app [--create-role] [--apply]`: the PostgreSQL grants
that let the application's role read and write every table but only SELECT and INSERT audit events and the
other append-only evidence tables (`append_only_tables`; no UPDATE, DELETE or TRUNCATE). Run migrations as the
owner role, the web/worker/beat processes as the app role (docker-compose.yml does: its one-shot `migrate`
service runs this with --create-role --apply as the owner).

--create-role also creates the login role (or resets its password and attributes when it exists), with the
password read from an environment variable (never the command line, which `ps` shows): NOSUPERUSER,
NOCREATEDB, NOCREATEROLE, NOBYPASSRLS, so the app role can neither own the audit table nor disable its
triggers."""
from __future__ import annotations

import os

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from apps.audit.models import AuditEvent

ROLE_ATTRIBUTES = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOREPLICATION"


def append_only_tables() -> list[str]:
    """The audit table and every table whose model declares `append_only = True` (evidence such as the signed
    answers of apps.outreach), found through the app registry, so this app imports none of the apps above it."""
    from django.apps import apps

    tables = [AuditEvent._meta.db_table]
    tables += sorted(m._meta.db_table for m in apps.get_models()
                     if getattr(m, "append_only", False) is True and m is not AuditEvent)
    return tables


def grants_sql(app_role: str) -> list[str]:
    q = connection.ops.quote_name
    role = q(app_role)
    keep = [q(t) for t in append_only_tables()]
    return [
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
        *(f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {table} FROM {role}" for table in keep),
        *(f"GRANT SELECT, INSERT ON {table} TO {role}" for table in keep),
        # tables created by later migrations (run by the owner) get the same rights
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {role}",
    ]


def role_ensure(cursor, app_role: str, password: str) -> None:
    """Create the login role, or bring an existing one back to the restricted attributes and this password."""
    role = connection.ops.quote_name(app_role)
    cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [app_role])
    verb = "ALTER" if cursor.fetchone() else "CREATE"
    # Utility statements take no server-side parameters; psycopg quotes the literal on the client.
    cursor.execute(f"{verb} ROLE {role} WITH {ROLE_ATTRIBUTES} PASSWORD %s", [password])


class Command(BaseCommand):
    help = "Print (or --apply) the grants that keep the application role from changing audit events."

    def add_arguments(self, parser):
        parser.add_argument("--app-role", default="vendorrisk_app", help="The role the web and worker log in as.")
        parser.add_argument("--apply", action="store_true", help="Execute the statements (as the table owner).")
        parser.add_argument("--create-role", action="store_true",
                            help="With --apply: create the login role (or reset it) first.")
        parser.add_argument("--password-env", default="APP_DB_PASSWORD",
                            help="Environment variable holding the app role's password (--create-role).")

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("Grants apply to PostgreSQL only (SQLite has no roles).")
        app_role = options["app_role"]
        if app_role == connection.settings_dict.get("USER"):
            raise CommandError(f"{app_role} is the role this command connects as (the owner): the app role must "
                               "be another role, or the grants and triggers protect nothing.")
        statements = grants_sql(app_role)
        if not options["apply"]:
            self.stdout.write(";\n".join(statements) + ";")
            return
        with connection.cursor() as cur:
            if options["create_role"]:
                password = os.environ.get(options["password_env"], "")
                if len(password) < 16:
                    raise CommandError(f"--create-role: set {options['password_env']} to the app role's password "
                                       "(16+ characters).")
                role_ensure(cur, app_role, password)
            for sql in statements:
                cur.execute(sql)
        self.stdout.write(self.style.SUCCESS(f"Applied {len(statements)} statements for {app_role}."))

"""`python manage.py audit_grants --app-role vendorrisk_app [--apply]`: the PostgreSQL grants that let the
application's role read and write every table but only SELECT and INSERT audit events (no UPDATE, DELETE or
TRUNCATE). Run migrations as the owner role, the web/worker processes as the app role (docs/security.md)."""
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from apps.audit.models import AuditEvent


def grants_sql(app_role: str) -> list[str]:
    q = connection.ops.quote_name
    role, audit = q(app_role), q(AuditEvent._meta.db_table)
    return [
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
        f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {audit} FROM {role}",
        f"GRANT SELECT, INSERT ON {audit} TO {role}",
        # tables created by later migrations (run by the owner) get the same rights
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {role}",
    ]


class Command(BaseCommand):
    help = "Print (or --apply) the grants that keep the application role from changing audit events."

    def add_arguments(self, parser):
        parser.add_argument("--app-role", default="vendorrisk_app", help="The role the web and worker log in as.")
        parser.add_argument("--apply", action="store_true", help="Execute the statements (as the table owner).")

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("Grants apply to PostgreSQL only (SQLite has no roles).")
        statements = grants_sql(options["app_role"])
        if options["apply"]:
            with connection.cursor() as cur:
                for sql in statements:
                    cur.execute(sql)
            self.stdout.write(self.style.SUCCESS(f"Applied {len(statements)} statements for {options['app_role']}."))
        else:
            self.stdout.write(";\n".join(statements) + ";")

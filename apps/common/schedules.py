"""Default periodic tasks. `manage.py setup_schedules` creates the missing ones in django-celery-beat's
tables; after that admins edit them in the admin (interval, enabled), and setup never overwrites them.

Each entry: (name, task path, crontab dict, kwargs). Apps add their own entries here.
"""
DEFAULT_SCHEDULES: list[tuple[str, str, dict[str, str], dict]] = []

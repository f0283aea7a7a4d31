"""The Celery app: configuration from Django settings (namespace CELERY), tasks autodiscovered per app.

Periodic tasks are stored in the database by django-celery-beat so admins can edit them; the defaults
are created by `manage.py setup_schedules` (run by `make setup`).
"""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vendorrisk.settings")

app = Celery("vendorrisk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

"""Test settings: the real settings, then only speed knobs."""
import os
import tempfile
from pathlib import Path

os.environ.setdefault("DEBUG", "true")

from .settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
# WhiteNoise scans STATIC_ROOT when its middleware starts and warns on every test client when the folder does
# not exist (tests run no collectstatic; the staticfiles finders serve the files).
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
# Checkpoints are files that outlive each test's rolled-back transaction: an empty folder per test process, and
# tests that write checkpoints point AUDIT_CHECKPOINT_DIR at their own tmp_path.
AUDIT_CHECKPOINT_DIR = Path(tempfile.mkdtemp(prefix="vr-audit-checkpoints-"))  # noqa: F405
# Each test's Celery worker consumes one queue of its own (tests.conftest.celery_worker_process): no routing to the
# queues per kind of work, so every task goes to the test's default queue.
CELERY_TASK_ROUTES = {}
# The read replica's tests (tests/api/test_read_replica.py): an alias on the same PostgreSQL database, routed to
# only where a test sets DATABASE_REPLICA_URL (vendorrisk/dbrouter.py).
if DATABASES["default"]["ENGINE"].endswith("postgresql") and "replica" not in DATABASES:  # noqa: F405
    DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}  # noqa: F405

"""Test settings for worker subprocesses whose e-mails the test must count: the file-based mail backend
(EMAIL_FILE_PATH from the environment) instead of the in-memory one, which a subprocess cannot share."""
import os

from vendorrisk.settings_test import *  # noqa: F403

EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ["EMAIL_FILE_PATH"]

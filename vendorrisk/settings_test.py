"""Test settings: the real settings, then only speed knobs."""
import os

os.environ.setdefault("DEBUG", "true")

from .settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
# WhiteNoise scans STATIC_ROOT when its middleware starts and warns on every test client when the folder does
# not exist (tests run no collectstatic; the staticfiles finders serve the files).
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405

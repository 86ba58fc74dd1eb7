"""Settings for the test suite.

django-q2 reads `sync` once when it is imported, so it has to be set here: tasks run inline, in the
test process, with the real task code.
"""

import os

from .base import *  # noqa: F403
from .base import BASE_DIR, Q_CLUSTER, database_from_env

# Another name lets two suites run side by side in one checkout (each process of a run shares it).
TEST_SQLITE = BASE_DIR / os.environ.get("RETURNS_DESK_TEST_DB", "db-test.sqlite3")

DEBUG = False
DATABASES = {"default": database_from_env(TEST_SQLITE)}
DATABASES["default"]["TEST"] = {"NAME": None}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # File-backed test database so that threads and processes in tests share it.
    DATABASES["default"]["TEST"] = {"NAME": str(TEST_SQLITE)}

Q_CLUSTER = {**Q_CLUSTER, "sync": True}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Staff sign-in (issue 15): a second factor is asked of managers only in the tests that turn this on.
STAFF_2FA_REQUIRED = False

"""Test settings: the project's settings on PostgreSQL (the machine's, or an embedded one)."""

from tests.services import ensure_database_url

ensure_database_url()

from config.settings import *  # noqa: E402,F403

# Tests use the in-memory channel layer; tests of Redis itself ask for the `redis_url` fixture.
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
LIVE_PUSH_COALESCE_MS = 0  # push inside the request: tests see it at once (the coalescer has its own test)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests
SECURE_SSL_REDIRECT = False
# Browser tests serve pages through uvicorn with DEBUG off: let WhiteNoise find static files
# in the source folders instead of a collected STATIC_ROOT.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT = None
NOTICE_DISPATCH_THREAD = False  # notices go to the worker inside the commit callback: tests see it at once
# Tasks run in the test's own process, and a retry waits for the test to move the clock and
# sweep (no timer threads).
CELERY_BROKER_URL = ""
CELERY_TASK_ALWAYS_EAGER = True
NOTICE_RETRY_IN_PROCESS = False

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    import os
    import tempfile

    DATABASES["default"]["ENGINE"] = "tests.sqlite_backend"  # noqa: F405  (its flush passes the append-only triggers)
    # A file, not Django's shared in-memory test database: there a thread's write (an ABDM answer,
    # a second notice worker) fails at once with "database table is locked" instead of waiting
    # for the lock, as it does on a file (and in the app).
    DATABASES["default"]["TEST"] = {"NAME": os.path.join(tempfile.gettempdir(), f"opdq-tests-{os.getpid()}.sqlite3")}  # noqa: F405

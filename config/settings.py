"""Settings for OPD Queue.

One file for every environment: everything that differs between a laptop, CI and a hospital's
server is an environment variable (see the README's configuration table). With nothing set, the
app runs on SQLite and the in-memory channel layer so a newcomer needs no services.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from None


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", True)

_DEV_SECRET_KEY = "insecure-dev-key-only-for-local-use-set-SECRET_KEY-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY") or (_DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

HOSPITAL_NAME = os.environ.get("HOSPITAL_NAME", "City General Hospital")
# The hospital's registration number (UHID) given to each new patient: {seq} is the running
# number (never reused), {year}/{yy}/{month} restart it per year/month (scheduling.identity).
UHID_PATTERN = os.environ.get("UHID_PATTERN", "{year}{seq:06d}")

# --- ABDM Scan & Share (abdm/, docs/abdm.md): off until the client id, secret and HIP id are set.
ABDM_CLIENT_ID = os.environ.get("ABDM_CLIENT_ID", "")
ABDM_CLIENT_SECRET = os.environ.get("ABDM_CLIENT_SECRET", "")
ABDM_GATEWAY_URL = os.environ.get("ABDM_GATEWAY_URL", "https://dev.abdm.gov.in").rstrip("/")  # the sandbox
ABDM_HIP_ID = os.environ.get("ABDM_HIP_ID", "")
ABDM_CM_ID = os.environ.get("ABDM_CM_ID", "sbx")  # "abdm" in production
ABDM_CERTS_URL = os.environ.get("ABDM_CERTS_URL", f"{ABDM_GATEWAY_URL}/api/hiecm/gateway/v3/certs")
ABDM_CERTS_CACHE_SECONDS = envint("ABDM_CERTS_CACHE_SECONDS", 3600)
ABDM_SHARE_PROFILE_URL = os.environ.get("ABDM_SHARE_PROFILE_URL", "https://phrsbx.abdm.gov.in/share-profile")

INSTALLED_APPS = [
    "daphne",  # runserver serves ASGI (websockets) in development
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",  # trigram lookups for the patient search (a no-op on SQLite)
    "channels",
    "django_htmx",
    "template_partials",
    "django_tables2",
    "django_filters",
    "rest_framework",
    "rest_framework.authtoken",
    "axes",
    "csp",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "scheduling",
    "queues",
    "idempotency",
    "abdm",
    "notices",
]

# Every middleware is async-capable (WhiteNoise through config.static), so under ASGI a request
# crosses into the sync thread once, for its view.
MIDDLEWARE = [
    "config.request_log.request_id_middleware",
    "django.middleware.security.SecurityMiddleware",
    "config.faults.DatabaseFaultMiddleware",
    "config.static.StaticFilesMiddleware",
    "config.browser_security.BrowserSecurityMiddleware",  # after static files: they stay cacheable
    "csp.middleware.CSPMiddleware",
    "config.sessions.SessionMiddleware",  # a session save that meets a database outage is a 503
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.sessions.IdleSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out login into its answer
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.hospital",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# DATABASE_URL selects PostgreSQL in production; without it, SQLite in the project folder.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=envint("DB_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes SQLite's write lock when a transaction starts, so concurrent writers
        # queue up (for up to `timeout` seconds) instead of failing with "database is locked".
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A slot lock that cannot be had within LOCK_TIMEOUT_MS becomes a clear "try again" error
    # instead of a hung request. Set per connection, so it costs no extra round trip.
    DATABASES["default"].setdefault("OPTIONS", {})
    # A database that does not answer is a 503 within about DB_CONNECT_TIMEOUT seconds
    # (config.faults), not a request hanging on the network.
    DATABASES["default"]["OPTIONS"]["connect_timeout"] = envint("DB_CONNECT_TIMEOUT", 2)
    DATABASES["default"]["OPTIONS"]["options"] = f"-c lock_timeout={envint('LOCK_TIMEOUT_MS', 5000)}"
    # Server-side parameter binding lets psycopg prepare the statements a connection repeats
    # (every booking runs the same few), so PostgreSQL stops re-planning them each time.
    DATABASES["default"]["OPTIONS"]["server_side_binding"] = envbool("DB_SERVER_SIDE_BINDING", True)
    # Prepare a statement once a connection has run it this many times (Django turns psycopg's
    # preparing off by default). Set DB_PREPARE_THRESHOLD=0 behind a transaction-mode pgbouncer.
    DATABASES["default"]["OPTIONS"]["prepare_threshold"] = envint("DB_PREPARE_THRESHOLD", 5) or None
    # A connection pool per web process (psycopg_pool): under ASGI every request runs in its own
    # thread, so persistent connections (DB_CONN_MAX_AGE) pile up; a pool reuses a few.
    if envbool("DB_POOL", True) and not DATABASES["default"]["CONN_MAX_AGE"]:
        DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": 1,
            "max_size": envint("DB_POOL_MAX_SIZE", 8),
            # How long a request waits for a pooled connection before it answers 503.
            "timeout": envint("DB_POOL_TIMEOUT", 2),
        }

# --- Metrics (Prometheus) --------------------------------------------------------------------
# /metrics answers only a scraper that sends `Authorization: Bearer <METRICS_TOKEN>`; unset, the
# metrics are off altogether (no middleware, no instrumented database cursor, /metrics is 404).
# With several web processes set PROMETHEUS_MULTIPROC_DIR too (the Procfile empties it at start).
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
if METRICS_TOKEN:
    INSTALLED_APPS.append("django_prometheus")
    MIDDLEWARE = [
        "django_prometheus.middleware.PrometheusBeforeMiddleware",
        *MIDDLEWARE,
        "django_prometheus.middleware.PrometheusAfterMiddleware",
    ]
    _INSTRUMENTED = {
        "django.db.backends.postgresql": "django_prometheus.db.backends.postgresql",
        "django.db.backends.sqlite3": "django_prometheus.db.backends.sqlite3",
    }
    DATABASES["default"]["ENGINE"] = _INSTRUMENTED.get(DATABASES["default"]["ENGINE"], DATABASES["default"]["ENGINE"])

# Threads per web process serving HTTP (config/asgi.py); each holds at most one database
# connection from the pool at a time.
WEB_THREADS = envint("WEB_THREADS", 8)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Channels (websockets) ------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")


def redis_channel_layer(url: str) -> dict:
    """The channels-redis layer on `url` (tests build one on their own Redis with it)."""
    from redis.exceptions import ConnectionError as RedisConnectionError

    return {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [{
            "address": url,
            # redis-py 8 reads with a 5 s socket timeout by default, the same as channels-redis's
            # 5 s blocking receive: idle consumers then crash with TimeoutError. Read longer.
            "socket_timeout": envint("REDIS_SOCKET_TIMEOUT", 15),
            # redis-py 8 also caps a pool at 100 connections and raises (not waits) past it: a burst
            # of boards (re)connecting or leaving at once (each a group_add/discard) crashed consumers.
            "max_connections": envint("REDIS_MAX_CONNECTIONS", 1000),
            # After a Redis restart every pooled connection is dead and redis-py 8 does not retry by
            # default: the first push on each was lost. Reconnect and retry once.
            "retry_on_error": [RedisConnectionError],
        }]},
    }


if REDIS_URL:
    CHANNEL_LAYERS = {"default": redis_channel_layer(REDIS_URL)}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# The cache holds which live screens are open (queues/watchers.py): shared through Redis across
# web processes when REDIS_URL is set. Nothing in it decides a booking.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "opdq",
            "OPTIONS": {"socket_timeout": 2, "socket_connect_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Live screens: committed changes are rendered and pushed by a background thread per web process
# at most once per this many milliseconds per doctor (0: at once, inside the request).
LIVE_PUSH_COALESCE_MS = envint("LIVE_PUSH_COALESCE_MS", 40)
# Live sockets send a heartbeat through the channel layer this often (0: none); a screen that
# misses two and a half says it may be out of date and reconnects.
LIVE_HEARTBEAT_SECONDS = envint("LIVE_HEARTBEAT_SECONDS", 10)

# Staff sockets close as soon as their login loses access (config.access); as a backstop they
# also recheck their login this often, in seconds (0: only when told).
SOCKET_ACCESS_RECHECK_SECONDS = envint("SOCKET_ACCESS_RECHECK_SECONDS", 60)

# --- Auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out login before any password check
    "django.contrib.auth.backends.ModelBackend",
]
# Login lockout (django-axes): this many wrong passwords for one username from one address lock
# that pair out for LOGIN_LOCKOUT_MINUTES; a colleague at the same PC, or the same login from
# another PC, can still log in. A right password resets the count.
AXES_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "config.throttling.login_locked_out"
AXES_VERBOSE = False
# Shared PCs: a session ends after this many idle minutes (config/sessions.py) and its cookie when
# the browser closes.
SESSION_IDLE_MINUTES = envint("SESSION_IDLE_MINUTES", 30)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

# --- Time -----------------------------------------------------------------------------------
# Stored in UTC; a "day" (token numbers, double booking, reports) is the hospital's local day.
LANGUAGE_CODE = "en"
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Kolkata")
USE_I18N = True
USE_TZ = True

# Bookings for a day open this many days ahead (at local midnight): an API booking's booked_at
# may not be earlier (it earns a waiting bonus and breaks ties).
BOOKING_OPENS_DAYS = envint("BOOKING_OPENS_DAYS", 30)

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- REST API -------------------------------------------------------------------------------
# How long a web process remembers an API token's staff member and permissions (0: not at all).
API_TOKEN_CACHE_SECONDS = envint("API_TOKEN_CACHE_SECONDS", 10)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "config.authentication.CachedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "config.api.Pagination",
    "DEFAULT_PARSER_CLASSES": [
        "config.api.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["config.throttling.StaffRateThrottle"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "OPD Queue API",
    "DESCRIPTION": "Outpatient token allocation: doctors, slots, patients, tokens, waiting lists.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["config.permissions.IsStaffMember"],  # the schema is for staff and integrators, not the public
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# How long the API remembers an Idempotency-Key's first answer (idempotency/api.py).
IDEMPOTENCY_KEY_HOURS = envint("IDEMPOTENCY_KEY_HOURS", 24)

# API throttles (config/throttling.py): per staff member, and per address for refused calls.
API_THROTTLE_RATE = os.environ.get("API_THROTTLE_RATE", "600/min")
API_ANON_THROTTLE_RATE = os.environ.get("API_ANON_THROTTLE_RATE", "30/min")

# --- Security (production) ------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # platform health checks often come over plain HTTP
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): scripts, styles, fonts, sounds and sockets from this
# origin only; no inline script or style anywhere (page behaviour lives in static/js, layout in
# static/css), no eval (htmx is told so in base.html), no framing. Bootstrap's form controls
# draw their icons from data: URIs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "media-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024

# --- Logs and error reports -----------------------------------------------------------------
# One JSON object per line (python-json-logger) in production, readable lines while developing;
# every line carries the request's id (config/request_log.py). No patient data: the request
# line has the path without its query string, and the app never logs names or phones.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain" if DEBUG else "json")
if LOG_FORMAT not in {"json", "plain"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or plain, not {LOG_FORMAT!r}")
LOG_REQUESTS = envbool("LOG_REQUESTS", True)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Query strings (patients' names and phones searched for) never reach a log: config/log_filters.py.
    "filters": {
        "request_id": {"()": "config.request_log.RequestIdFilter"},
        "no_query_strings": {"()": "config.log_filters.StripQueryStrings"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"},
        "json": {
            "()": "config.request_log.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT,
                             "filters": ["request_id", "no_query_strings"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.channels.server": {"level": "WARNING"},
        # Without a worker, tasks run in the web process: its console shows the notices
        # (notices.console), not a "task succeeded" line for each.
        "celery.app.trace": {"level": "WARNING"},
        # uvicorn's own access log, if someone turns it on: through the console handler's filter.
        "uvicorn.access": {"handlers": ["console"], "propagate": False, "filters": ["no_query_strings"]},
    },
}

# Sentry: off unless SENTRY_DSN is set; never with patient data (config/sentry.py).
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN:
    from config.sentry import init_sentry

    init_sentry(
        dsn=SENTRY_DSN,
        environment=os.environ.get("SENTRY_ENVIRONMENT", "production"),
        release=os.environ.get("SENTRY_RELEASE") or None,
        traces_sample_rate=float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE", "0")),
    )


# --- Patients' status pages (/s/<code>/) ----------------------------------------------------
# The address printed on slips and in notices (QR code, short URL, the API's status_url), e.g.
# https://opd.example-hospital.in; empty: the host of the request.
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "")
# A client IP that looks up this many unknown codes within the window is refused until it ends.
STATUS_GUESS_LIMIT = envint("STATUS_GUESS_LIMIT", 20)
STATUS_GUESS_WINDOW_SECONDS = envint("STATUS_GUESS_WINDOW_SECONDS", 600)

# --- Background worker (Celery) --------------------------------------------------------------
# The broker is Redis (REDIS_URL unless CELERY_BROKER_URL says otherwise). With neither, there is
# no worker: tasks run in the web process, in a background thread (notices.dispatch).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or REDIS_URL
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_IGNORE_RESULT = True  # results live in the database (the outbox), not the broker
CELERY_TASK_ACKS_LATE = True  # a worker killed mid-task leaves the message for another
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = envint("CELERY_PREFETCH_MULTIPLIER", 4)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # An unacknowledged message comes back after this long (a worker that died holding it).
    "visibility_timeout": envint("CELERY_VISIBILITY_TIMEOUT", 3600),
    # A web process must not hang on a broker that is down: the outbox sweep delivers later.
    "socket_connect_timeout": 2, "socket_timeout": 5, "max_retries": 1,
}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "sweep-outbox": {"task": "notices.sweep_outbox", "schedule": envint("NOTICE_SWEEP_SECONDS", 60)},
    "evening-reminders": {"task": "notices.send_reminders", "schedule": envint("NOTICE_REMINDER_SWEEP_SECONDS", 900)},
    "no-show-sweep": {"task": "queues.sweep_no_shows", "schedule": envint("NO_SHOW_SWEEP_SECONDS", 60)},
}

# --- Notices to patients ---------------------------------------------------------------------
# Committed notices are handed to the worker by a background thread per web process (0: inside
# the commit callback, as the tests do).
NOTICE_DISPATCH_THREAD = envbool("NOTICE_DISPATCH_THREAD", True)
# That thread waits this long after a commit for the rest of a burst, then hands the lot to the
# broker as one message (queues/outbox.py): a patient's SMS leaves at most this much later.
NOTICE_HANDOFF_MS = envint("NOTICE_HANDOFF_MS", 50)
# Patients are told when their estimate moves later by more than this many minutes.
NOTICE_DELAY_MINUTES = envint("NOTICE_DELAY_MINUTES", 15)


def envdict(name: str) -> dict[str, str]:
    """"BOOKED=1107161234,CALLED=1107165678" -> {"BOOKED": "1107161234", "CALLED": "1107165678"}."""
    pairs = [item.split("=", 1) for item in envlist(name, "")]
    if any(len(pair) != 2 for pair in pairs):
        raise ImproperlyConfigured(f"{name} must be KIND=value pairs separated by commas")
    return {key.strip().upper(): value.strip() for key, value in pairs}


# Which channels notices go out on (each only to patients who consented to it), and the backend
# of each: console (the log), or a provider.
NOTICE_CHANNELS = envlist("NOTICE_CHANNELS", "sms,whatsapp,email")
NOTICE_BACKENDS = {
    "sms": os.environ.get("NOTICE_SMS_BACKEND", "console"),  # console | http | msg91 | twilio
    "whatsapp": os.environ.get("NOTICE_WHATSAPP_BACKEND", "console"),  # console | cloud
    "email": os.environ.get("NOTICE_EMAIL_BACKEND", "console"),  # console | django (EMAIL_BACKEND)
}
NOTICE_QUIET_HOURS = os.environ.get("NOTICE_QUIET_HOURS", "21:00-07:00")  # local; empty: none
NOTICE_MAX_PER_TOKEN_PER_DAY = envint("NOTICE_MAX_PER_TOKEN_PER_DAY", 6)
NOTICE_MAX_ATTEMPTS = envint("NOTICE_MAX_ATTEMPTS", 5)
NOTICE_RETRY_SECONDS = envint("NOTICE_RETRY_SECONDS", 30)  # back-off: 30 s, 60 s, 120 s, ...
NOTICE_REDISPATCH_SECONDS = envint("NOTICE_REDISPATCH_SECONDS", 120)  # the sweep re-queues notices idle this long
NOTICE_REMINDER_HOUR = envint("NOTICE_REMINDER_HOUR", 18)  # evening-before reminders from this local hour
NOTICE_HTTP_TIMEOUT_SECONDS = envint("NOTICE_HTTP_TIMEOUT_SECONDS", 10)
NOTICE_COUNTRY_CODE = os.environ.get("NOTICE_COUNTRY_CODE", "91")  # for 10-digit phone numbers
NOTICE_STOP_KEYWORDS = [k.upper() for k in envlist("NOTICE_STOP_KEYWORDS", "STOP,UNSUBSCRIBE,BAND")]
# SMS gateways (notices/backends/sms.py). DLT: TRAI's registered entity and template ids.
SMS_GATEWAY_URL = os.environ.get("SMS_GATEWAY_URL", "")
SMS_API_KEY = os.environ.get("SMS_API_KEY", "")
SMS_SENDER_ID = os.environ.get("SMS_SENDER_ID", "")
SMS_DLT_ENTITY_ID = os.environ.get("SMS_DLT_ENTITY_ID", "")
NOTICE_DLT_TEMPLATES = envdict("NOTICE_DLT_TEMPLATES")
SMS_WEBHOOK_SECRET = os.environ.get("SMS_WEBHOOK_SECRET", "")  # receipts: X-Signature HMAC-SHA256 of the body
TWILIO_API_URL = os.environ.get("TWILIO_API_URL", "https://api.twilio.com")
TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN", "")
TWILIO_FROM = os.environ.get("TWILIO_FROM", "")
TWILIO_STATUS_CALLBACK = os.environ.get("TWILIO_STATUS_CALLBACK", "")  # our /notices/hooks/twilio/ URL
# WhatsApp Cloud API: approved template names per kind, e.g. BOOKED=opd_booked,CALLED=opd_called.
WHATSAPP_API_URL = os.environ.get("WHATSAPP_API_URL", "https://graph.facebook.com/v21.0")
WHATSAPP_PHONE_NUMBER_ID = os.environ.get("WHATSAPP_PHONE_NUMBER_ID", "")
WHATSAPP_TOKEN = os.environ.get("WHATSAPP_TOKEN", "")
WHATSAPP_APP_SECRET = os.environ.get("WHATSAPP_APP_SECRET", "")  # webhooks: X-Hub-Signature-256
WHATSAPP_VERIFY_TOKEN = os.environ.get("WHATSAPP_VERIFY_TOKEN", "")  # the webhook's subscription check
NOTICE_WHATSAPP_TEMPLATES = envdict("NOTICE_WHATSAPP_TEMPLATES")
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "opd@localhost")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
NOTICE_RETRY_IN_PROCESS = envbool("NOTICE_RETRY_IN_PROCESS", True)  # no broker: retry by a timer thread

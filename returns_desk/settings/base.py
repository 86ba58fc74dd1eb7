"""Settings shared by every environment, read from the environment with safe local defaults.

Every variable here is optional; see README.md for the list.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-local-only-secret-key-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = [SITE_URL]

INSTALLED_APPS = [
    "returns_desk.staff.admin_config.DeskAdminConfig",  # django.contrib.admin, open to managers only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_q",
    "django_filters",
    "django_htmx",
    "anymail",
    "returns_desk.core",
    "returns_desk.staff",
    "returns_desk.customers",
    "returns_desk.orders",
    "returns_desk.policies",
    "returns_desk.returns",
    "returns_desk.payments",
    "returns_desk.desk",
    "returns_desk.documents",
    "returns_desk.notifications",
    "returns_desk.portal",
    "returns_desk.insights",
    "returns_desk.demo",
    "returns_desk.wiring",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "returns_desk.core.request_memo.RequestMemoMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "returns_desk.urls"
WSGI_APPLICATION = "returns_desk.wsgi.application"

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
                "returns_desk.desk.context_processors.desk_role",
            ],
        },
    },
]


def database_from_env(default_sqlite_path: Path) -> dict:
    """Build the default database from DATABASE_URL.

    SQLite is tuned so that the web process and the task worker can write at the same time without
    "database is locked": WAL journal, a busy timeout, and IMMEDIATE transactions (a writer takes the
    write lock when its transaction starts, so two writers queue instead of deadlocking on upgrade).
    PostgreSQL keeps connections open between requests and checks them before reuse.
    """
    db = env.db("DATABASE_URL", default=f"sqlite:///{default_sqlite_path}")
    if db["ENGINE"] == "django.db.backends.sqlite3":
        db["OPTIONS"] = {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        }
    else:
        db["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
        db["CONN_HEALTH_CHECKS"] = True
    return db


DATABASES = {"default": database_from_env(BASE_DIR / "db.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# django-q2: the database is the broker unless Redis is configured.
Q_CLUSTER = {
    "name": "returns_desk",
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": 120,
    "retry": 180,
    "max_attempts": 5,
    "catch_up": False,
    "save_limit": 1000,
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "desk:index"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
# The shop's time zone (an IANA name such as "Europe/London"): pages show every time in it, with the zone named
# ("14:05 GMT"), and the customer's status page says which zone that is.
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "media")))

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Returns Desk <returns@shop.example>")

STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env("STRIPE_API_BASE", default="")

SHOP_NAME = env("SHOP_NAME", default="Northwind Outfitters")
# Shared secret of the shop's signed order push (/webhooks/orders/); unset: the webhook refuses everything.
SHOP_WEBHOOK_SECRET = env("SHOP_WEBHOOK_SECRET", default="")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # WeasyPrint and fontTools narrate every render step at INFO.
    "loggers": {name: {"level": "WARNING"} for name in ("weasyprint", "fontTools")},
}
STRIPE_TIMEOUT_SECONDS = env.float("STRIPE_TIMEOUT_SECONDS", default=20.0)
STRIPE_WEBHOOK_TOLERANCE_SECONDS = env.int("STRIPE_WEBHOOK_TOLERANCE_SECONDS", default=300)
# A refund still pending this long is fetched from Stripe by the reconciliation task.
REFUND_RECONCILE_AFTER_MINUTES = env.int("REFUND_RECONCILE_AFTER_MINUTES", default=30)
REFUND_RECONCILE_EVERY_MINUTES = env.int("REFUND_RECONCILE_EVERY_MINUTES", default=15)
REFUND_RETRY_DELAYS_SECONDS = [30, 120, 600, 1800, 3600]

# Periodic tasks, created (or updated) by a post-migrate hook: name -> task and period in minutes.
PERIODIC_TASKS = {
    "reconcile-refunds": {
        "func": "returns_desk.payments.tasks.reconcile_refunds",
        "minutes": REFUND_RECONCILE_EVERY_MINUTES,
    },
    "expire-store-credit": {"func": "returns_desk.payments.tasks.expire_store_credit", "minutes": 24 * 60},
}

RETURNS_WAREHOUSE_ADDRESS = env(
    "RETURNS_WAREHOUSE_ADDRESS",
    default="Northwind Outfitters Returns\nUnit 4, Avonmouth Trade Park\nBristol BS11 9FG\nUnited Kingdom",
)
RETURNS_REPLY_TO_EMAIL = env("RETURNS_REPLY_TO_EMAIL", default="")
# A worker that died while sending is assumed gone after this long; the sweep sends the email again.
EMAIL_SEND_LEASE_MINUTES = env.int("EMAIL_SEND_LEASE_MINUTES", default=10)
PERIODIC_TASKS["send-due-emails"] = {"func": "returns_desk.notifications.tasks.send_due_emails", "minutes": 5}

# Follow-ups, in days after the state a return entered (periods of the periodic tasks below).
SHIP_REMINDER_AFTER_DAYS = env.int("SHIP_REMINDER_AFTER_DAYS", default=5)
EXPIRE_APPROVED_AFTER_DAYS = env.int("EXPIRE_APPROVED_AFTER_DAYS", default=14)
FOLLOWUP_AFTER_DAYS = env.int("FOLLOWUP_AFTER_DAYS", default=3)
SURVEY_AFTER_DAYS = env.int("SURVEY_AFTER_DAYS", default=5)
CLOSE_AFTER_DAYS = env.int("CLOSE_AFTER_DAYS", default=14)

# Sessions read from the cache (Redis in production) and written through to the database.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# Serial returners: this many returns within this many days flags a customer and holds auto-approval.
SERIAL_RETURNER_RETURNS = env.int("SERIAL_RETURNER_RETURNS", default=4)
SERIAL_RETURNER_DAYS = env.int("SERIAL_RETURNER_DAYS", default=90)
# The insights report is worked out at most this often per period (and warmed for the default period).
INSIGHTS_CACHE_SECONDS = env.int("INSIGHTS_CACHE_SECONDS", default=600)
CSRF_FAILURE_VIEW = "returns_desk.core.views.csrf_failure"
PORTAL_LOOKUP_LIMIT = env.int("PORTAL_LOOKUP_LIMIT", default=10)
PORTAL_LOOKUP_WINDOW_SECONDS = env.int("PORTAL_LOOKUP_WINDOW_SECONDS", default=15 * 60)
# Order lookups (portal/throttle.py): PORTAL_LOOKUP_LIMIT failed lookups per client address per window. The
# client is REMOTE_ADDR: behind a proxy, the proxy must hand gunicorn the client's address (PROXY protocol:
# `gunicorn --proxy-protocol --proxy-allow-from <proxy>`), or every customer shares one count. Failures on one
# order number or one email address from all clients together have a far higher ceiling per window (guessing
# from many addresses); the owner then comes in by the emailed link, which lookup failures never block.
PORTAL_LOOKUP_TARGET_LIMIT = env.int("PORTAL_LOOKUP_TARGET_LIMIT", default=100)
PORTAL_LOOKUP_TARGET_WINDOW_SECONDS = env.int("PORTAL_LOOKUP_TARGET_WINDOW_SECONDS", default=60 * 60)
# "Email me a link to my orders": requests per email address and per client address per window (mail-bombing).
PORTAL_LINK_LIMIT_PER_EMAIL = env.int("PORTAL_LINK_LIMIT_PER_EMAIL", default=3)
PORTAL_LINK_LIMIT_PER_CLIENT = env.int("PORTAL_LINK_LIMIT_PER_CLIENT", default=10)
PORTAL_LINK_WINDOW_SECONDS = env.int("PORTAL_LINK_WINDOW_SECONDS", default=60 * 60)
PORTAL_ORDERS_LINK_MAX_AGE_SECONDS = env.int("PORTAL_ORDERS_LINK_MAX_AGE_SECONDS", default=24 * 60 * 60)
PORTAL_ORDERS_LINK_MAX_ORDERS = env.int("PORTAL_ORDERS_LINK_MAX_ORDERS", default=50)
# How the shop prints its order numbers; a customer who types only the digits gets it added.
PORTAL_ORDER_NUMBER_PREFIX = env("PORTAL_ORDER_NUMBER_PREFIX", default="SO-")
# Photos staged during a return request that was never confirmed are deleted after this long.
STAGED_PHOTO_MAX_AGE_HOURS = env.int("STAGED_PHOTO_MAX_AGE_HOURS", default=24)
PERIODIC_TASKS.update(
    {
        "ship-reminders": {"func": "returns_desk.notifications.tasks.send_ship_reminders", "minutes": 60},
        "expire-unshipped": {"func": "returns_desk.returns.tasks.expire_unshipped", "minutes": 60},
        "sla-escalation": {"func": "returns_desk.returns.tasks.escalate_sla_breaches", "minutes": 15},
        "resolved-followups": {"func": "returns_desk.notifications.tasks.send_followups", "minutes": 60},
        "survey-invitations": {"func": "returns_desk.notifications.tasks.send_survey_invitations", "minutes": 60},
        "close-finished": {"func": "returns_desk.returns.tasks.close_finished", "minutes": 60},
        "purge-staged-photos": {"func": "returns_desk.returns.tasks.purge_staged_photos", "minutes": 6 * 60},
        "warm-insights": {"func": "returns_desk.insights.tasks.warm_insights", "minutes": 10},
    }
)

# Inbound email: Mailgun's inbound route posts to /webhooks/inbound-email/, signed with this key.
ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": env("MAILGUN_WEBHOOK_SIGNING_KEY", default="")}
# `manage.py fetch_mail` reads this mailbox: imaps://user:password@host[:port]/FOLDER
IMAP_URL = env("IMAP_URL", default="")
INBOUND_ATTACHMENT_TYPES = ["image/jpeg", "image/png", "image/webp", "application/pdf"]
INBOUND_ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
INBOUND_ATTACHMENT_MAX_COUNT = 5

# --- Webhook replay protection (issue 15: inbound email, order push, Stripe) ---
# A signed webhook is accepted only within this many seconds of its signed time (either way), and each
# signature's token once (core.WebhookReceipt); receipts are purged after the longer of twice that window and
# WEBHOOK_RECEIPT_KEEP_HOURS. Stripe's own tolerance is STRIPE_WEBHOOK_TOLERANCE_SECONDS, its store the event id.
WEBHOOK_MAX_AGE_SECONDS = env.int("WEBHOOK_MAX_AGE_SECONDS", default=300)
WEBHOOK_RECEIPT_KEEP_HOURS = env.int("WEBHOOK_RECEIPT_KEEP_HOURS", default=24)
PERIODIC_TASKS["purge-webhook-receipts"] = {
    "func": "returns_desk.core.webhook_receipts.purge_webhook_receipts",
    "minutes": 60,
}
# --- end of webhook replay protection ---

# --- Timeouts, task queues, Content-Security-Policy, health check (issue 15) ---
# Every outbound call has a deadline: SMTP here, Stripe in STRIPE_TIMEOUT_SECONDS, Redis below, Mailgun's API in
# anymail's own 30 s. A hung mail server then holds a send for seconds, not for ever.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
REDIS_TIMEOUT_SECONDS = env.float("REDIS_TIMEOUT_SECONDS", default=5.0)
if REDIS_URL:
    CACHES["default"]["OPTIONS"] = {
        "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
        "socket_timeout": REDIS_TIMEOUT_SECONDS,
    }
    # django-q2 reads its Redis options from the URL; its blocking read waits 1 s, well inside this.
    Q_CLUSTER["redis"] = (
        f"{REDIS_URL}{'&' if '?' in REDIS_URL else '?'}"
        f"socket_connect_timeout={REDIS_TIMEOUT_SECONDS:g}&socket_timeout={REDIS_TIMEOUT_SECONDS * 2:g}"
    )

# Money, email and documents each have a queue and workers of their own (a django-q2 cluster each), so a hung
# mail server or a slow PDF never holds up a refund. core.tasks routes a task by its module (first prefix that
# matches; anything else goes to the default cluster, which also runs the periodic jobs of no queue). One worker
# process per queue: `manage.py qcluster` and `Q_CLUSTER_NAME=<queue> manage.py qcluster` (Procfile.demo, README).
TASK_QUEUES = {
    "returns_desk.payments.": "money",
    "returns_desk.notifications.": "email",
    "returns_desk.documents.": "documents",
}
Q_CLUSTER["ALT_CLUSTERS"] = {
    "money": {"workers": env.int("Q_WORKERS_MONEY", default=2)},
    "email": {"workers": env.int("Q_WORKERS_EMAIL", default=1), "timeout": 60, "retry": 90},
    "documents": {"workers": env.int("Q_WORKERS_DOCUMENTS", default=1)},
}
# A refund whose task vanished (a killed worker had taken it from Redis) is sent again by this sweep, with the
# same idempotency key: never claimed this long after it was recorded, or its sending lease over.
REFUND_UNCLAIMED_AFTER_SECONDS = env.int("REFUND_UNCLAIMED_AFTER_SECONDS", default=120)
PERIODIC_TASKS["resend-lost-refunds"] = {"func": "returns_desk.payments.tasks.resend_lost_refunds", "minutes": 1}

# Content-Security-Policy (django-csp): scripts and styles only from our own static files, never inline.
INSTALLED_APPS.append("csp")
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "csp.middleware.CSPMiddleware")
# Cache-Control: private, no-store on the desk and the customer's pages (a status page's address is its secret).
MIDDLEWARE.insert(
    MIDDLEWARE.index("csp.middleware.CSPMiddleware") + 1, "returns_desk.core.middleware.NoStoreMiddleware"
)
NO_STORE_URL_PREFIXES = ["/desk/", "/returns/", "/accounts/"]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# /healthz/ names what failed (host, error) only to a caller with this token (?token= or X-Healthz-Token);
# unset, everyone gets just "up"/"down".
HEALTHZ_TOKEN = env("HEALTHZ_TOKEN", default="")
# --- end of timeouts, task queues, CSP, health check ---

# --- Staff sign-in: lockout (django-axes) and a second factor (django-otp) (issue 15) ---
INSTALLED_APPS += ["axes", "django_otp", "django_otp.plugins.otp_totp", "django_otp.plugins.otp_static"]
# request.user.is_verified(): has this session given its second factor (staff.two_factor)?
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "django_otp.middleware.OTPMiddleware",
)
# Last, so that its lockout page passes through every other middleware (CSP, no-store) on the way out.
MIDDLEWARE.append("axes.middleware.AxesMiddleware")
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
# STAFF_LOCKOUT_FAILURES wrong passwords for one username (from anywhere) or from one client address (any
# username) pause signing in there for STAFF_LOCKOUT_MINUTES; a manager lifts it sooner in the admin (Access
# attempts). The address is REMOTE_ADDR, as for the portal's limits: behind a proxy, pass the client's address on.
STAFF_LOCKOUT_FAILURES = env.int("STAFF_LOCKOUT_FAILURES", default=5)
STAFF_LOCKOUT_MINUTES = env.int("STAFF_LOCKOUT_MINUTES", default=15)
AXES_FAILURE_LIMIT = STAFF_LOCKOUT_FAILURES
AXES_COOLOFF_TIME = STAFF_LOCKOUT_MINUTES / 60  # hours, as a float
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "returns_desk.staff.lockout.locked_out"
AXES_HTTP_RESPONSE_CODE = 429
AXES_ENABLE_ADMIN = False  # registered by staff.admin, for managers
AXES_VERBOSE = False  # no banner on every manage.py command
# Managers must sign in with a second factor (an authenticator app, or a single-use recovery code) before they
# reach the desk, the admin or any money action; an agent who set one up is asked for it too (staff.two_factor).
STAFF_2FA_REQUIRED = env.bool("STAFF_2FA_REQUIRED", default=True)
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", default="Returns Desk")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the admin never shows a device's secret key
# --- end of staff sign-in ---

# --- Customer photos: pixel budget, processing in the worker, per-client limits (issue 15) ---
# A photo's pixel count is read from its file's header and refused above this before anything is decoded (a
# 100 KB PNG can declare 36 MP and decode to 100+ MB); decoding and re-encoding happen in the worker
# (returns.tasks.process_photos), and a sweep re-encodes raw uploads whose task was lost after this many minutes.
# 25 MP takes a recent iPhone's default "24 MP" photo (5712 × 4284) and keeps a decode near 100 MB.
PHOTO_MAX_PIXELS = env.int("PHOTO_MAX_PIXELS", default=25_000_000)
PHOTO_PROCESS_SWEEP_AFTER_MINUTES = env.int("PHOTO_PROCESS_SWEEP_AFTER_MINUTES", default=3)
PERIODIC_TASKS["process-pending-photos"] = {"func": "returns_desk.returns.tasks.process_pending_photos", "minutes": 5}
# Photos one client address (portal/throttle.client_address) may send per window, over all its returns.
PHOTO_UPLOAD_LIMIT_PER_CLIENT = env.int("PHOTO_UPLOAD_LIMIT_PER_CLIENT", default=30)
PHOTO_UPLOAD_WINDOW_SECONDS = env.int("PHOTO_UPLOAD_WINDOW_SECONDS", default=60 * 60)
# --- end of customer photos ---

# --- Customer data rights: export, erasure, retention (issue 15) ---
# Customers with no activity (orders, returns, messages, emails, store credit) for this many months are erased by
# a daily task, as a manager's erasure would (desk.customer_data); 0 keeps everything until a manager erases it.
CUSTOMER_RETENTION_MONTHS = env.int("CUSTOMER_RETENTION_MONTHS", default=0)
PERIODIC_TASKS["erase-inactive-customers"] = {
    "func": "returns_desk.desk.customer_data.retention.erase_inactive_customers",
    "minutes": 24 * 60,
}
# --- end of customer data rights ---

# --- Files on S3 (issue 16): in a private bucket when AWS_STORAGE_BUCKET_NAME is set, else MEDIA_ROOT (files.py) ---
from .files import AWS_STORAGE_BUCKET_NAME, MEDIA_SIGNED_URL_SECONDS, bucket_from_env  # noqa: E402, F401

if (_bucket := bucket_from_env()) is not None:
    STORAGES["default"] = _bucket.storage
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"] += _bucket.origins  # photos load from the bucket's links
# --- end of files on S3 ---

# --- JSON logs (LOG_FORMAT=json) and Prometheus metrics at /metrics (METRICS_TOKEN) (issue 16) ---
from .observability import *  # noqa: E402, F403
from .observability import observe  # noqa: E402

observe(INSTALLED_APPS, MIDDLEWARE, LOGGING)
# --- end of JSON logs and metrics ---

"""The one settings module. Every value comes from the environment (see .env.example).

Development defaults need no services at all: SQLite file, Celery tasks run eagerly, email to
the console. Production (DJANGO_DEBUG=false) requires a secret key, allowed hosts and encrypted
connections to PostgreSQL, Redis and SMTP.
"""

from datetime import timedelta
from pathlib import Path

from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from coordinator.env import (
    database_from_url,
    email_from_url,
    env_bool,
    env_int,
    env_list,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", True)
if DEBUG:
    SECRET_KEY = env_str("DJANGO_SECRET_KEY", "dev-only-insecure-key-do-not-use-in-production")
    ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
else:
    SECRET_KEY = env_str("DJANGO_SECRET_KEY")
    ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")
    if not ALLOWED_HOSTS:  # an empty list would answer every request with 400
        raise ImproperlyConfigured("Set the environment variable DJANGO_ALLOWED_HOSTS.")
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be at least 50 random characters.")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "coordinator",
    "patients",
    "plans",
    "insurance",
    "metrics",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "coordinator.middleware.NoStoreMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Before the timeout and second-factor checks: they add a message and answer htmx requests.
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "coordinator.middleware.SessionTimeoutMiddleware",
    "coordinator.middleware.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "coordinator.middleware.PracticeMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "coordinator.urls"
WSGI_APPLICATION = "coordinator.wsgi.application"

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
                "coordinator.context_processors.practice",
            ],
            "builtins": [
                "coordinator.templatetags.money",
                "template_partials.templatetags.partials",
            ],
        },
    }
]

DATABASES = {
    "default": database_from_url(env_str("DATABASE_URL", "sqlite:///db.sqlite3"), BASE_DIR)
}
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # Short interactive queries: JIT compilation costs more than it saves (home page 2.5x slower).
    DATABASES["default"]["OPTIONS"].setdefault("options", "-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "coordinator.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "coordinator.passwords.BreachedPasswordValidator"},
]
# k-anonymity range API; only the first five hex digits of the SHA-1 leave the server.
BREACHED_PASSWORDS_URL = env_str("BREACHED_PASSWORDS_URL", "https://api.pwnedpasswords.com/range/")
BREACHED_PASSWORDS_CHECK = env_bool("BREACHED_PASSWORDS_CHECK", not DEBUG)

# Messages can name patients: keep them server-side, not in a cookie.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24

# Sessions live in the database, keyed by user, so deactivating a user ends all their sessions.
SESSION_ENGINE = "coordinator.sessions"
SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_SECONDS", 30 * 60)
SESSION_ABSOLUTE_SECONDS = env_int("SESSION_ABSOLUTE_SECONDS", 12 * 60 * 60)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_SECONDS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"

# Brute force: lock a username from the address that guessed wrong (the issue's rule). Not the
# address alone: a front desk shares one address, and five typos there must not lock out everyone.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
# Attempts while locked are refused unchecked; they must not restart the wait the page promises.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
# A successful sign-in clears only its own (username, address) failures.
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
# How many reverse proxies stand in front of the app: the client's address is the one the
# outermost of them saw (coordinator.audit.client_ip); lockouts and the audit trail share it.
TRUSTED_PROXY_COUNT = env_int("DJANGO_TRUSTED_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "coordinator.audit.client_ip"
AXES_VERBOSE = False

OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "Coordinator")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True
# The default country for phone numbers typed without a +country code.
PHONE_DEFAULT_REGION = env_str("PHONE_DEFAULT_REGION", "US")

# How eligibility requests (X12 270) reach the payer: a class with submit(request_text) that
# returns the 271, or None when the answer comes back later as an uploaded file.
X12_CLEARINGHOUSE_TRANSPORT = env_str(
    "X12_CLEARINGHOUSE_TRANSPORT", "insurance.clearinghouse.FileTransport"
)

STATIC_URL = "/static/"
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
MEDIA_ROOT = Path(env_str("DJANGO_MEDIA_ROOT", str(BASE_DIR / "media")))

# Email
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Coordinator <no-reply@localhost>")
_email = email_from_url(env_str("EMAIL_URL", "console://"))
EMAIL_BACKEND = _email["backend"]
EMAIL_HOST = _email["host"]
EMAIL_PORT = _email["port"]
EMAIL_HOST_USER = _email["user"]
EMAIL_HOST_PASSWORD = _email["password"]
EMAIL_USE_TLS = _email["use_tls"]
EMAIL_USE_SSL = _email["use_ssl"]
EMAIL_TIMEOUT = 20

# Celery: without a broker, tasks run eagerly in the web process (development only).
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = CELERY_BROKER_URL or "memory://"
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", "") or None
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "coordinator")
# Reminder sends have a queue of their own, so a backlog of them never delays a password reset;
# coordinator.celery.route_task reads this name when a task is sent.
REMINDER_QUEUE = env_str("REMINDER_QUEUE", "reminders")
CELERY_TASK_ROUTES = ("coordinator.celery.route_task",)
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 90
# Acknowledge on receipt, except the tasks that declare acks_late (idempotent ones only).
CELERY_TASK_ACKS_LATE = False
# One message at a time per worker process: with acks_late, a prefetched message would sit
# unacknowledged in a busy worker and come back as a duplicate after the visibility timeout.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT = 30
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# How long Redis waits for the acknowledgement of a delivered message before giving it to
# another worker: longer than the longest task (300 s) plus the longest retry countdown (300 s),
# or a slow task would run twice. Dead workers' messages come back after it; stuck reminders
# come back sooner through the sweep (REMINDER_STUCK_SECONDS).
_visibility_timeout = env_int("CELERY_VISIBILITY_TIMEOUT", 15 * 60)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": _visibility_timeout,
    # Look for messages of dead workers every few seconds, not every 100 s (kombu's default).
    "unacked_restore_interval": max(1, min(10, _visibility_timeout // 10)),
    "unacked_restore_throttle": 1,
}
CELERY_TASK_IGNORE_RESULT = True
# Celery's Django fixup closes the database connection around every task unless told to reuse
# it; coordinator.celery closes failed and old ones instead, as Django does per request.
CELERY_DB_REUSE_MAX = 1000

# Follow-up reminders (plans.reminders): the sweep runs every REMINDER_SWEEP_SECONDS, claims up
# to REMINDER_SWEEP_BATCH rows per transaction, and sends again what stayed queued or sending for
# REMINDER_STUCK_SECONDS (longer than a send's retry countdown and time limit together).
REMINDER_SWEEP_SECONDS = env_int("REMINDER_SWEEP_SECONDS", 60)
REMINDER_SWEEP_BATCH = env_int("REMINDER_SWEEP_BATCH", 1000)
REMINDER_STUCK_SECONDS = env_int("REMINDER_STUCK_SECONDS", 10 * 60)
REMINDER_MAX_ATTEMPTS = env_int("REMINDER_MAX_ATTEMPTS", 8)
# What {plan_link} in a reminder becomes until patient links exist: a page of the practice's
# choosing (its contact page, say). Nothing about the patient or the plan is added to it.
PATIENT_LINK_BASE_URL = env_str("PATIENT_LINK_BASE_URL", "http://127.0.0.1:8000/" if DEBUG else "")

# Text messages (coordinator.sms): console, file, twilio or none.
SMS_BACKEND = env_str("SMS_BACKEND", "console" if DEBUG else "none")
if SMS_BACKEND not in {"console", "file", "twilio", "none"}:
    raise ImproperlyConfigured(
        f"SMS_BACKEND must be console, file, twilio or none, not {SMS_BACKEND!r}."
    )
SMS_FILE_DIR = env_str("SMS_FILE_DIR", str(BASE_DIR / "sent-sms"))
SMS_API_BASE_URL = env_str("SMS_API_BASE_URL", "https://api.twilio.com")
SMS_ACCOUNT_SID = env_str("SMS_ACCOUNT_SID", "")
SMS_AUTH_TOKEN = env_str("SMS_AUTH_TOKEN", "")
SMS_FROM_NUMBER = env_str("SMS_FROM_NUMBER", "")
# The public URL the provider posts replies to, when a proxy makes it differ from what Django
# sees (the signature covers the URL). Empty: the request's own URL.
SMS_WEBHOOK_URL = env_str("SMS_WEBHOOK_URL", "")

# A few short sweeps; scheduled work itself lives in database rows. Each expires before the next.
CELERY_BEAT_SCHEDULE = {
    "sweep-expired-sign-in-data": {
        "task": "coordinator.tasks.sweep_expired_sign_in_data",
        "schedule": 60 * 60,
        "options": {"expires": 30 * 60},
    },
    "sweep-due-reminders": {
        "task": "plans.tasks.sweep_due_reminders",
        "schedule": REMINDER_SWEEP_SECONDS,
        "options": {"expires": max(1, REMINDER_SWEEP_SECONDS * 4 // 5)},
    },
}

# Security headers
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
    }
}

if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    if TRUSTED_PROXY_COUNT > 0:
        # Only a proxy we trust may tell us the original request was HTTPS.
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # __Host- cookies are only accepted over HTTPS, for the whole host, without a Domain.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    # W021 (HSTS preload) stays off on purpose: preloading is a per-domain decision of the operator.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]

    # Protected health information crosses these connections: require TLS unless the operator
    # says the services share a private network (docker-compose on one host).
    if not env_bool("DJANGO_ALLOW_PLAINTEXT_SERVICES", False):
        problems = []
        if DATABASES["default"]["ENGINE"].endswith("postgresql") and DATABASES["default"][
            "OPTIONS"
        ].get("sslmode") not in {"require", "verify-ca", "verify-full"}:
            problems.append("DATABASE_URL needs ?sslmode=require (or verify-full)")
        if not CELERY_BROKER_URL.startswith("rediss://"):
            problems.append("CELERY_BROKER_URL needs rediss://")
        if CELERY_RESULT_BACKEND and not CELERY_RESULT_BACKEND.startswith("rediss://"):
            problems.append("CELERY_RESULT_BACKEND needs rediss://")
        if EMAIL_BACKEND.endswith("smtp.EmailBackend") and not (EMAIL_USE_TLS or EMAIL_USE_SSL):
            problems.append("EMAIL_URL needs smtps:// or ?tls=1")
        if SMS_BACKEND == "twilio" and not SMS_API_BASE_URL.startswith("https://"):
            problems.append("SMS_API_BASE_URL needs https://")
        if problems:
            raise ImproperlyConfigured(
                "Unencrypted connections in production: " + "; ".join(problems)
            )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

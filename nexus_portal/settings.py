"""NEXUS Portal settings.

This is the one place that reads the environment. Development defaults are safe and
embedded (SQLite, eager Celery, local-memory cache); with ``DEBUG=False`` the app
refuses to start without a real ``SECRET_KEY``, ``ALLOWED_HOSTS`` and database.
"""

import re
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)

_DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY)
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the dev server and eager Celery share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    VAR_DIR.mkdir(exist_ok=True)

if not DEBUG:
    if SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("DEBUG=False needs a real SECRET_KEY (50+ random characters).")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("DEBUG=False needs ALLOWED_HOSTS.")
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        raise ImproperlyConfigured("DEBUG=False needs a real DATABASE_URL (PostgreSQL).")

INSTALLED_APPS = [
    "common.apps.AdminConfig",  # the Django admin, behind the second factor
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.forms",  # its widget templates, found with ours (FORM_RENDERER below)
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "common",
    "accounts",
    "centres",
    "enrolment",
    "bookings",
    "webhooks",
    "interviews",
    "capacity",
    "figures",
    "entry_exit",
    "entry_exit.manifests",
    "entry_exit.reconciliation",
    "demo",  # manage.py load_demo_data: uses every app above, used by none
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "common.headers.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "common.headers.PrivateNoStoreMiddleware",  # reads request.user: after authentication
    "django_otp.middleware.OTPMiddleware",
    # Staff past the password step but not the code step: the code step and public pages
    # only. After OTPMiddleware, which tells whether the session is verified.
    "accounts.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "nexus_portal.urls"
WSGI_APPLICATION = "nexus_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Sign-in: a password, then for staff a TOTP code (django-otp); see accounts/views.py.
LOGIN_URL = "common:sign_in"
# The code step (accounts/views.py), named here so common/ need not know the accounts app.
SECOND_FACTOR_URL = "common:verify"
LOGIN_REDIRECT_URL = "centres:list"  # a URL name, so the language prefix is kept
OTP_TOTP_ISSUER = "NEXUS Portal"
# Lets an unconfirmed (inactive) account reach SignInForm.confirm_login_allowed, once its
# password is right, so its owner is told to confirm the address instead of a bare refusal.
AUTHENTICATION_BACKENDS = ["accounts.backends.AccountBackend"]
PASSWORD_RESET_TIMEOUT = 60 * 60 * 3  # seconds; also how long a sign-up confirmation link works

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Internationalisation: English and French with equal standing.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["nexus_portal.formats"]  # dates and times as each language writes them
USE_I18N = True
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_TZ = True

# Widgets render with the project's templates too (templates/common/widgets/).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
if DEBUG:
    Path(STATIC_ROOT).mkdir(exist_ok=True)  # whitenoise warns when it is missing
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

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: Redis when configured, local memory otherwise.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # A Redis that is down must not hold up a request: fail fast, and the
            # lock-outs count in the database meanwhile (common/ratelimit.py).
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: without REDIS_URL tasks run eagerly in-process (the embedded default).
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
# A broker that is down must not hold up a request: fail fast, the outbox relay retries.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}
# The outbox (common/outbox.py): how often the relay hands waiting messages out again,
# and how long a worker's claim on a message lasts before another may take it.
OUTBOX_RELAY_SECONDS = env.int("OUTBOX_RELAY_SECONDS", default=60)
OUTBOX_CLAIM_SECONDS = env.int("OUTBOX_CLAIM_SECONDS", default=5 * 60)
# The Entry/Exit exchange sends a batch every ENTRY_EXIT_BATCH_SECONDS (the real exchange
# runs within about 15 minutes); see "Entry/Exit" below.
ENTRY_EXIT_BATCH_SECONDS = env.int("ENTRY_EXIT_BATCH_SECONDS", default=300)
if ENTRY_EXIT_BATCH_SECONDS < 1:
    raise ImproperlyConfigured(
        "ENTRY_EXIT_BATCH_SECONDS takes a whole number of seconds, 1 or more."
    )
# Webhooks (webhooks/): a delivery's timeout; how many failures in a row pause a
# subscription; plain http:// and private, loopback or link-local addresses are refused
# unless allowed (local development, tests).
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=5.0)
WEBHOOK_PAUSE_AFTER_FAILURES = env.int("WEBHOOK_PAUSE_AFTER_FAILURES", default=10)
WEBHOOK_ALLOW_HTTP = env.bool("WEBHOOK_ALLOW_HTTP", default=False)
WEBHOOK_ALLOW_PRIVATE = env.bool("WEBHOOK_ALLOW_PRIVATE", default=False)
CELERY_BEAT_SCHEDULE = {
    "generate-slots-ahead": {
        "task": "centres.tasks.slots_generate_all_task",
        "schedule": 60 * 60,
    },
    "relay-outbox": {
        "task": "common.tasks.outbox_relay_task",
        "schedule": OUTBOX_RELAY_SECONDS,
    },
    "release-expired-holds": {
        "task": "bookings.tasks.holds_release_expired_task",
        "schedule": 60,
    },
    # Hourly: each centre's local day ends at a different UTC hour.
    "mark-no-shows": {
        "task": "interviews.tasks.appointments_mark_no_shows_task",
        "schedule": 60 * 60,
    },
    "send-appointment-reminders": {
        "task": "bookings.tasks.appointment_reminders_task",
        "schedule": 60 * 60,
    },
    # The Entry/Exit outbound exchange (entry_exit/services/outbound.py): write and send
    # what is pending, then batch everything new and shareable.
    "entry-exit-outbound": {
        "task": "entry_exit.tasks.outbound_batches_run_task",
        "schedule": ENTRY_EXIT_BATCH_SECONDS,
    },
    # Daily: Entry/Exit crossing records past their purge date (legal holds kept).
    "entry-exit-purge": {
        "task": "entry_exit.tasks.crossing_records_purge_task",
        "schedule": crontab(hour=2, minute=30),
    },
    # Hourly: records the programme's figures for the last day that has ended at every
    # centre, once (figures/services.py); a missed night is caught up on the next run.
    "record-programme-figures": {
        "task": "figures.tasks.figures_record_task",
        "schedule": crontab(minute=20),
    },
    # Daily, just after midnight UTC (the date the sweep calls today has turned).
    "sweep-membership-benefits": {
        "task": "enrolment.tasks.membership_benefits_sweep_task",
        "schedule": crontab(hour=0, minute=15),
    },
}

# E-mail: console by default, SMTP when EMAIL_URL says so (e.g. smtp+tls://user:pw@host:587).
_email = env.email_url("EMAIL_URL", default="consolemail://")
# EMAIL_BACKEND names a backend class directly (wins over EMAIL_URL's), e.g. the file
# backend, which writes each message under EMAIL_FILE_PATH.
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default=_email["EMAIL_BACKEND"])
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
EMAIL_HOST = _email.get("EMAIL_HOST", "")
EMAIL_PORT = _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
# Where the site is reached from outside, for links in e-mails and calendar entries.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="NEXUS Portal <no-reply@nexus.example>")

# Security. Sessions and CSRF cookies are secure whenever we are not in DEBUG.
SESSION_COOKIE_HTTPONLY = True
# Signed out after 30 minutes without a request: each request saves the session, which
# pushes its expiry 30 minutes on; closing the browser does not end it before that.
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = False
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Sent on every response by common.headers: nothing inline (no <script> or <style>
# body, no style= or on…= attribute) and nothing from another site. Pages, the admin and
# Swagger UI (/api/docs/) load only our static files. data: images: the favicon is an
# empty data: URL (no request for /favicon.ico), and Swagger UI's stylesheet draws its
# icons as data: SVGs.
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

REST_FRAMEWORK = {
    # Token first: an anonymous request is then told to authenticate (401, with
    # ``WWW-Authenticate: Token``) instead of a bare 403. Tokens are for applicants only;
    # staff use their OTP-verified session (common.api.IsAuthenticatedVerified).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["common.api.IsAuthenticatedVerified"],
    # Per user (or, signed out, per address), and per address whoever is signed in.
    "DEFAULT_THROTTLE_CLASSES": [
        "common.api.AnonRateThrottle",
        "common.api.UserRateThrottle",
        "common.api.AddressRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_RATE_ANON", default="60/minute"),
        "user": env.str("API_RATE_USER", default="120/minute"),
        "address": env.str("API_RATE_ADDRESS", default="300/minute"),
        # The POST actions that take or free a booth, per user.
        "booking": env.str("API_RATE_BOOKING", default="20/minute"),
        # Inbound Entry/Exit batches, per partner (entry_exit/partner_api.py).
        "entry_exit_partner": env.str("API_RATE_ENTRY_EXIT_PARTNER", default="30/minute"),
        # PAXLST manifests, per carrier (entry_exit/manifests/api.py).
        "entry_exit_carrier": env.str("API_RATE_ENTRY_EXIT_CARRIER", default="120/minute"),
    },
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON only, at most API_MAX_BODY_BYTES and API_MAX_JSON_DEPTH deep (common.api).
    "DEFAULT_PARSER_CLASSES": ["common.api.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "common.api.exception_handler",
}

# The largest API request body read (larger: 413) and the deepest JSON nesting (400).
API_MAX_BODY_BYTES = 64 * 1024
API_MAX_JSON_DEPTH = 16

SPECTACULAR_SETTINGS = {
    "TITLE": "NEXUS Portal API",
    "DESCRIPTION": (
        "Version 1: centres and their open interview times (public), and the signed-in "
        "applicant's applications, appointments and earlier-time requests. Every error "
        'is `{"code", "message", "fields"}`.\n\n'
        "Sign in with the portal's session (browser; POSTs need the CSRF token) or send "
        "`Authorization: Token <key>`. Tokens are for applicants only: an administrator "
        "issues one with `manage.py drf_create_token <username>` or in the admin. Staff "
        "are served only through a session that passed the sign-in code step; a staff "
        "token is refused. Messages follow `Accept-Language` (en, fr)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "PREPROCESSING_HOOKS": ["common.api.api_v1_endpoints"],
    "COMPONENT_SPLIT_REQUEST": True,
    # The path converters of common.inputs, as the schema describes them.
    "PATH_CONVERTER_OVERRIDES": {
        "id": {"type": "integer", "minimum": 0, "maximum": 999_999_999_999_999_999},
        "number": {"type": "string", "pattern": "^[A-Za-z0-9]{1,12}$"},
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# Domain settings.
SLOT_HORIZON_DAYS = env.int("SLOT_HORIZON_DAYS", default=180)
# CBP's Enrollment on Arrival: CBP may interview at preclearance once the CBSA part has
# passed, without waiting for the explicit share. Off until the agencies switch it on.
ENROLMENT_ON_ARRIVAL = env.bool("ENROLMENT_ON_ARRIVAL", default=False)
MEMBERSHIP_TERM_YEARS = 5
# How long a chosen time is kept for an applicant while they confirm it.
SLOT_HOLD_MINUTES = env.int("SLOT_HOLD_MINUTES", default=10)
# How long an earlier time found by the waitlist is held for the applicant to accept it.
WAITLIST_OFFER_MINUTES = env.int("WAITLIST_OFFER_MINUTES", default=60)
# How many days before a booked appointment the applicant is reminded of it (one e-mail
# per entry, never for a time booked after the reminder was due).
REMINDER_DAYS_BEFORE = sorted(
    set(env.list("REMINDER_DAYS_BEFORE", cast=int, default=[3, 1])), reverse=True
)
if any(days < 1 for days in REMINDER_DAYS_BEFORE):
    raise ImproperlyConfigured("REMINDER_DAYS_BEFORE takes whole days of 1 or more.")

# Entry/Exit (entry_exit/): which share rules apply (entry_exit/rules.py). Phase 1 is the
# exchange as it stands; phase 2 ("all travellers", Canadian and US citizens included)
# needs legislation first, so it is never a default.
ENTRY_EXIT_PHASE = env.int("ENTRY_EXIT_PHASE", default=1)
if ENTRY_EXIT_PHASE not in (1, 2):
    raise ImproperlyConfigured("ENTRY_EXIT_PHASE is 1 or 2.")
# Records are kept this many years from the day they were received (Customs Act s.93.1).
ENTRY_EXIT_RETENTION_YEARS = env.int("ENTRY_EXIT_RETENTION_YEARS", default=15)
if ENTRY_EXIT_RETENTION_YEARS < 1:
    raise ImproperlyConfigured("ENTRY_EXIT_RETENTION_YEARS takes whole years, 1 or more.")
# The authorised period of a stay, in days, per status category recorded at entry
# (entry_exit/reconciliation/stays.py): a visitor's six months (IRPR s.183(2)) as 183 days
# for US citizens, US permanent residents and foreign nationals; no limit (not listed) for
# Canadian citizens, Registered Indians, permanent residents and protected persons.
ENTRY_EXIT_AUTHORISED_STAY_DAYS = env.json(
    "ENTRY_EXIT_AUTHORISED_STAY_DAYS",
    default={"us_citizen": 183, "lawful_permanent_resident_us": 183, "foreign_national": 183},
)
if not isinstance(ENTRY_EXIT_AUTHORISED_STAY_DAYS, dict) or not all(
    isinstance(days, int) and days >= 1 for days in ENTRY_EXIT_AUTHORISED_STAY_DAYS.values()
):
    raise ImproperlyConfigured(
        "ENTRY_EXIT_AUTHORISED_STAY_DAYS is a JSON object: status category → whole days, 1 or more."
    )
# How outbound files reach the partner (entry_exit/transport.py). "folder": written into
# ENTRY_EXIT_OUTBOX_DIR, for development, tests and a file-drop link.
ENTRY_EXIT_TRANSPORTS = ("folder",)
ENTRY_EXIT_TRANSPORT = env.str("ENTRY_EXIT_TRANSPORT", default="folder")
if ENTRY_EXIT_TRANSPORT not in ENTRY_EXIT_TRANSPORTS:
    raise ImproperlyConfigured(
        f"ENTRY_EXIT_TRANSPORT is one of {', '.join(ENTRY_EXIT_TRANSPORTS)}."
    )
# A relative path is taken from the project directory.
ENTRY_EXIT_OUTBOX_DIR = BASE_DIR / env.str("ENTRY_EXIT_OUTBOX_DIR", default="var/entry_exit/outbox")
# The partners that send inbound batches (entry_exit/partners.py), as JSON:
# {"cbp": {"secret": "...", "sender": "CBP", "source": "us_partner"}}; sender and source
# default to the US partner's. Each request is signed with the partner's secret (HMAC).
ENTRY_EXIT_PARTNERS = env.json("ENTRY_EXIT_PARTNERS", default={})
if not isinstance(ENTRY_EXIT_PARTNERS, dict):
    raise ImproperlyConfigured("ENTRY_EXIT_PARTNERS is a JSON object: partner id → partner.")
for _name, _partner in ENTRY_EXIT_PARTNERS.items():
    if not (
        isinstance(_partner, dict)
        and set(_partner) <= {"secret", "sender", "source"}
        and isinstance(_partner.get("secret"), str)
        and len(_partner["secret"]) >= 32
        and _partner.get("sender", "CBP") in ("CBP", "CBSA")
        and _partner.get("source", "us_partner") in ("us_partner", "cbsa_primary")
        and 1 <= len(_name) <= 64
    ):
        raise ImproperlyConfigured(
            "ENTRY_EXIT_PARTNERS: each partner has a secret of 32 or more characters, and "
            "optionally a sender (CBP, CBSA) and a source (us_partner, cbsa_primary)."
        )
# The air carriers that post PAXLST manifests (entry_exit/manifests/carriers.py), as JSON:
# {"ac": {"secret": "...", "airlines": ["AC"]}}: each carrier's own secret (its requests are
# signed like a partner's) and the IATA airline designators whose flights it may report.
ENTRY_EXIT_CARRIERS = env.json("ENTRY_EXIT_CARRIERS", default={})
if not isinstance(ENTRY_EXIT_CARRIERS, dict):
    raise ImproperlyConfigured("ENTRY_EXIT_CARRIERS is a JSON object: carrier id → carrier.")
for _name, _carrier in ENTRY_EXIT_CARRIERS.items():
    if not (
        isinstance(_carrier, dict)
        and set(_carrier) <= {"secret", "airlines"}
        and isinstance(_carrier.get("secret"), str)
        and len(_carrier["secret"]) >= 32
        and isinstance(_carrier.get("airlines"), list)
        and _carrier["airlines"]
        and all(isinstance(code, str) and 2 <= len(code) <= 3 for code in _carrier["airlines"])
        and re.fullmatch(r"[a-z0-9_.-]{1,48}", _name)
    ):
        raise ImproperlyConfigured(
            "ENTRY_EXIT_CARRIERS: each carrier id is 1 to 48 of a-z 0-9 _ . - and has a secret "
            "of 32 or more characters and a non-empty list of airline designators (airlines)."
        )
# The largest inbound batch the partner endpoint reads (larger: 413). A day's batch
# (about 19,000 records) is about 8 MB.
ENTRY_EXIT_MAX_BATCH_BYTES = env.int("ENTRY_EXIT_MAX_BATCH_BYTES", default=64 * 1024 * 1024)
if ENTRY_EXIT_MAX_BATCH_BYTES < 1024:
    raise ImproperlyConfigured("ENTRY_EXIT_MAX_BATCH_BYTES takes bytes, 1024 or more.")

"""Settings shared by every profile. Everything that differs between machines comes from the environment."""

from __future__ import annotations

from pathlib import Path

import dj_database_url
import xstatic.pkg.bootstrap

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATA_DIR = Path(env_str("EDUDX_DATA_DIR", str(BASE_DIR / "var")))

# The demo secret is public on purpose; production.py refuses to start with it.
DEMO_SECRET_KEY = "edudx-demo-secret-key-not-for-production-use-0123456789abcdef"
SECRET_KEY = env_str("SECRET_KEY", DEMO_SECRET_KEY)
# Separate keys for personal-data encryption and the lookup hash, so rotating the session secret
# never makes stored ID numbers unreadable.
FIELD_ENCRYPTION_KEY = env_str("FIELD_ENCRYPTION_KEY", SECRET_KEY + ":field-encryption")
LOOKUP_HASH_KEY = env_str("LOOKUP_HASH_KEY", SECRET_KEY + ":lookup-hash")

DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "edudx.core",
    "edudx.accounts",
    "edudx.registry",
    "edudx.payments",
    "edudx.procedures",
    "edudx.gradebook",
    "edudx.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "edudx.core.middleware.VietnameseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "edudx.accounts.middleware.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "django.template.context_processors.i18n",
                "edudx.portal.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'edudx.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the task worker read while the other writes; IMMEDIATE
    # transactions make concurrent writers queue instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Parameters bound by the server, and a statement run a few times on a connection prepared there: the busy
    # reads (a policy-scoped query joins six tables) are then planned once per connection instead of on every
    # request — planning was most of their time. DB_PREPARE_THRESHOLD=0 goes back to Django's default (parameters
    # bound in the client, nothing prepared): behind a pooler in transaction mode without prepared-statement
    # support (PgBouncer < 1.21), or should a query meet a limit of server-side binding.
    _prepare_threshold = env_int("DB_PREPARE_THRESHOLD", 5)
    if _prepare_threshold > 0:
        DATABASES["default"]["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": _prepare_threshold}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "edudx.accounts.validators.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Sessions end after 8 idle hours (a working day) and when the browser closes.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Lockout after repeated failures (django-axes).
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
# Locking by user name only is deliberate: a whole school shares one public IP address behind NAT,
# so locking by IP would lock every teacher out because of one mistyped password.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# Our own additions to Django's locale formats (thousands grouping for amounts in đồng).
FORMAT_MODULE_PATH = ["config.formats"]
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [
    ("bootstrap", xstatic.pkg.bootstrap.BASE_DIR),
    BASE_DIR / "static",
]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(DATA_DIR / "media")))
SIGNING_CA_DIR = Path(env_str("SIGNING_CA_DIR", str(DATA_DIR / "ca")))
# The address printed in QR codes of issued documents (the public verification page lives under it).
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Uploads larger than this are refused before they are read (imports check their own, smaller limits).
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# Text messages to applicants: a class with send(phone, text); production plugs in its SMS gateway's adapter.
SMS_BACKEND = env_str("SMS_BACKEND", "edudx.core.sms.ConsoleSmsBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "EduDX <no-reply@edudx.local>")

REDIS_URL = env_str("REDIS_URL", "")

# Background work: database queue by default, RQ on Redis when REDIS_URL is set.
TASK_BACKEND = env_str("TASK_BACKEND", "rq" if REDIS_URL else "db")
if TASK_BACKEND == "rq":
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    RQ_QUEUES = {"default": {"URL": REDIS_URL or "redis://127.0.0.1:6379/0"}}
elif TASK_BACKEND == "immediate":
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "edudx.accounts.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "edudx.core.http.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "EduDX API",
    "DESCRIPTION": "API của nền tảng chuyển đổi số ngành giáo dục EduDX.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Several models have a "kind" or "status" field with different choices: name each enum after its model's.
    "ENUM_NAME_OVERRIDES": {
        "SheetKindEnum": "edudx.gradebook.models.SheetKind.choices",
        "SheetStatusEnum": "edudx.gradebook.models.SheetStatus.choices",
        "DossierStateEnum": "edudx.procedures.states.DossierState.choices",
        "CalendarDayKindEnum": "edudx.procedures.models.CalendarDayKind.choices",
    },
}

# Imports: size limit in bytes and the row count above which the import runs as a background task.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 20 * 1024 * 1024)
IMPORT_BACKGROUND_ROWS = env_int("IMPORT_BACKGROUND_ROWS", 500)

# Log-in with the national electronic identity (OpenID Connect, code flow with PKCE). Off unless the
# provider is configured: OIDC_VNEID_ISSUER (its discovery document lives under
# <issuer>/.well-known/openid-configuration), OIDC_VNEID_CLIENT_ID, OIDC_VNEID_CLIENT_SECRET (empty for a
# public client) and OIDC_VNEID_SCOPES; register <site>/accounts/oidc/vneid/callback/ as the redirect URI
# (or set OIDC_VNEID_REDIRECT_URI when the site sits behind a proxy that hides its public address).
OIDC_PROVIDERS: dict[str, dict[str, str]] = {}
if env_str("OIDC_VNEID_ISSUER", ""):
    OIDC_PROVIDERS["vneid"] = {
        "issuer": env_str("OIDC_VNEID_ISSUER"),
        "client_id": env_str("OIDC_VNEID_CLIENT_ID"),
        "client_secret": env_str("OIDC_VNEID_CLIENT_SECRET", ""),
        "scopes": env_str("OIDC_VNEID_SCOPES", "openid profile email phone"),
        "redirect_uri": env_str("OIDC_VNEID_REDIRECT_URI", ""),
        "name": "Đăng nhập bằng tài khoản định danh điện tử",
    }

# Roles whose holders must enrol a second factor before using the platform.
TWO_FACTOR_REQUIRED_ROLES = {"authority_leader", "authority_specialist", "security_officer", "principal"}
OTP_TOTP_ISSUER = "EduDX"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # WeasyPrint logs every rendering step; pyHanko a traceback for every signature it rejects
        # (which verification reports to the user in Vietnamese anyway).
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "pyhanko": {"level": "ERROR"},
    },
}

# Payments (VietQR collection). References are PREFIX + 8 symbols + a check symbol; every prefix listed is
# recognised in transfer contents. Webhook secrets come from the database (encrypted) and from
# PAYMENTS_WEBHOOK_SECRETS ("BANK:secret,BANK:secret"). The simulated bank is for DEBUG and the demo only.
PAYMENTS_REFERENCE_PREFIX = env_str("PAYMENTS_REFERENCE_PREFIX", "DX")
PAYMENTS_REFERENCE_PREFIXES = env_list("PAYMENTS_REFERENCE_PREFIXES", "DX,HP")
PAYMENTS_WEBHOOK_SECRETS = env_list("PAYMENTS_WEBHOOK_SECRETS", "")
PAYMENTS_WEBHOOK_TOLERANCE_SECONDS = env_int("PAYMENTS_WEBHOOK_TOLERANCE_SECONDS", 300)
# Empty: follow DEBUG (the demo profile turns DEBUG on after this file is read).
PAYMENTS_SIMULATOR_ENABLED = env_str("PAYMENTS_SIMULATOR_ENABLED", "")
PAYMENTS_STATEMENT_MAX_BYTES = env_int("PAYMENTS_STATEMENT_MAX_BYTES", 2 * 1024 * 1024)
PAYMENTS_RECEIPT_FORM_SYMBOL = env_str("PAYMENTS_RECEIPT_FORM_SYMBOL", "01BLP0-001")
PAYMENTS_RECEIPT_SERIES_FORMAT = env_str("PAYMENTS_RECEIPT_SERIES_FORMAT", "AA-{yy}E")

"""Production: refuses to start with anything that is only fit for the demo."""

from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_str

from .base import *  # noqa: F403
from .base import DATABASES, DEBUG, DEMO_SECRET_KEY, SECRET_KEY

if SECRET_KEY == DEMO_SECRET_KEY or len(SECRET_KEY) < 40:
    raise ImproperlyConfigured("SECRET_KEY must be set to a private value of at least 40 characters in production.")
if DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production.")
if env_str("FIELD_ENCRYPTION_KEY", "") == "":
    raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY must be set in production.")

STORAGES = {
    "default": {"BACKEND": env_str("FILE_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage")},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
SECURE_HSTS_SECONDS = 3600
SECURE_CONTENT_TYPE_NOSNIFF = True

# Keep database connections between requests (a new PostgreSQL connection costs more than a light request);
# DB_CONN_MAX_AGE=0 goes back to one connection per request, e.g. behind a transaction-pooling proxy.
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

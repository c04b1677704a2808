"""Settings of the local federation: SQLite in a directory of its own, no
admin, no templates; the entity and authority apps of spid-cie-oidc."""

import os

SECRET_KEY = "local-federation-only-never-deployed"  # noqa: S105 - a local test federation
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "spid_cie_oidc.accounts",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "spid_cie_oidc.entity",
    "spid_cie_oidc.authority",
]
AUTH_USER_MODEL = "spid_cie_oidc_accounts.User"
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
ROOT_URLCONF = "federation_local.urls"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.path.join(os.environ["FEDERATION_DIR"], "federation.sqlite3"),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "Europe/Rome"
OIDCFED_TRUST_ANCHOR = os.environ.get("FEDERATION_BASE", "") + "/"
OIDCFED_TRUST_ANCHORS = [OIDCFED_TRUST_ANCHOR]
LOGGING = {"version": 1, "disable_existing_loggers": True}

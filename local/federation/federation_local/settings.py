"""Settings of the local federation: SQLite in a directory of its own, no
admin; the entity, authority and provider apps of spid-cie-oidc, with pages
of our own (templates/) for the providers' login and consent."""

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
    "spid_cie_oidc.provider",
]
AUTH_USER_MODEL = "spid_cie_oidc_accounts.User"
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "federation_local.providers.ProviderUrls",
    "django.middleware.common.CommonMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [os.path.join(os.path.dirname(__file__), "templates")],
        "APP_DIRS": False,
        "OPTIONS": {"context_processors": ["federation_local.providers.on_every_page"]},
    }
]
# Not "sessionid": Chiave's stack is on the same host (cookies ignore the port).
SESSION_COOKIE_NAME = "federation_local_session"
SESSION_COOKIE_SAMESITE = "Lax"
OIDCFED_PROVIDER_SALT = "local-federation-only"
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
FEDERATION_BASE = os.environ.get("FEDERATION_BASE", "")
OIDCFED_TRUST_ANCHOR = FEDERATION_BASE + "/"
OIDCFED_TRUST_ANCHORS = [OIDCFED_TRUST_ANCHOR]
# The package's warnings (why a provider refused a request) in DIR/federation.log.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": True,
    "handlers": {
        "file": {
            "class": "logging.FileHandler",
            "filename": os.path.join(os.environ["FEDERATION_DIR"], "federation.log"),
        }
    },
    "loggers": {
        "spid_cie_oidc": {"handlers": ["file"], "level": "WARNING"},
        "django.request": {"handlers": ["file"], "level": "ERROR"},
    },
}

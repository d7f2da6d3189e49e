"""Django settings of the OAuth 2.0 test peer (django-oauth-toolkit), see scripts/peers/oauth.

Everything that varies per run comes from the environment set by scripts/peers/oauth:
OAUTH_PEER_DIR (holds the SQLite database) and OAUTH_PEER_SECRET_KEY.
"""
import os

PEER_DIR = os.environ["OAUTH_PEER_DIR"]

SECRET_KEY = os.environ["OAUTH_PEER_SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "peer_urls"
WSGI_APPLICATION = "peer_wsgi.application"
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "oauth2_provider",
]

MIDDLEWARE = [
    "peer_middleware.RequestCounterMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Headless login: the user named by the X-Remote-User header is logged in (created on the fly).
    "peer_middleware.HeaderRemoteUserMiddleware",
]

AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.RemoteUserBackend"]

# Parallel token requests gave "database is locked" until IMMEDIATE transactions and WAL (PEERS.md).
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.path.join(PEER_DIR, "db.sqlite3"),
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL;",
            "timeout": 20,
        },
    }
}

# No templates are rendered on the paths the tests use (skip_authorization, JSON answers), but
# Django's error views want a backend.
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}]

OAUTH2_PROVIDER = {
    "PKCE_REQUIRED": True,
    # Only S256: "plain" and a missing code_challenge_method are refused.
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ACCESS_TOKEN_EXPIRE_SECONDS": int(os.environ.get("OAUTH_PEER_ACCESS_TOKEN_SECONDS", "5")),
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "SCOPES": {
        "read": "Read",
        "write": "Write",
        "profile": "Profile",
        "email": "Email",
    },
    "DEFAULT_SCOPES": ["read"],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["stderr"], "level": "WARNING"},
    "loggers": {"oauth2_provider": {"handlers": ["stderr"], "level": "INFO", "propagate": False}},
}

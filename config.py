"""Atrium configuration: one class per environment, secrets and endpoints from env."""

from __future__ import annotations

import os
from pathlib import Path

from flask_appbuilder.const import AUTH_DB

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_PATH = Path(os.environ.get("ATRIUM_INSTANCE_DIR", BASE_DIR / "instance"))

#: Values that must never be used as a production secret.
INSECURE_SECRET_KEYS = frozenset({"", "change-me", "dev", "secret", "development-key"})
MIN_SECRET_KEY_LENGTH = 32

LANGUAGES = {
    "en": {"flag": "gb", "name": "English"},
    "ru": {"flag": "ru", "name": "Русский"},
    "it": {"flag": "it", "name": "Italiano"},
    "pt": {"flag": "pt", "name": "Português"},
    "nb": {"flag": "no", "name": "Norsk bokmål"},
}


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _default_database_url() -> str:
    return f"sqlite:///{INSTANCE_PATH / 'atrium.db'}"


class Config:
    """Settings shared by every environment."""

    APP_NAME = "Atrium"
    APP_ICON = "/static/atrium/logo.svg"
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    #: Embedded mode may generate and keep a secret in instance/secret-key.
    GENERATE_SECRET_KEY = True
    INSTANCE_DIR = str(INSTANCE_PATH)

    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or _default_database_url()
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    #: SQLite waits this long for a lock before giving up (milliseconds).
    SQLITE_BUSY_TIMEOUT_MS = 5000

    #: Explicit Redis URL; when empty the embedded one from instance/redis.url is used.
    REDIS_URL = os.environ.get("REDIS_URL", "")
    RQ_QUEUE_NAME = "atrium"
    RQ_ASYNC = True
    JOB_RUN_RETENTION_DAYS = _env_int("JOB_RUN_RETENTION_DAYS", 30)

    STORAGE_DIR = os.environ.get("STORAGE_DIR") or str(INSTANCE_PATH / "storage")
    REPORTS_DIR = str(BASE_DIR / "reports")

    #: Where people reach this Atrium; links in e-mails start with it.
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000").rstrip("/")
    #: How long the rating links of a satisfaction survey mail work (seconds).
    SURVEY_TOKEN_MAX_AGE = _env_int("SURVEY_TOKEN_MAX_AGE", 30 * 24 * 3600)
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = _env_int("MAIL_PORT", 25)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", False)
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "atrium@localhost")
    MAIL_TIMEOUT = _env_int("MAIL_TIMEOUT", 30)
    #: Inbound mail larger than this is refused whole (bytes).
    MAIL_MAX_MESSAGE_BYTES = _env_int("MAIL_MAX_MESSAGE_BYTES", 40 * 1024 * 1024)
    #: Attempts at sending one mail when the server answers 4xx, with their delays.
    MAIL_SEND_RETRY_INTERVALS = (60, 300, 900, 3600)

    #: Reverse proxies in front of Atrium whose X-Forwarded-* headers are trusted.
    #: Keep 0 when clients connect directly: otherwise they could spoof their IP.
    PROXY_COUNT = _env_int("PROXY_COUNT", 0)

    ADMIN_PASSWORD = os.environ.get("ADMIN_PASSWORD", "")
    DEMO_DATA = _env_bool("DEMO_DATA", True)
    DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "")

    # Flask-AppBuilder
    AUTH_TYPE = AUTH_DB
    AUTH_ROLE_ADMIN = "Admin"
    AUTH_ROLE_PUBLIC = "Public"
    AUTH_RATE_LIMITED = True
    AUTH_RATE_LIMIT = "10 per 20 second"
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    FAB_SECURITY_MANAGER_CLASS = "app.security.AtriumSecurityManager"
    FAB_UPDATE_PERMS = False
    FAB_CREATE_DB = False
    FAB_ADD_SECURITY_API = False
    FAB_API_MAX_PAGE_SIZE = 100
    FAB_API_SWAGGER_UI = True
    FAB_INDEX_VIEW = "app.views.home.HomeView"
    FAB_BASE_TEMPLATE = "atrium/baselayout.html"

    # Languages
    LANGUAGES = LANGUAGES
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    #: FAB prepends its own catalogs; ours (and our FAB additions) override them.
    BABEL_TRANSLATION_DIRECTORIES = ";".join(
        [str(BASE_DIR / "translations" / "fab"), str(BASE_DIR / "translations")]
    )

    # Cookies and CSRF
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    #: Largest single attachment (form, REST or mail), in bytes.
    ATTACHMENT_MAX_BYTES = _env_int("ATTACHMENT_MAX_BYTES", 25 * 1024 * 1024)
    #: Files one message may carry.
    ATTACHMENTS_PER_MESSAGE = 10
    #: A whole request: a few full-size files plus the form around them.
    MAX_CONTENT_LENGTH = 4 * ATTACHMENT_MAX_BYTES + 1024 * 1024
    MAX_FORM_PARTS = 100

    @classmethod
    def validate(cls, config: dict) -> None:
        """Refuse settings that would make this environment unsafe."""


class DevelopmentConfig(Config):
    """Embedded mode (`make run`): SQLite, embedded Redis, a generated secret."""

    DEBUG = False


class TestingConfig(Config):
    """The test suite: a throwaway database per test, synchronous jobs."""

    TESTING = True
    SECRET_KEY = "testing-secret-key-which-is-long-enough-0123456789"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    WTF_CSRF_ENABLED = False
    RQ_ASYNC = False
    AUTH_RATE_LIMITED = False
    RATELIMIT_ENABLED = False
    ADMIN_PASSWORD = "admin-test-password"
    JWT_SECRET_KEY = SECRET_KEY
    #: Nothing listens there: a test that sends mail points this at its SMTP sink.
    MAIL_SERVER = "127.0.0.1"
    MAIL_PORT = 9
    MAIL_TIMEOUT = 5
    MAIL_DEFAULT_SENDER = "Atrium Support <support@atrium-desk.com>"


class ProductionConfig(Config):
    """Production: PostgreSQL, external Redis, secure cookies, a real secret."""

    GENERATE_SECRET_KEY = False
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True

    @classmethod
    def validate(cls, config: dict) -> None:
        """Refuse to start with a missing, default or short SECRET_KEY."""
        secret = config.get("SECRET_KEY") or ""
        if secret in INSECURE_SECRET_KEYS or len(secret) < MIN_SECRET_KEY_LENGTH:
            raise RuntimeError(
                "SECRET_KEY is missing, a default value or shorter than "
                f"{MIN_SECRET_KEY_LENGTH} characters; set a long random SECRET_KEY."
            )


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    """The configuration class named by ATRIUM_ENV (default: development)."""
    name = os.environ.get("ATRIUM_ENV", "development").strip().lower()
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"Unknown ATRIUM_ENV {name!r}") from None

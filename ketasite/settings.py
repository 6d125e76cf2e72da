"""The one settings module for ketasite, driven by environment variables.

Safe by default: DEBUG is off unless DJANGO_DEBUG says otherwise, and with DEBUG off the site
refuses to start without DJANGO_SECRET_KEY. See README.md, "Configuration".
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name, default):
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_float(name, default):
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else default


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)
TESTING = env_bool("KETASITE_TESTING", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG:
        # Only for local development; a production start without a key is refused below.
        SECRET_KEY = "django-insecure-development-only-key"  # noqa: S105
    else:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it to a long random value, or set "
            "DJANGO_DEBUG=true for local development."
        )

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
# The public base URL used in feeds, sitemaps, JSON-LD and W3C annotation ids when there is no
# request to build it from (commands, publish-time rendering).
SITE_URL = os.environ.get("KETASITE_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SITE_NAME = os.environ.get("KETASITE_SITE_NAME", "ketasite")

INSTALLED_APPS = [
    "ketasite.admin_site.EditorialAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "taggit",
    "axes",
    "csp",
    "accounts",
    "articles",
    "evidence",
    "pagecache",
    "claims",
    "public",
    "reviewers",
    "spotting",
    "django_tasks",
    "django_tasks_db",
    "jobs",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "ketasite.middleware.RefuseNulCharactersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # A database outage raised by a view becomes a 503 page (or the API error shape).
    "ketasite.middleware.DatabaseUnavailableMiddleware",
    # Cache hits of known public pages, before the address is resolved (inside the 503
    # answer: a hit may read the public generation from the database).
    "public.caching.PublicCacheMiddleware",
    # AxesMiddleware turns a lock-out into a response; it must come last.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ketasite.urls"
WSGI_APPLICATION = "ketasite.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Connections persist (CONN_MAX_AGE) as on PostgreSQL: opening one per request costs
    # more than the request (the schema is parsed and Django's functions registered anew).
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    # Writers take SQLite's write lock when their transaction begins, so concurrent writers
    # wait (up to the timeout) instead of failing at once with "database is locked" when a
    # read transaction tries to upgrade itself to a write.
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
    # Write-ahead logging: readers never block the writer, and a commit needs no fsync of its
    # own (synchronous=NORMAL is durable across application crashes, as SQLite documents).
    DATABASES["default"]["OPTIONS"].setdefault(
        "init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
if IS_POSTGRES and not env_bool("KETASITE_POSTGRES_JIT", False):
    # PostgreSQL's JIT compiles any query whose estimated cost passes jit_above_cost, which on
    # large tables includes short web queries: it cost a mail job 0.5 s of compiling for an
    # 11 ms query (docs/scale.md). Off per connection unless KETASITE_POSTGRES_JIT=true.
    _pg_options = DATABASES["default"].setdefault("OPTIONS", {})
    _pg_options["options"] = (_pg_options.get("options", "") + " -c jit=off").strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
CACHE_KEY_PREFIX = os.environ.get("KETASITE_CACHE_PREFIX", "ketasite")
# Seconds django-redis waits to connect to Redis, and for each reply. A page makes a handful
# of cache calls, and a hung Redis (it accepts, never answers) costs each one the full wait,
# so these stay small: a healthy Redis on the same network answers in about a millisecond.
REDIS_CONNECT_TIMEOUT = env_float("KETASITE_REDIS_CONNECT_TIMEOUT", 0.2)
REDIS_TIMEOUT = env_float("KETASITE_REDIS_TIMEOUT", 0.2)
if REDIS_CONNECT_TIMEOUT <= 0 or REDIS_TIMEOUT <= 0:
    # 0 would make the sockets non-blocking and every cache call fail.
    raise ImproperlyConfigured(
        "KETASITE_REDIS_CONNECT_TIMEOUT and KETASITE_REDIS_TIMEOUT must be more than 0 seconds."
    )
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "TIMEOUT": env_int("KETASITE_CACHE_SECONDS", 600),
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": REDIS_CONNECT_TIMEOUT,
                "SOCKET_TIMEOUT": REDIS_TIMEOUT,
                # Redis going away must leave the site working, uncached: see the warning log.
                "IGNORE_EXCEPTIONS": True,
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    DJANGO_REDIS_LOGGER = "ketasite.cache"
else:
    CACHES = {
        "default": {
            "BACKEND": "ketasite.cache.LocalMemoryCache",
            "LOCATION": "ketasite",
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "TIMEOUT": env_int("KETASITE_CACHE_SECONDS", 600),
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Refuses nothing: Django tells it of every password change, and it revokes the user's
    # API tokens then (see accounts.passwords).
    {"NAME": "accounts.passwords.RevokeApiTokensOnPasswordChange"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
if TESTING:
    # Fast hashing keeps the suite quick; production keeps Django's default.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LANGUAGE_CODE = "en"
TIME_ZONE = os.environ.get("KETASITE_TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Where `collectstatic` writes; a test running beside another suite points it elsewhere.
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Nothing a user uploads is kept as a file: imports are stored as bytes in ImportRecord.
MEDIA_ROOT = BASE_DIR / "media-unused"
FILE_UPLOAD_MAX_MEMORY_SIZE = env_int("KETASITE_IMPORT_MAX_BYTES", 5 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("KETASITE_IMPORT_MAX_BYTES", 5 * 1024 * 1024) + 65536
DATA_UPLOAD_MAX_NUMBER_FILES = env_int("KETASITE_UPLOAD_MAX_FILES", 50)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000

LOGIN_URL = "admin:login"

# Security. Everything below is safe by default outside DEBUG; `manage.py check --deploy` is clean.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
# Set DJANGO_SECURE_PROXY_SSL_HEADER=true only behind a proxy that sets X-Forwarded-Proto itself.
if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many proxies of our own sit in front of the app, each appending the address it saw to
# X-Forwarded-For. 0: the client is REMOTE_ADDR and the header is ignored, so a client cannot
# name itself. The throttles, the lock-out and the password-reset limits all follow it
# (`ketasite.ratelimit.client_address`).
KETASITE_NUM_PROXIES = env_int("KETASITE_NUM_PROXIES", 0)
if KETASITE_NUM_PROXIES < 0:
    raise ImproperlyConfigured("KETASITE_NUM_PROXIES must be 0 or more.")
SESSION_COOKIE_SECURE = not DEBUG and not TESTING
CSRF_COOKIE_SECURE = not DEBUG and not TESTING
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

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

# django-axes: lock out after repeated failed logins (admin and the API token endpoint).
AXES_FAILURE_LIMIT = env_int("KETASITE_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env_bool("KETASITE_AXES_ENABLED", True)
# A plain page (429) that says when to try again; the same for every account name.
AXES_LOCKOUT_CALLABLE = "ketasite.middleware.lockout_response"
# The failure is kept while locked out (a guess during lock-out restarts the cool-off).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = True
# The lock-out names the client as the throttles do (KETASITE_NUM_PROXIES), whether or not
# django-ipware is installed; AXES_IPWARE_* settings are then not used.
AXES_CLIENT_IP_CALLABLE = "ketasite.ratelimit.client_address"
# Password-reset links stay valid for one hour.
PASSWORD_RESET_TIMEOUT = 3600
# Reset requests: at most this many mails to one address, and this many requests from one
# client, per window. Over the address limit the answer is the usual one and no mail is sent.
KETASITE_RESET_LIMIT_PER_ADDRESS = env_int("KETASITE_RESET_LIMIT_PER_ADDRESS", 3)
KETASITE_RESET_LIMIT_PER_CLIENT = env_int("KETASITE_RESET_LIMIT_PER_CLIENT", 10)
KETASITE_RESET_WINDOW_MINUTES = env_int("KETASITE_RESET_WINDOW_MINUTES", 60)
# API tokens stop authenticating this many days after they were issued.
KETASITE_TOKEN_DAYS = env_int("KETASITE_TOKEN_DAYS", 30)

REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes an anonymous editorial request a 401.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "ketasite.api.ApiPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_PARSER_CLASSES": ["ketasite.api.SafeJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["ketasite.api.ApiJSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "ketasite.api.FallbackContentNegotiation",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "ketasite.api.api_exception_handler",
    # OPTIONS describes nothing the OpenAPI schema does not: 405 rather than a second source.
    "DEFAULT_METADATA_CLASS": None,
    # Signed-in requests are counted per user at the user rate, anonymous ones per address.
    "DEFAULT_THROTTLE_CLASSES": [
        "ketasite.api.PublicAnonRateThrottle",
        "ketasite.api.FixedWindowUserThrottle",
    ],
    "NUM_PROXIES": KETASITE_NUM_PROXIES,
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("KETASITE_THROTTLE_ANON", "120/min"),
        "user": os.environ.get("KETASITE_THROTTLE_USER", "1200/min"),
        "token": os.environ.get("KETASITE_THROTTLE_TOKEN", "10/min"),
    },
    "DATETIME_FORMAT": "iso-8601",
    "UNICODE_JSON": True,
    "COMPACT_JSON": True,
    "STRICT_JSON": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ketasite API",
    "DESCRIPTION": (
        "Published, evidence-rated health articles, and the editorial workflow.\n\n"
        "Every error has one shape: `{detail, code, errors?}` (`errors` maps fields to messages, "
        "only for invalid input). Public endpoints are anonymous and read published content "
        "only; they carry `ETag` (and `Last-Modified` where one time describes the content) and "
        "answer conditional requests with 304. Editorial endpoints need `Authorization: Token "
        "<key>` (from `POST /api/v1/auth/token/`; a token expires after "
        f"{KETASITE_TOKEN_DAYS} days, and `DELETE /api/v1/auth/token/` revokes it at once) "
        "or a session with a CSRF token; writes to an "
        "article or annotation need `If-Match` with the ETag you read (412 when stale, 428 when "
        "missing). Annotations are also served as W3C Web Annotations (JSON-LD) with "
        "`Accept: application/ld+json` or `?format=jsonld`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "CertaintyEnum": "evidence.models.Annotation.Certainty",
        "VerdictEnum": "evidence.models.Annotation.Verdict",
        "ArticleStateEnum": "articles.models.Article.State",
        "SourceDesignEnum": "evidence.models.Source.Design",
        "AnnotationStatusEnum": "evidence.models.Annotation.Status",
        "AnnotationStatusChangeEnum": "evidence.api.STATUS_CHANGES",
        "WorkflowActionEnum": "articles.api.WORKFLOW_ACTIONS",
        "DiffStatusEnum": "articles.api.DIFF_STATUSES",
    },
}

EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "ketasite <noreply@localhost>")

# ketasite's own settings.
KETASITE_SEEDS_DIR = Path(
    os.environ.get("KETASITE_SEEDS_DIR", BASE_DIR.parent / "shared" / "seeds")
)
KETASITE_IMPORT_MAX_BYTES = env_int("KETASITE_IMPORT_MAX_BYTES", 5 * 1024 * 1024)
KETASITE_ALLOW_SELF_APPROVAL = env_bool("KETASITE_ALLOW_SELF_APPROVAL", False)
# The site's default review interval, in months: one of 3, 6, 12, 18, 24, 36 (the values an
# article or a tag may also have). It was once a number of days; the old name is refused
# rather than silently read in the wrong unit.
if "KETASITE_REVIEW_INTERVAL_DAYS" in os.environ:
    raise ImproperlyConfigured(
        "KETASITE_REVIEW_INTERVAL_DAYS is replaced by KETASITE_REVIEW_INTERVAL_MONTHS "
        "(months: 3, 6, 12, 18, 24 or 36)."
    )
KETASITE_REVIEW_INTERVAL_MONTHS = env_int("KETASITE_REVIEW_INTERVAL_MONTHS", 12)
if KETASITE_REVIEW_INTERVAL_MONTHS not in (3, 6, 12, 18, 24, 36):
    raise ImproperlyConfigured(
        f"KETASITE_REVIEW_INTERVAL_MONTHS is {KETASITE_REVIEW_INTERVAL_MONTHS}; use 3, 6, 12, "
        "18, 24 or 36."
    )
KETASITE_SHARE_LINK_DAYS = env_int("KETASITE_SHARE_LINK_DAYS", 7)
# Whole anonymous public pages are cached (purged on publish); off only to measure the cost.
KETASITE_PUBLIC_CACHE = env_bool("KETASITE_PUBLIC_CACHE", True)
# The PostgreSQL text-search configuration (stemming, stop words) of the stored search vector
# and of every query. After changing it, `manage.py rerender_publications` stores the vectors
# again with the new one. SQLite ignores it (its search matches words as they are typed).
KETASITE_SEARCH_CONFIG = os.environ.get("KETASITE_SEARCH_CONFIG", "english")
# Anonymous searches per client address (a signed-in user is not counted): each new query is
# a database search, not a cached page, so this rate is lower than the API's anonymous one.
KETASITE_THROTTLE_SEARCH = os.environ.get("KETASITE_THROTTLE_SEARCH", "30/min")
# Adds the /_bench/bare/ yardstick view for `make bench`; never on otherwise.
KETASITE_BENCH = env_bool("KETASITE_BENCH", False)

# Background jobs (docs/jobs.md) through the Django Tasks API (the django-tasks backport).
# "database": django-tasks-db, the default, needs nothing but the database (`manage.py
# jobs_worker`). "rq": RQ on REDIS_URL, for workers on several machines. "immediate": runs each
# job in the process that starts it (the test suite's default, so a test sees the mail a
# request sends; the job tests use the database backend and a real worker).
KETASITE_JOB_BACKEND = os.environ.get(
    "KETASITE_JOB_BACKEND", "immediate" if TESTING else "database"
).strip().lower()
JOB_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "rq": "django_tasks_rq.RQBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
if KETASITE_JOB_BACKEND not in JOB_BACKENDS:
    raise ImproperlyConfigured(
        f"KETASITE_JOB_BACKEND must be one of {', '.join(JOB_BACKENDS)}, "
        f"not {KETASITE_JOB_BACKEND!r}."
    )
if KETASITE_JOB_BACKEND == "rq":
    if not REDIS_URL:
        raise ImproperlyConfigured("KETASITE_JOB_BACKEND=rq needs REDIS_URL.")
    INSTALLED_APPS.append("django_rq")
    # RQ keeps its own connection: a job's enqueue must wait longer than a page's cache call.
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 3600}}
TASKS = {"default": {"BACKEND": JOB_BACKENDS[KETASITE_JOB_BACKEND]}}
# A running job writes a heartbeat every few seconds; one silent for this long lost its worker
# (killed, machine gone) and is retried, or failed after KETASITE_JOB_MAX_ATTEMPTS.
KETASITE_JOB_STALE_SECONDS = env_int("KETASITE_JOB_STALE_SECONDS", 60)
KETASITE_JOB_HEARTBEAT_SECONDS = env_float("KETASITE_JOB_HEARTBEAT_SECONDS", 5)
KETASITE_JOB_MAX_ATTEMPTS = env_int("KETASITE_JOB_MAX_ATTEMPTS", 3)
# `jobs_worker` lowers its own CPU priority by this much (os.nice; 0 keeps it), so a worker on
# the same machine as the app servers never slows the pages down: they get the CPU first.
# 0 under the test suite, whose in-process worker calls would lower the suite's own priority.
KETASITE_JOBS_WORKER_NICE = env_int("KETASITE_JOBS_WORKER_NICE", 0 if TESTING else 10)
# Zip uploads to the admin import: refused whole, before anything is written, beyond these.
# Each import that makes a new draft queues a job that spots its claims (spotting/queue.py);
# off, a draft is spotted when its suggestions are first read.
KETASITE_SPOT_ON_IMPORT = env_bool("KETASITE_SPOT_ON_IMPORT", True)
KETASITE_IMPORT_MAX_FILES = env_int("KETASITE_IMPORT_MAX_FILES", 2000)
KETASITE_IMPORT_MAX_ARCHIVE_BYTES = env_int("KETASITE_IMPORT_MAX_ARCHIVE_BYTES", 100 * 1024 * 1024)
KETASITE_IMPORT_MAX_UNPACKED_BYTES = env_int(
    "KETASITE_IMPORT_MAX_UNPACKED_BYTES", 500 * 1024 * 1024
)
KETASITE_IMPORT_MAX_RATIO = env_int("KETASITE_IMPORT_MAX_RATIO", 100)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
}

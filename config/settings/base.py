"""Settings shared by every environment. Everything comes from the environment, with safe defaults.

DEBUG is off unless DJANGO_DEBUG says otherwise; SECRET_KEY has no default here (local/test provide one,
production requires it). DATABASE_URL unset → an SQLite file; REDIS_URL unset → Celery runs tasks eagerly and the
cache is process-local memory.
"""

import hashlib
import tempfile
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF, UNSAFE_INLINE

from common.file_secrets import load_file_secrets
from common.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
env_file = BASE_DIR / ".env"
# DJANGO_READ_DOT_ENV=false: the process environment only (settings tests must not see a developer's .env).
if env.bool("DJANGO_READ_DOT_ENV", default=True) and env_file.exists():
    environ.Env.read_env(str(env_file), overwrite=False)
# Secrets may come from files (NAME_FILE, e.g. Docker/Kubernetes secrets): common/file_secrets.py.
load_file_secrets()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default=None)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "corsheaders",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_prometheus",
    "csp",
    "channels",
    "django.contrib.postgres",
    "common",
    "users",
    "learning",
    "executor",
    "resources",
    "roadmaps",
    "agents",
]

MIDDLEWARE = [
    "common.middleware.RequestIdMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "common.middleware.ApiPathMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "common.security.CachedPolicyCSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "common.middleware.ApiBodySizeMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "common.middleware.ApiExceptionMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"
# Every /api/ route answers with and without a trailing slash without redirecting (ApiPathMiddleware).
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

# --- Database -------------------------------------------------------------------------------------------------------
# An empty DATABASE_URL (as .env.example, hence `make run`'s .env, has it) means the default too.
DATABASE_URL = env("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
DATABASES = {"default": env.db_url_config(DATABASE_URL)}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# PostgreSQL connections come from a bounded pool per process (psycopg 3's pool, built into Django ≥ 5.1), the same
# for web (ASGI or WSGI), Celery workers and beat. Under ASGI every synchronous request runs in a thread of its own,
# so per-thread persistent connections (CONN_MAX_AGE > 0) piled up to PostgreSQL's max_connections; the pool keeps
# at most DB_POOL_MAX_SIZE open per process (a request waits up to DB_POOL_TIMEOUT seconds for one, then gets a JSON
# 503) and hands each request a connection already open. DB_POOL=false falls back to a connection per request
# (DB_CONN_MAX_AGE, 0 by default: never persistent per thread), e.g. behind PgBouncer in transaction mode.
DB_POOL = env.bool("DB_POOL", default=True)
DB_POOL_MIN_SIZE = env.int("DB_POOL_MIN_SIZE", default=1)
DB_POOL_MAX_SIZE = env.int("DB_POOL_MAX_SIZE", default=8)
DB_POOL_TIMEOUT = env.float("DB_POOL_TIMEOUT", default=1.0)
DB_POOL_MAX_IDLE = env.float("DB_POOL_MAX_IDLE", default=300.0)
# When every connection of the process is checked out (busy, not down), a request keeps waiting up to this many more
# seconds before its 503 (common/dbpool.py); 0 → DB_POOL_TIMEOUT is the whole wait.
DB_POOL_QUEUE_TIMEOUT = env.float("DB_POOL_QUEUE_TIMEOUT", default=10.0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env.int("DB_CONNECT_TIMEOUT", default=3)
    if DB_POOL:
        DATABASES["default"]["CONN_MAX_AGE"] = 0  # a pooled connection goes back to the pool after each request
        DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": min(DB_POOL_MIN_SIZE, DB_POOL_MAX_SIZE),
            "max_size": DB_POOL_MAX_SIZE,
            "timeout": DB_POOL_TIMEOUT,
            "max_idle": DB_POOL_MAX_IDLE,
            "name": "pathwise",
        }
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=0)
else:
    # SQLite: wait on a locked database instead of failing at once; WAL lets readers run beside a writer.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
# Threads per ASGI worker that run requests (common/asgi.py): a request waiting on PostgreSQL or Redis does not hold
# up the others. Keep it below DB_POOL_MAX_SIZE. SQLite (the embedded default) stays at one: its writers would only
# wait on each other's locks.
ASGI_REQUEST_THREADS = env.int("ASGI_REQUEST_THREADS", default=4 if IS_POSTGRES else 1)
# Threads in all per ASGI worker: the ones past ASGI_REQUEST_THREADS serve requests waiting on a job (a code run, a
# submission, a roadmap) with their request slot and database connection given back (common/slots.py).
ASGI_MAX_THREADS = env.int("ASGI_MAX_THREADS", default=32)
# Query counts, durations and errors in /internal/metrics: django-prometheus' wrapper of the same backend (the vendor,
# hence every `connection.vendor` check, is unchanged). PostgreSQL only: ~+10 µs a query there, but its SQLite wrapper
# builds a cursor class per cursor (~+35 µs on a 12 µs query). Measured with bench/metrics_overhead.py.
METRICS_DB = env.bool("METRICS_DB", default=True)
if IS_POSTGRES:
    # Django's backend, counted by django-prometheus when METRICS_DB, with a pool that queues while every connection
    # is busy instead of answering 503 (common/db/postgresql/base.py, common/dbpool.py).
    DATABASES["default"]["ENGINE"] = "common.db.postgresql"

# --- Cache and Celery -----------------------------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
# The cache (and the rate limits counted in it) may live in a Redis of its own that evicts under memory pressure
# (volatile-lru), while the broker's (REDIS_URL: tasks, beat's schedule and lock, the WebSocket layer, heartbeats)
# never evicts. Unset: the same Redis as the broker.
CACHE_REDIS_URL = env("CACHE_REDIS_URL", default="") or REDIS_URL
CACHE_KEY_PREFIX = env("CACHE_KEY_PREFIX", default="pathwise")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "common.redis_cache.MetricsRedisCache",
            "LOCATION": CACHE_REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "pathwise",
            "KEY_PREFIX": CACHE_KEY_PREFIX,
        }
    }
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# Where rate limits and login lockouts are counted: a store every process shares. "cache" only when the cache is
# shared (Redis); otherwise "sqlite": a small file of its own that every process on this host opens (atomic upserts,
# common/counters.py), so the embedded default's two gunicorn workers count together.
# (Empty values, as .env.example has them, mean the default.)
RATE_LIMIT_STORE = env("RATE_LIMIT_STORE", default="") or ("cache" if REDIS_URL else "sqlite")
if RATE_LIMIT_STORE not in ("cache", "sqlite"):
    raise ValueError(f"RATE_LIMIT_STORE must be 'cache' or 'sqlite', not {RATE_LIMIT_STORE!r}")
RATE_LIMIT_SQLITE_PATH = env("RATE_LIMIT_SQLITE_PATH", default="") or str(BASE_DIR / "ratelimits.sqlite3")

# --- Channels (WebSockets): Redis in production so a Celery worker's event reaches every web process; in the embedded
# default the in-memory layer plus a fan-out over Unix datagram sockets to the other processes of this host
# (common/channel_layer.py), in a private directory per database.
ASGI_APPLICATION = "config.asgi.application"
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": f"{CACHE_KEY_PREFIX}:ws", "capacity": 200, "expiry": 30},
        }
    }
else:
    _CHANNELS_DIR = Path(tempfile.gettempdir()) / (
        "pathwise-ws-" + hashlib.sha256(f"{BASE_DIR}|{DATABASE_URL}".encode()).hexdigest()[:12]
    )
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "common.channel_layer.HostChannelLayer",
            "CONFIG": {"directory": env("CHANNEL_LAYER_DIR", default="") or str(_CHANNELS_DIR), "capacity": 200},
        }
    }
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TIMEZONE = "UTC"
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Remote control (`celery inspect/control`, the pidbox queues and the broadcast channel) is off on the executor's
# workers: their Redis user reads no queue but its own and may not publish broadcasts (a sandbox escape must not be
# able to shut other workers down). Readiness and metrics use heartbeats, not broadcast pings.
CELERY_WORKER_ENABLE_REMOTE_CONTROL = env.bool("CELERY_WORKER_ENABLE_REMOTE_CONTROL", default=True)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)}
# HA scheduling: with Redis, beat keeps its schedule in Redis (celery-redbeat) and holds a lock there while it ticks,
# so two or more beat replicas are safe: one fires each job, the others wait and take over within
# CELERY_REDBEAT_LOCK_TIMEOUT seconds of the active one dying. Without Redis, beat keeps its local schedule file.
if REDIS_URL:
    CELERY_BEAT_SCHEDULER = "redbeat.RedBeatScheduler"
    CELERY_REDBEAT_REDIS_URL = REDIS_URL
    CELERY_REDBEAT_KEY_PREFIX = f"{CACHE_KEY_PREFIX}:redbeat:"
    CELERY_BEAT_MAX_LOOP_INTERVAL = env.int("CELERY_BEAT_MAX_LOOP_INTERVAL", default=5)
    CELERY_REDBEAT_LOCK_TIMEOUT = env.int("CELERY_REDBEAT_LOCK_TIMEOUT", default=30)

# --- Auth -----------------------------------------------------------------------------------------------------------
AUTH_USER_MODEL = "users.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

JWT_ACCESS_MINUTES = env.int("JWT_ACCESS_MINUTES", default=60)
JWT_REFRESH_DAYS = env.int("JWT_REFRESH_DAYS", default=1)
JWT_ROTATE_REFRESH_TOKENS = env.bool("JWT_ROTATE_REFRESH_TOKENS", default=False)
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=JWT_ACCESS_MINUTES),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=JWT_REFRESH_DAYS),
    "ROTATE_REFRESH_TOKENS": JWT_ROTATE_REFRESH_TOKENS,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": "HS256",
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
}

# --- REST framework -------------------------------------------------------------------------------------------------
# Login: 5 failures per 15 minutes per (username, IP) and 20 attempts a minute per IP; register: 5 an hour per IP.
THROTTLE_RATES = {
    "login_failures": env("THROTTLE_LOGIN_FAILURES", default="5/15m"),
    "login_ip": env("THROTTLE_LOGIN_IP", default="20/1m"),
    "register_ip": env("THROTTLE_REGISTER_IP", default="5/1h"),
    "anon": env("THROTTLE_ANON", default="600/1m"),
    "user": env("THROTTLE_USER", default="1200/1m"),
}
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["users.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # DRF's JSON, plus: nesting depth and lone surrogates refused with a 400; never a 500 rendering an echo.
    "DEFAULT_PARSER_CLASSES": ["common.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["common.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "common.pagination.HeaderLimitOffsetPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": ["common.throttling.AnonBurstThrottle", "common.throttling.UserBurstThrottle"],
    "EXCEPTION_HANDLER": "common.exceptions.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "common.openapi.AutoSchema",  # documents 429 on every throttled operation
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Client IP is REMOTE_ADDR unless NUM_PROXIES trusted proxies append to X-Forwarded-For.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "PAGE_SIZE": 50,
}
PAGINATION_DEFAULT_LIMIT = 50
# Catalogue search (resources/hybrid.py): lexical matching fused with dense similarity, query understanding and the
# semantic fill; false = the lexical search alone (for comparison, or to shed the embedding model's ~20 MB).
RESOURCES_SEARCH_HYBRID = env.bool("RESOURCES_SEARCH_HYBRID", default=True)
# A search page (its items and headers) is kept this long for the same URL; a catalogue write shows at once, a new
# rating or view count within this many seconds. 0 turns the page cache off.
RESOURCES_SEARCH_PAGE_CACHE_SECONDS = env.int("RESOURCES_SEARCH_PAGE_CACHE_SECONDS", default=30)
PAGINATION_MAX_LIMIT = 200
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES
# Deepest nesting of arrays/objects a JSON body may have (common/parsers.py); the API's own bodies use ≤ 4 levels.
API_MAX_JSON_DEPTH = env.int("API_MAX_JSON_DEPTH", default=64)

SPECTACULAR_SETTINGS = {
    "TITLE": "Pathwise API",
    "DESCRIPTION": "AI-assisted learning platform: learning paths, code execution, agents, roadmaps, resources.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/",
    "ENUM_NAME_OVERRIDES": {
        "LearningStyleEnum": "common.choices.LearningStyle",
        "DifficultyEnum": "common.choices.Difficulty",
        "MediaTypeEnum": "common.choices.MediaType",
        "ProgressStatusEnum": "learning.models.ProgressStatus",
        "AgentTypeEnum": "agents.models.AgentType",
        "QuestionTypeEnum": "learning.models.QuestionType",
        "GraphEdgeTypeEnum": "agents.serializers.EDGE_TYPES",
        "AwardTierEnum": "learning.gamification.serializers.TIERS",
        "SpaNodeTypeEnum": "agents.spa.serializers.NODE_TYPES",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "common.openapi.allow_empty_query_values",
        "common.openapi.mark_aliases",
    ],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
}

# Paths served only because a client calls them there: alias prefix → canonical prefix (marked in the schema).
OPENAPI_ALIASES = {
    "/api/auth/": "/api/users/auth/",
    "/api/learning/assessment/": "/api/assessment/",
}

# --- Security headers -----------------------------------------------------------------------------------------------
# One policy for the JSON API, the Swagger UI / ReDoc pages (self-hosted sidecar assets, Swagger's init script served
# as a separate same-origin file) and the Django admin: scripts only from this origin, no inline or eval'd script.
# Inline *styles* are allowed: Swagger UI's and ReDoc's pages carry a <style> block and ReDoc injects styles at run
# time; it also starts a blob: web worker. Checked by tests/common/test_security_headers.py.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "worker-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# --- CORS -----------------------------------------------------------------------------------------------------------
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=["http://localhost:3000"])
CORS_EXPOSE_HEADERS = ["X-Total-Count", "X-Total-Count-Estimated", "Link", "Retry-After"]
CORS_URLS_REGEX = r"^/api/.*$"

# --- I18N, static ---------------------------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# JSON lines (time, level, logger, message, request_id, extra fields) with secrets redacted; LOG_FORMAT=plain for a
# human-readable line. See common/logs.py.
LOGGING = logging_config(level=env("LOG_LEVEL", default="INFO"), fmt=env("LOG_FORMAT", default="json"))

# --- Metrics (Prometheus, django-prometheus) -------------------------------------------------------------------------
# GET /internal/metrics (not under /api/) answers only a client in METRICS_ALLOWED_NETWORKS (its address as the
# throttles see it, i.e. after NUM_PROXIES) or one sending `Authorization: Bearer <METRICS_TOKEN>`; anyone else gets
# a 404. Production allows no network unless told (a reverse proxy on the same host would make every client look
# local). With several gunicorn workers, PROMETHEUS_MULTIPROC_DIR aggregates them (gunicorn.conf.py sets it up).
METRICS_TOKEN = env("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=["127.0.0.0/8", "::1/128"])

# --- Code execution (executor/) -------------------------------------------------------------------------------------
# auto: bwrap when it can run here (root + bubblewrap + built runtime), else docker when an engine answers.
EXECUTOR_BACKEND = env("EXECUTOR_BACKEND", default="auto")
EXECUTOR_RUNTIME_DIR = env("EXECUTOR_RUNTIME_DIR", default="/opt/pathwise-sandbox")
EXECUTOR_STATE_DIR = env("EXECUTOR_STATE_DIR", default="/run/pathwise-executor")
# The bwrap backend bounds each run's memory and processes with a cgroup per slot; without usable cgroups the worker
# refuses to start unless an operator accepts per-process limits only (shared memory, memfds and forked children
# then escape the memory limit).
EXECUTOR_ALLOW_WEAKER_LIMITS = env.bool("EXECUTOR_ALLOW_WEAKER_LIMITS", default=False)
EXECUTOR_BWRAP_PATH = env("EXECUTOR_BWRAP_PATH", default="/usr/bin/bwrap")
# Concurrent sandboxes per host, each under its own uid (EXECUTOR_UID_BASE + slot).
EXECUTOR_SLOTS = env.int("EXECUTOR_SLOTS", default=2)
EXECUTOR_UID_BASE = env.int("EXECUTOR_UID_BASE", default=64000)
EXECUTOR_DOCKER_URL = env("EXECUTOR_DOCKER_URL", default="unix:///var/run/docker.sock")
EXECUTOR_DOCKER_IMAGE = env("EXECUTOR_DOCKER_IMAGE", default="pathwise-sandbox:latest")
EXECUTOR_USER_RATE = env("EXECUTOR_USER_RATE", default="10/1m")
EXECUTOR_USER_CONCURRENCY = env.int("EXECUTOR_USER_CONCURRENCY", default=2)
EXECUTOR_QUEUE_CAP = env.int("EXECUTOR_QUEUE_CAP", default=200)
# How long POST /code/execute/ waits beyond the run's wall limit before answering 202 with the id to poll.
EXECUTOR_WAIT_MARGIN_SECONDS = env.float("EXECUTOR_WAIT_MARGIN_SECONDS", default=3.0)
THROTTLE_RATES["code_runs"] = EXECUTOR_USER_RATE
# /api/health/ and /ready/ also show whether code can run here (learning/sandbox.py; informational, never a 503).
HEALTH_EXTRA_CHECKS = ["learning.sandbox.health_check"]
# Readiness (/api/health/ready/) with a broker also requires a live worker per queue (a heartbeat each worker writes
# every HEALTH_HEARTBEAT_INTERVAL seconds; dead after HEALTH_WORKER_TTL) and, for the executor queue, a usable
# sandbox on at least one of them. HEALTH_WORKER_QUEUES lists the queues that must have one.
HEALTH_WORKER_QUEUES = env.list("HEALTH_WORKER_QUEUES", default=["default", "executor", "llm", "scrape", "reco"])
HEALTH_HEARTBEAT_KEY = env("HEALTH_HEARTBEAT_KEY", default=f"{CACHE_KEY_PREFIX}:workers")
HEALTH_HEARTBEAT_INTERVAL = env.float("HEALTH_HEARTBEAT_INTERVAL", default=10.0)
HEALTH_WORKER_TTL = env.float("HEALTH_WORKER_TTL", default=35.0)
# Every task's queue is chosen here, never by a `queue=` task attribute (Celery 6 drops those; 5.x warns):
# tests/common/test_task_routes.py resolves each registered task through the router.
CELERY_TASK_ROUTES = {
    "executor.*": {"queue": "executor"},
    "learning.grade_submission": {"queue": "executor"},
    "learning.reap_submissions": {"queue": "executor"},
    "resources.scrape_job_run": {"queue": "scrape"},
    "resources.reap_scrape_jobs": {"queue": "scrape"},
}
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_BEAT_SCHEDULE = {
    "reap-stuck-code-runs": {"task": "executor.reap_runs", "schedule": 60.0},
    "reap-stuck-submissions": {"task": "learning.reap_submissions", "schedule": 60.0},
    "prune-finished-jobs": {"task": "common.prune_jobs", "schedule": 6 * 3600.0},
    "reap-stuck-scrape-jobs": {"task": "resources.reap_scrape_jobs", "schedule": 600.0},
    "prune-expired-sessions": {"task": "users.prune_sessions", "schedule": 24 * 3600.0},
    "prune-search-log": {"task": "agents.prune_search_log", "schedule": 24 * 3600.0},
}
# The search box's query log (popular/trending, the staff dashboard's queries without results) is kept this long.
SEARCH_LOG_RETENTION_DAYS = env.int("SEARCH_LOG_RETENTION_DAYS", default=60)
# Finished job rows (the agents' Task history and the source of their metrics) are kept this long.
JOB_RETENTION_DAYS = env.int("JOB_RETENTION_DAYS", default=90)
# Open jobs of kinds without a reaper of their own are failed after this long (longer than any task's time limit).
JOB_REAP_AFTER_SECONDS = env.int("JOB_REAP_AFTER_SECONDS", default=3600)
CELERY_BEAT_SCHEDULE["reap-stuck-jobs"] = {"task": "common.reap_jobs", "schedule": 600.0}

# --- Resources: search and scraping (resources/) ---------------------------------------------------------------------
# The scraper identifies itself, obeys robots.txt (user-agent token "PathwiseBot"), waits between requests to a host,
# and bounds every fetch: connect/read timeouts, a total deadline, a body cap and at most 5 redirects.
SCRAPER_USER_AGENT = env(
    "SCRAPER_USER_AGENT", default="PathwiseBot/1.0 (learning-resource catalogue; obeys robots.txt)"
)
SCRAPER_CONNECT_TIMEOUT = env.float("SCRAPER_CONNECT_TIMEOUT", default=5.0)
SCRAPER_READ_TIMEOUT = env.float("SCRAPER_READ_TIMEOUT", default=10.0)
SCRAPER_TOTAL_TIMEOUT = env.float("SCRAPER_TOTAL_TIMEOUT", default=30.0)
SCRAPER_MAX_BODY_BYTES = env.int("SCRAPER_MAX_BODY_BYTES", default=5 * 1024 * 1024)
SCRAPER_MAX_REDIRECTS = env.int("SCRAPER_MAX_REDIRECTS", default=5)
SCRAPER_HOST_DELAY_SECONDS = env.float("SCRAPER_HOST_DELAY_SECONDS", default=1.0)
SCRAPER_MAX_ITEMS_PER_SOURCE = env.int("SCRAPER_MAX_ITEMS_PER_SOURCE", default=200)
# Soft time limit of one scrape job (the hard limit is a minute later); the job runs on the Celery queue "scrape".
SCRAPER_JOB_SOFT_TIME_LIMIT = env.int("SCRAPER_JOB_SOFT_TIME_LIMIT", default=1800)
# "ip:port" pairs exempt from the SSRF guard's "globally routable only" rule. Deliberately not read from the
# environment: empty in every deployment; the tests allow exactly their one loopback test server.
SCRAPER_ALLOWED_ADDRESSES: list[str] = []

# --- LLM provider (common/llm.py) ------------------------------------------------------------------------------------
# Unset LLM_BASE_URL → the built-in offline provider (no network). Any OpenAI-compatible server otherwise
# (https://api.openai.com/v1, http://localhost:11434/v1 for Ollama, a vLLM server…).
LLM_BASE_URL = env("LLM_BASE_URL", default="")
LLM_API_KEY = env("LLM_API_KEY", default="")
LLM_MODEL = env("LLM_MODEL", default="gpt-4o-mini")
LLM_TIMEOUT_SECONDS = env.float("LLM_TIMEOUT_SECONDS", default=30.0)
LLM_CONNECT_TIMEOUT_SECONDS = env.float("LLM_CONNECT_TIMEOUT_SECONDS", default=5.0)
LLM_MAX_RETRIES = env.int("LLM_MAX_RETRIES", default=2)

# --- Roadmaps (roadmaps/) --------------------------------------------------------------------------------------------
# POST /api/roadmaps/generate waits this long for the generation before answering 202 with the roadmap to poll.
ROADMAP_WAIT_SECONDS = env.float("ROADMAP_WAIT_SECONDS", default=20.0)
THROTTLE_RATES["roadmap_generate"] = env("THROTTLE_ROADMAP_GENERATE", default="20/1h")
THROTTLE_RATES["chat_message"] = env("THROTTLE_CHAT_MESSAGE", default="30/1m")
CELERY_TASK_ROUTES["roadmaps.*"] = {"queue": "llm"}
# A roadmap still `generating` this long after it was requested is failed (the task's hard limit is 300 s).
ROADMAP_REAP_AFTER_SECONDS = env.int("ROADMAP_REAP_AFTER_SECONDS", default=300 + 120)
CELERY_BEAT_SCHEDULE["reap-stuck-roadmaps"] = {"task": "roadmaps.reap", "schedule": 60.0}

# --- Recommendations (resources/recommend/, issue 6) -----------------------------------------------------------------
# Retraining runs on its own Celery queue "reco" (beat: hourly; a no-op when no interaction changed). Web requests
# never train: they load the current model version once per process. Each user's list is cached for the TTL, keyed
# by the model version and the user's interaction version.
RECO_CACHE_TTL_SECONDS = env.int("RECO_CACHE_TTL_SECONDS", default=3600)
RECO_CACHE_SIZE = 200  # items computed and cached per user (the maximum `limit`)
RECO_MIN_TRAIN_INTERACTIONS = env.int("RECO_MIN_TRAIN_INTERACTIONS", default=50)
RECO_RETRAIN_LOCK_SECONDS = 3600
# EASE (a retrain candidate next to ALS) holds an items × items matrix while fitting: skipped above this many items.
RECO_EASE_MAX_ITEMS = env.int("RECO_EASE_MAX_ITEMS", default=5_000)
RECO_RETRAIN_EVERY_SECONDS = env.float("RECO_RETRAIN_EVERY_SECONDS", default=3600.0)
CELERY_TASK_ROUTES["resources.recommend.*"] = {"queue": "reco"}
# Old recommender versions are pruned daily: the current one and this many previous ones stay (for a rollback).
RECO_KEEP_PREVIOUS_VERSIONS = env.int("RECO_KEEP_PREVIOUS_VERSIONS", default=3)
CELERY_BEAT_SCHEDULE["prune-recommender-versions"] = {
    "task": "resources.recommend.prune_versions",
    "schedule": 24 * 3600.0,
}
# Outstanding JWTs past their expiry (simplejwt's flushexpiredtokens), daily.
CELERY_BEAT_SCHEDULE["flush-expired-tokens"] = {"task": "common.flush_expired_tokens", "schedule": 24 * 3600.0}
CELERY_BEAT_SCHEDULE["recommender-retrain"] = {
    "task": "resources.recommend.retrain",
    "schedule": RECO_RETRAIN_EVERY_SECONDS,
}

# --- Spaced review (learning/review/, issue 21) ----------------------------------------------------------------------
# FSRS-6 with its published default parameters. Desired retention: the recall probability at which an item comes
# due (higher → more reviews). Maximum interval caps how far out a review is scheduled. Fuzzing spreads due dates
# of items learned together by a few percent so reviews don't pile up on one day.
REVIEW_DESIRED_RETENTION = env.float("REVIEW_DESIRED_RETENTION", default=0.9)
REVIEW_MAXIMUM_INTERVAL_DAYS = env.int("REVIEW_MAXIMUM_INTERVAL_DAYS", default=365)
REVIEW_ENABLE_FUZZING = env.bool("REVIEW_ENABLE_FUZZING", default=True)
REVIEW_POINTS = env.int("REVIEW_POINTS", default=2)  # per item, at most once a day
REVIEW_MASTERED_RECALL = env.float("REVIEW_MASTERED_RECALL", default=0.8)  # mean recall at which a module is "known"

# --- The SPA's dashboard panels (agents/spa/, issue 20) ---------------------------------------------------------------
# Anonymous dashboard sockets read a public snapshot from the cache; beat refreshes it every minute (without beat,
# the first connection of each minute recomputes it).
CELERY_BEAT_SCHEDULE["spa-panels-refresh"] = {"task": "agents.refresh_panels", "schedule": 60.0}

"""Settings for gameplatform, read from the environment.

With no environment at all this is the embedded single-process setup used by
``make run``: SQLite, the in-memory channel layer and a local-memory cache.
``DATABASE_URL`` and ``REDIS_URL`` switch to PostgreSQL and Redis, which is what
several server processes need to behave as one service.
"""

import os
from datetime import timedelta
from ipaddress import ip_network
from pathlib import Path

import dj_database_url
import django
from django.core.exceptions import ImproperlyConfigured
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from gameplatform import __version__
from gameplatform.core.env import env_bool, env_count_map, env_float, env_int, env_list, env_str, env_text_map
from gameplatform.data import redisconf

BASE_DIR = Path(__file__).resolve().parent.parent
VERSION = __version__

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
# Servers refuse to start without a key unless DEBUG (gameplatform/asgi.py). Management
# commands (migrate, seed_demo, check) sign nothing, so they run on a throwaway key.
SECRET_KEY_MISSING = not SECRET_KEY and not DEBUG
if not SECRET_KEY:
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CORS_ALLOWED_ORIGINS = env_list("CORS_ORIGINS")
# Origins (scheme://host[:port]) whose pages may open sockets, besides the server's own
# origin (the Host header's host and port, that host in ALLOWED_HOSTS): gameplatform.sockets.wsauth.
WS_ALLOWED_ORIGINS = env_list("WS_ALLOWED_ORIGINS", CORS_ALLOWED_ORIGINS)

# Apps of this project, in the order their URLs, sockets and demo data load.
PROJECT_APPS = [
    "accounts",
    "staff",  # staff roles (auth groups) and the append-only audit log, used by the apps that act on players
    "storage",
    "matchmaking",
    "game",
    "leaderboards",
    "chat",
    "groups",  # player groups (clans) with a chat socket; the kit's group names: gameplatform.broadcast.groups
    "friends",
    "notifications",
    "progression",
    "payments",  # Stripe Checkout: products sold for money, granted through progression and accounts
    "world",
    "identities",  # sign-in with identity providers (OpenID Connect, OAuth 2, OpenID 2.0)
    "wordfilter",  # the word filter of text other players see (speech hooks), its list edited by staff
    "safety",  # reports with evidence, sanctions that hold everywhere, appeals, transparency counts
    "liveops",  # live operations: flags and experiments (GrowthBook's format), pushed to connected players
    "webhooks",  # signed webhooks out: an outbox written with each change, delivered by a timer, retried 24 h
    "webclient",  # the browser client at /play/ and the admin's live operations page (reads every app)
]

INSTALLED_APPS = [
    "daphne",
    "accounts.admin_apps.GameAdminConfig",  # django.contrib.admin, login throttled
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "channels",
    "gameplatform",
    *PROJECT_APPS,
]

# The middlewares of cookies and static files (WhiteNoise, sessions, the cookie user, messages)
# are the libraries' own through gameplatform.http.middleware, which API requests (API_PATH_PREFIXES)
# pass by: the REST API authenticates by bearer token, never by cookie (docs/concepts.md, "How a
# process runs its work").
MIDDLEWARE = [
    "gameplatform.core.logs.RequestLogMiddleware",
    "gameplatform.http.handler.RouteMiddleware",
    "gameplatform.http.paths.TrailingSlashMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "gameplatform.http.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "gameplatform.http.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "gameplatform.http.middleware.AuthenticationMiddleware",
    "gameplatform.http.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "gameplatform.http.middleware.QueryNulMiddleware",
    "gameplatform.http.middleware.ContentSecurityPolicyMiddleware",
]
# Requests whose path starts with one of these pass by the middlewares of cookies and static
# files: the REST API and API docs, and the seed's matchmaking routes outside /api/.
API_PATH_PREFIXES = ("/api/", "/game/")

ROOT_URLCONF = "gameplatform.urls"
# No redirect to the slashed path (it would drop a POST body): gameplatform.http.paths serves both.
APPEND_SLASH = False
ASGI_APPLICATION = "gameplatform.asgi.application"
AUTH_USER_MODEL = "accounts.User"

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

# --- Database -------------------------------------------------------------
# Database work runs on DB_WORKERS threads per process (gameplatform/data/db.py), each
# keeping one pooled connection between units of work, checked before each (Django's own
# persistent connections stay off, CONN_MAX_AGE = 0: its pool requires it, and a REST
# request still gives its connection back at its end). With PostgreSQL the connections come
# from psycopg's pool, sized for those workers plus a few for timers and management work,
# so a worker never waits for one.
# Past DB_WORKERS + DB_QUEUE_LIMIT units waiting, a process answers 503 overloaded.
DATABASE_URL = env_str("DATABASE_URL")
# Four workers: measured here, more threads only contend for the GIL (1,000 games moving:
# 183 moves/s and none lost with 4, 158/s and 258 lost with 10). SQLite (the embedded
# default) takes one writer at a time, and its shared in-memory test database refuses a
# second connection's write outright: one worker there.
DB_WORKERS = env_int("DB_WORKERS", 1 if not DATABASE_URL or DATABASE_URL.startswith("sqlite") else 4, minimum=1)
DB_QUEUE_LIMIT = env_int("DB_QUEUE_LIMIT", 2000, minimum=0)
# The rooms' database work (a batch of games' seats read, starts or results recorded) runs in
# DB_PROCESSES worker processes per server process, out of the interpreter the sockets and rooms
# run in (gameplatform/data/db.py, run_apart). With PostgreSQL and Redis only (a worker is another
# process: the cache and presence must be shared); 0 runs it on the DB_WORKERS threads.
# Measured here, 1,000 games moving: move round trip p99 73-83 ms on threads, 31-34 ms with one
# worker process (at 0.3 of a core), the same with two. Each costs about 110 MB of memory.
DB_PROCESSES = env_int("DB_PROCESSES", 1, minimum=0)
HTTP_MAX_BODY_BYTES = env_int("HTTP_MAX_BODY_BYTES", 10 * 1024 * 1024, minimum=1024)
# DATABASE_URL points at pgbouncer in transaction mode (docs/operations/past-one-machine.md).
DB_PGBOUNCER = env_bool("DB_PGBOUNCER", False)
DB_POOL_CHECK = env_bool("DB_POOL_CHECK", True)
DB_PREPARE = env_bool("DB_PREPARE", True)
if DATABASE_URL:
    _db = dj_database_url.parse(DATABASE_URL, conn_max_age=0)
    if _db["ENGINE"] == "django.db.backends.postgresql":
        _db.setdefault("OPTIONS", {})["pool"] = {
            "min_size": env_int("DB_POOL_MIN_SIZE", 2, minimum=0),
            "max_size": env_int("DB_POOL_MAX_SIZE", DB_WORKERS + 4, minimum=1),
            "timeout": env_float("DB_POOL_TIMEOUT", 10.0, minimum=0.1),
        }
        # A pooled connection is checked before it is handed out: after a database restart
        # the broken ones are replaced instead of failing one request each (503 unavailable)
        # until all have been tried. The pool's public ``check`` callable runs on each
        # getconn(); the kit's (gameplatform/data/pgpool.py) polls the socket and sends an empty
        # query only when something arrived on it. Django takes a ``check`` in the pool options
        # from 6.1 on; the locked 5.2 passes its own and refuses a second one (TypeError), so
        # there the check is Django's CONN_HEALTH_CHECKS: psycopg's, one round trip per unit.
        _db["CONN_HEALTH_CHECKS"] = False
        if DB_POOL_CHECK:
            if django.VERSION >= (6, 1):
                from gameplatform.data.pgpool import check_pooled_connection

                _db["OPTIONS"]["pool"]["check"] = check_pooled_connection
            else:
                _db["CONN_HEALTH_CHECKS"] = True
        # Statements are bound on the server (psycopg's server-side binding, a documented Django
        # option) and a statement a pooled connection has run 5 times is prepared there (psycopg's
        # prepare_threshold; at most psycopg's 100 per connection, the least used deallocated): its
        # plan is made once per connection, not at every run. A hot read of several subqueries
        # (GET /api/liveops/'s, liveops.selectors.player_read) spends about four fifths of its
        # database time planning (docs/liveops.md, "What a player reads").
        # DB_PREPARE=0 turns preparing off (a release whose migration changes a column's type: an
        # old process's statement prepared over it fails until its connection is replaced).
        _db["OPTIONS"]["server_side_binding"] = True
        _db["OPTIONS"]["prepare_threshold"] = 5 if DB_PREPARE else None
        if DB_PGBOUNCER:
            # DATABASE_URL is pgbouncer in transaction mode: each transaction may run on another
            # server connection, so nothing may outlive one. No prepared statements (psycopg
            # prepares a query run 5 times on a connection; pgbouncer before 1.21 does not carry
            # them over; Django disables them too, said here so no default can bring them back),
            # and no server-side cursors (.iterator() keeps a WITH HOLD cursor on the server
            # connection between transactions). The queue's matcher takes transaction-level
            # advisory locks only; nothing uses session locks, LISTEN or a plain SET.
            _db["OPTIONS"]["prepare_threshold"] = None
            _db["DISABLE_SERVER_SIDE_CURSORS"] = True
    DATABASES = {"default": _db}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": BASE_DIR / "db.sqlite3",
            "CONN_MAX_AGE": 0,
            # Writers wait for each other instead of failing with "database is locked".
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer, cache, rate limits, tickets, presence ----------
REDIS_URL = env_str("REDIS_URL")
REDIS_MAX_CONNECTIONS = env_int("REDIS_MAX_CONNECTIONS", 50, minimum=2)
# Short socket timeouts on every Redis client (cache, gameplatform.data.redis, channel layer):
# when Redis is down or unreachable a request fails fast with 503 ``unavailable``
# instead of hanging on a connect or a read.
REDIS_CONNECT_TIMEOUT = env_float("REDIS_CONNECT_TIMEOUT", 2.0, minimum=0.1)
REDIS_SOCKET_TIMEOUT = env_float("REDIS_SOCKET_TIMEOUT", 3.0, minimum=0.1)
# A pooled connection that Redis closed (a restart) fails its next command once; with
# no retry that failure reached a caller (a handshake "now and then" after Redis came
# back). Two quick retries on a fresh connection; a real outage still fails in well
# under a second when connections are refused.
REDIS_RETRY = Retry(ExponentialBackoff(cap=0.25, base=0.05), 2)
REDIS_ASYNC_RETRY = AsyncRetry(ExponentialBackoff(cap=0.25, base=0.05), 2)
# Through Sentinel (docs/operations/past-one-machine.md): every client asks these sentinels for the
# current primary named REDIS_SENTINEL_MASTER; REDIS_URL still gives the database and password.
REDIS_SENTINELS = redisconf.parse_sentinels(env_list("REDIS_SENTINELS"))
REDIS_SENTINEL_MASTER = env_str("REDIS_SENTINEL_MASTER")
REDIS_SENTINEL_PASSWORD = env_str("REDIS_SENTINEL_PASSWORD")
if REDIS_SENTINELS and not (REDIS_URL and REDIS_SENTINEL_MASTER):
    raise ImproperlyConfigured("REDIS_SENTINELS needs REDIS_SENTINEL_MASTER and REDIS_URL (database, password)")
# The channel layer on Redis servers of its own, its groups spread over them by name. Presence,
# rate limits, tickets, leases and the cache stay on REDIS_URL: their scripts and transactions
# touch several keys at once, which needs them on one server.
CHANNEL_REDIS_URLS = env_list("CHANNEL_REDIS_URLS")
# Publishing connections per layer server (see gameplatform.data.redisconf.channel_layer): the same
# number on every process.
CHANNEL_LAYER_CONNECTIONS = env_int("CHANNEL_LAYER_CONNECTIONS", 8, minimum=1)
if CHANNEL_REDIS_URLS and not REDIS_URL:
    raise ImproperlyConfigured("CHANNEL_REDIS_URLS needs REDIS_URL (presence, rate limits, tickets, cache)")
if REDIS_URL:
    # The server, its sentinels and timeouts, as the layer and the cache both reach REDIS_URL.
    _redis = {
        "redis_url": REDIS_URL,
        "sentinels": REDIS_SENTINELS,
        "connect_timeout": REDIS_CONNECT_TIMEOUT,
        "socket_timeout": REDIS_SOCKET_TIMEOUT,
    }
    CHANNEL_LAYERS = {
        "default": redisconf.channel_layer(
            **_redis,
            master=REDIS_SENTINEL_MASTER,
            sentinel_password=REDIS_SENTINEL_PASSWORD,
            shard_urls=CHANNEL_REDIS_URLS,
            connections=CHANNEL_LAYER_CONNECTIONS,
            retry=REDIS_ASYNC_RETRY,
        )
    }
    CACHES = {"default": redisconf.cache(**_redis, max_connections=REDIS_MAX_CONNECTIONS, retry=REDIS_RETRY)}
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            "CONFIG": {"capacity": 100_000, "expiry": 3600, "group_expiry": 10 * 365 * 86400},
        }
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Server processes -------------------------------------------------------
# uvicorn starts WEB_CONCURRENCY worker processes when it is set (``make serve`` sets it from
# WORKERS). Several processes are one service only through a shared database and Redis: without
# them each has a database and an in-memory channel layer of its own, and two players of one
# game on different processes never see each other. The server then refuses to start
# (gameplatform/asgi.py); management commands still run.
WEB_CONCURRENCY = env_int("WEB_CONCURRENCY", 1)
# The server process's garbage collector (gameplatform/asgi.py). A server holds many long-lived
# objects per socket and room, and CPython's defaults scanned all of them (a full collection,
# 0.35 s under 1,000 games) every 5 or 6 s. The server freezes what exists once it is loaded
# (``gc.freeze``: never scanned again) and runs the full collection after 1,000 collections of
# the middle generation instead of 10. SERVER_GC_THRESHOLD is the youngest generation's
# threshold (allocations between its collections), CPython's 700 by default: larger ones made
# longer pauses (5,000: up to 120 ms; 50,000: 885 ms; docs/benchmark-history.md). 0 keeps CPython's
# collector as it is, nothing frozen.
SERVER_GC_THRESHOLD = env_int("SERVER_GC_THRESHOLD", 700, minimum=0)
SHARED_STORES_MISSING = WEB_CONCURRENCY > 1 and not (DATABASE_URL and REDIS_URL)
# Where a new game's room runs (gameplatform/rooms/placement.py, docs/operations/past-one-machine.md):
# ``load``, on the least-loaded live process when another runs clearly fewer rooms than the one
# its first socket reached (each process reports its load through Redis); ``local``, always where
# its first socket is. Without Redis (one process) rooms are local either way.
ROOM_PLACEMENT = env_str("ROOM_PLACEMENT", "load")
if ROOM_PLACEMENT not in ("load", "local"):
    raise ImproperlyConfigured(f"ROOM_PLACEMENT must be load or local; got {ROOM_PLACEMENT!r}")
# A file whose existence says this process is leaving (the Kubernetes package's preStop writes it):
# it takes no new room from then on, and places its own new games' rooms elsewhere. Empty: none.
ROOM_LEAVING_FILE = env_str("ROOM_LEAVING_FILE", "")

# --- HTTPS (behind the TLS balancer of deploy/nginx/) ---------------------------
# All off by default (`make run` serves plain http on localhost); docker-compose.yml turns them
# on, and `manage.py check --deploy` is clean with its environment (docs/operations/deploy.md, "HTTPS").
# /healthz, /readyz and /metrics answer before Django (gameplatform.operations.ops): never redirected, so
# probes and Prometheus reach each replica over plain http.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", False)
# BEHIND_TLS_PROXY=1: a proxy that terminates TLS sets X-Forwarded-Proto on every request,
# replacing whatever the client sent (deploy/nginx/ does), and only it reaches the servers.
# uvicorn (FORWARDED_ALLOW_IPS) and daphne (--proxy-headers) already take the scheme from it;
# this makes Django's request.is_secure() say so under any server.
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# HSTS for subdomains and browsers' preload lists bind every subdomain and are slow to undo: an
# operator who sets SECURE_HSTS_INCLUDE_SUBDOMAINS=0 or SECURE_HSTS_PRELOAD=0 has decided, and
# check --deploy stops asking (left unset, it still asks).
SILENCED_SYSTEM_CHECKS = [
    check
    for check, name in (("security.W005", "SECURE_HSTS_INCLUDE_SUBDOMAINS"), ("security.W021", "SECURE_HSTS_PRELOAD"))
    if os.environ.get(name, "").strip() != "" and not env_bool(name)
]

# --- Auth -------------------------------------------------------------------
PASSWORD_HASHERS = [
    # Argon2id at OWASP's minimum (m=7 MiB, t=5, p=1); older argon2 and PBKDF2
    # hashes still verify and are rehashed on the next successful login.
    "accounts.hashers.Argon2idHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("ACCESS_TOKEN_MINUTES", 30, minimum=1)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("REFRESH_TOKEN_DAYS", 7, minimum=1)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "SIGNING_KEY": SECRET_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
}
WS_TICKET_TTL_SECONDS = 30
# A socket's handshake takes its token's user from a per-process copy of the user's row, read at
# most this many seconds ago and forgotten at once on every process when the row changes (a ban,
# a logout everywhere, a deletion: gameplatform/sockets/usercache.py), holding at most
# WS_USER_CACHE_SIZE users. Only with Redis (the invalidations travel through it); 0 turns it off.
WS_USER_CACHE_SECONDS = env_float("WS_USER_CACHE_SECONDS", 30.0, minimum=0)
WS_USER_CACHE_SIZE = env_int("WS_USER_CACHE_SIZE", 10_000, minimum=1)
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
LOGIN_FAILURE_WINDOW_SECONDS = env_int("LOGIN_FAILURE_WINDOW_SECONDS", 300, minimum=1)
REGISTRATIONS_PER_ADDRESS = env_int("REGISTRATIONS_PER_ADDRESS", 10, minimum=1)
REGISTRATION_WINDOW_SECONDS = env_int("REGISTRATION_WINDOW_SECONDS", 3600, minimum=1)
# Mail (password reset, email verification: docs/domains/accounts.md, "Password reset and email
# verification"): Django's email settings. Without EMAIL_HOST those routes answer 404 not_configured;
# with DEBUG and no EMAIL_HOST the mail is printed to the server's output instead (development only).
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "webmaster@localhost")
EMAIL_BACKEND = (
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG and not EMAIL_HOST
    else "django.core.mail.backends.smtp.EmailBackend"
)
# The site's address as players reach it (https://play.example.com), the start of every link in a
# mail; empty: the request's own scheme and host.
PUBLIC_URL = env_str("PUBLIC_URL").rstrip("/")
# A password reset link works this long, once (Django's PasswordResetTokenGenerator reads the timeout).
PASSWORD_RESET_MINUTES = env_int("PASSWORD_RESET_MINUTES", 60, minimum=1)
PASSWORD_RESET_TIMEOUT = PASSWORD_RESET_MINUTES * 60
# Cloud storage: objects one user may keep (a new one past it: 409 storage_full).
STORAGE_MAX_OBJECTS_PER_USER = env_int("STORAGE_MAX_OBJECTS_PER_USER", 1000, minimum=1)


# --- Sign-in with identity providers (identities app; docs/sign-in.md) -----------
def _auth_providers(raw: str) -> list[dict]:
    """AUTH_PROVIDERS: a JSON list of {id, name, issuer, client_id, client_secret} (OpenID Connect
    issuers); a value that is not one stops start-up."""
    import json

    try:
        entries = json.loads(raw or "[]")
    except ValueError as exc:
        raise ImproperlyConfigured(f"AUTH_PROVIDERS is not JSON: {exc}") from None
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ImproperlyConfigured("AUTH_PROVIDERS must be a JSON list of objects.")
    for entry in entries:
        missing = {"id", "issuer", "client_id"} - entry.keys()
        if missing:
            raise ImproperlyConfigured(f"AUTH_PROVIDERS entry {entry.get('id')!r} lacks {sorted(missing)}.")
    return entries


AUTH_PROVIDERS = _auth_providers(env_str("AUTH_PROVIDERS"))
GOOGLE_CLIENT_ID = env_str("GOOGLE_CLIENT_ID")
GOOGLE_CLIENT_SECRET = env_str("GOOGLE_CLIENT_SECRET")
GOOGLE_EXTRA_CLIENT_IDS = env_list("GOOGLE_EXTRA_CLIENT_IDS")  # native apps' client ids (id-token posts)
APPLE_CLIENT_ID = env_str("APPLE_CLIENT_ID")  # the Services ID
APPLE_TEAM_ID = env_str("APPLE_TEAM_ID")
APPLE_KEY_ID = env_str("APPLE_KEY_ID")
APPLE_PRIVATE_KEY = env_str("APPLE_PRIVATE_KEY")  # the .p8 key's PEM text
APPLE_EXTRA_CLIENT_IDS = env_list("APPLE_EXTRA_CLIENT_IDS")  # app bundle ids (id-token posts)
APPLE_ISSUER = env_str("APPLE_ISSUER", "https://appleid.apple.com")
DISCORD_CLIENT_ID = env_str("DISCORD_CLIENT_ID")
DISCORD_CLIENT_SECRET = env_str("DISCORD_CLIENT_SECRET")
DISCORD_AUTHORIZE_URL = env_str("DISCORD_AUTHORIZE_URL", "https://discord.com/oauth2/authorize")
DISCORD_API_BASE = env_str("DISCORD_API_BASE", "https://discord.com/api")
STEAM_ENABLED = env_bool("STEAM_ENABLED", False)
STEAM_OPENID_URL = env_str("STEAM_OPENID_URL", "https://steamcommunity.com/openid/login")
# The public address of this server as providers call it back (https://play.example.com);
# empty: the request's own scheme and host.
AUTH_CALLBACK_BASE_URL = env_str("AUTH_CALLBACK_BASE_URL").rstrip("/")
AUTH_PROVIDER_TIMEOUT_SECONDS = env_float("AUTH_PROVIDER_TIMEOUT_SECONDS", 5.0, minimum=0.1)

# --- Real time ---------------------------------------------------------------
# Background timers run inside each server process (see gameplatform/operations/timers.py).
RUN_TIMERS_IN_SERVER = env_bool("RUN_TIMERS_IN_SERVER", True)
# With Redis one runner at a time holds the timers' lease and runs the rounds; another takes
# over this long after the holder stopped renewing it (gameplatform/operations/timers.py).
TIMER_LEASE_SECONDS = env_float("TIMER_LEASE_SECONDS", 3.0, minimum=0.5)
WS_MAX_FRAME_BYTES = env_int("WS_MAX_FRAME_BYTES", 64 * 1024, minimum=128)
# Flooding closes a socket with 1008 (gameplatform.sockets.receiving, in every BaseConsumer), on every route: more
# frames than WS_FLOOD_FRAMES at once or per WS_FLOOD_WINDOW_SECONDS on average on one socket (the
# fastest legitimate sender, a relay game at 60 frames/s, uses half), or more frames refused
# ``rate_limited`` than WS_FLOOD_REFUSALS per WS_FLOOD_REFUSAL_WINDOW_SECONDS per user.
WS_FLOOD_FRAMES = env_int("WS_FLOOD_FRAMES", 240, minimum=1)
WS_FLOOD_WINDOW_SECONDS = env_float("WS_FLOOD_WINDOW_SECONDS", 2.0, minimum=0.01)
WS_FLOOD_REFUSALS = env_int("WS_FLOOD_REFUSALS", 10, minimum=1)
WS_FLOOD_REFUSAL_WINDOW_SECONDS = env_float("WS_FLOOD_REFUSAL_WINDOW_SECONDS", 10.0, minimum=0.01)
# A send to a client that waits longer than this (the client stopped reading and the server's
# buffer for it is full) cuts the socket off, so that it holds up neither its group nor a room.
WS_STALL_SECONDS = env_float("WS_STALL_SECONDS", 0.5, minimum=0.01)
# Under the platform's own WebSocket protocol a frame never waits: a connection whose unread
# frames hold more than this is cut off as soon as it does (``gameplatform.sockets.stalls``).
WS_STALL_BYTES = env_int("WS_STALL_BYTES", 1024 * 1024, minimum=64 * 1024)
# Close with 4008 / 4009 / 4013 where the contract says 1008 / 1009 / 1013 (any 1001-1999 becomes
# that code + 3000). For daphne only: autobahn, its WebSocket library, refuses to send close codes
# 1001-2999 for the application (django/daphne#374). `make serve-daphne` sets it; uvicorn needs it not.
WS_PRIVATE_CLOSE_CODES = env_bool("WS_PRIVATE_CLOSE_CODES", False)
INVITE_TTL_SECONDS = env_int("INVITE_TTL_SECONDS", 60, minimum=1)
# A player whose age band is unknown gets 403 age_required from matchmaking, chat and the shop
# until they set one (PUT /api/me/age/): for studios that must ask first (docs/accounts-and-the-law.md).
AGE_REQUIRED = env_bool("AGE_REQUIRED", False)
# A moderator's claim on a report (the queue's claim) lapses this long after it was made: the
# report is open to every moderator again (docs/player-safety.md).
REPORT_CLAIM_MINUTES = env_int("REPORT_CLAIM_MINUTES", 30, minimum=1)
# A player's own deletion (POST /api/me/delete/) happens this many days later, unless they cancel
# first; 0: at once (docs/domains/accounts.md).
ACCOUNT_DELETE_GRACE_DAYS = env_int("ACCOUNT_DELETE_GRACE_DAYS", 7, minimum=0)
# The studio's community rules, the grounds a sanction names in its statement of reasons: a JSON
# object of rule key -> text, over the defaults (one rule per report reason: ``safety.rules``).
MODERATION_RULES = env_text_map("MODERATION_RULES")
# The queue's fill window: a group of a mode for more than two players that has min_players but
# is not full starts once its longest-waiting player has waited this long (0: at once).
QUEUE_FILL_SECONDS = env_float("QUEUE_FILL_SECONDS", 10.0, minimum=0)
# A queued player with no socket on a running server process stays queued this long after their
# join or their last GET /api/matchmaking/status/, then leaves the queue (a client that is gone).
QUEUE_ALIVE_SECONDS = env_float("QUEUE_ALIVE_SECONDS", 5.0, minimum=1)
# A queued player with no socket is dropped only when a second look, at least this long after the
# first, finds none either (a client reconnecting through a deploy, a Redis back empty, keep their place).
QUEUE_MISS_SECONDS = env_float("QUEUE_MISS_SECONDS", 3.0, minimum=0)
# How long a queue match's room waits for a player who has not come yet, from its first player's
# arrival; then the match is called off and the others queue again in front (never above the
# first-connect grace, which lobby and invite games keep).
MATCH_CONNECT_SECONDS = env_int("MATCH_CONNECT_SECONDS", 10, minimum=1)
PRESENCE_TTL_SECONDS = env_int("PRESENCE_TTL_SECONDS", 60, minimum=2)
RECONNECT_GRACE_SECONDS = env_int("RECONNECT_GRACE_SECONDS", 30, minimum=0)
# Days a finished game's replay (its every step, ``GET /api/games/{id}/replay/``) is kept; 0 keeps none.
REPLAY_RETENTION_DAYS = env_int("REPLAY_RETENTION_DAYS", 30, minimum=0)
# Requests of the two replay endpoints together, per user and minute: each may play a game again.
REPLAY_RATE_LIMIT = env_int("REPLAY_RATE_LIMIT", 60, minimum=1)
# Live operations' analytics events (docs/liveops.md, "How events are stored"): each event is kept
# this many days (the timer ``liveops.analytics_retention`` drops older ones once they are in the
# daily roll-up, which is kept for good).
ANALYTICS_RAW_DAYS = env_int("ANALYTICS_RAW_DAYS", 30, minimum=1)
# The event names audiences read as ``events.<name>`` (each player's count of them, ever): a few,
# each costs two index lookups in every player's attributes (env: a comma list).
ANALYTICS_AUDIENCE_EVENTS = env_list("ANALYTICS_AUDIENCE_EVENTS")
if len(ANALYTICS_AUDIENCE_EVENTS) > 20:
    raise ImproperlyConfigured(f"ANALYTICS_AUDIENCE_EVENTS: at most 20 names, not {len(ANALYTICS_AUDIENCE_EVENTS)}")
if any("." in name for name in ANALYTICS_AUDIENCE_EVENTS):  # a condition's path would split it
    raise ImproperlyConfigured(f"ANALYTICS_AUDIENCE_EVENTS: names without dots, not {ANALYTICS_AUDIENCE_EVENTS}")
# The world's timer fires a world event (reality shift or aetherfall) this often; 0 turns it off.
WORLD_EVENT_SECONDS = env_int("WORLD_EVENT_SECONDS", 900, minimum=0)
FIRST_CONNECT_GRACE_SECONDS = env_int("FIRST_CONNECT_GRACE_SECONDS", 60, minimum=0)
# The game modes the platform runs: import paths of ``gameplatform.modes.Mode`` classes, the
# studio's own among them (env: a comma list). Unset or empty: the built-in modes (empty is what
# the image and the compose file pass when no GAME_MODES is given).
BUILTIN_GAME_MODES = [
    "game.modes.builtin.tictactoe.TicTacToe",
    "game.modes.builtin.relay.Relay",
    "game.modes.builtin.battleship.Battleship",
    "game.modes.builtin.arena.Arena",
]
GAME_MODES = env_list("GAME_MODES") or BUILTIN_GAME_MODES
# The XP each player earns when a game ends with a result, by outcome, for a mode that declares
# none (``Mode.xp``); times the player's ``xp_multiplier`` flag (env: a JSON object over these).
GAME_XP = env_count_map("GAME_XP", {"win": 30, "draw": 15, "loss": 10})
# --- Payments (payments/, docs/payments.md): off unless both Stripe secrets are set ---------
STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY")
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET")
# Where the Stripe library sends its API calls: Stripe's own unless a test points it elsewhere.
STRIPE_API_BASE = env_str("STRIPE_API_BASE", "https://api.stripe.com")
# Where Checkout sends the buyer back; empty: this server's /play/ (with ?checkout=success or cancel).
STRIPE_SUCCESS_URL = env_str("STRIPE_SUCCESS_URL")
STRIPE_CANCEL_URL = env_str("STRIPE_CANCEL_URL")
# Days a Stripe subscription whose renewal failed keeps its entitlement while Stripe retries.
STRIPE_GRACE_DAYS = env_int("STRIPE_GRACE_DAYS", 3, minimum=0)
# App Store (StoreKit 2) signed transactions: off unless both the roots and the bundle id are set.
# Paths of Apple's root certificates (DER or PEM; https://www.apple.com/certificateauthority/).
APPLE_ROOT_CERTIFICATES = env_list("APPLE_ROOT_CERTIFICATES")
APPLE_BUNDLE_ID = env_str("APPLE_BUNDLE_ID")
# Which App Store signs the transactions this server accepts: Production or Sandbox only (the
# library's Xcode and LocalTesting environments skip the signature check, so they are refused).
APPLE_ENVIRONMENT = env_str("APPLE_ENVIRONMENT", "Production")
if APPLE_ENVIRONMENT not in ("Production", "Sandbox"):
    raise ImproperlyConfigured(f"APPLE_ENVIRONMENT must be Production or Sandbox; got {APPLE_ENVIRONMENT!r}")
APPLE_APP_APPLE_ID = env_int("APPLE_APP_APPLE_ID", 0, minimum=0)  # the app's numeric id; required in Production
# Ask Apple's OCSP responders whether the signing certificates were revoked (a network call per new chain).
APPLE_ONLINE_CHECKS = env_bool("APPLE_ONLINE_CHECKS", True)
# The App Store Server API (answers to refund requests: docs/payments.md, "Refund requests"): an
# In-App Purchase key from App Store Connect (Users and Access, Integrations), its id and the issuer id.
APPLE_IAP_KEY_ID = env_str("APPLE_IAP_KEY_ID")
APPLE_IAP_ISSUER_ID = env_str("APPLE_IAP_ISSUER_ID")
APPLE_IAP_PRIVATE_KEY = env_str("APPLE_IAP_PRIVATE_KEY")  # the .p8 key's PEM text
# Apple takes consumption data only with the customer's consent: set it once the app asks for it.
APPLE_CONSUMPTION_CONSENT = env_bool("APPLE_CONSUMPTION_CONSENT", False)
# Whether the studio showed a free sample, a trial or what the product does before it was bought
# (both stores' refund answers carry it).
REFUND_SAMPLE_CONTENT_PROVIDED = env_bool("REFUND_SAMPLE_CONTENT_PROVIDED", False)
# The studio's preferred outcome of a refund request: none (no preference sent), grant, prorated, decline.
APPLE_REFUND_PREFERENCE = env_str("APPLE_REFUND_PREFERENCE", "none")
if APPLE_REFUND_PREFERENCE not in ("none", "grant", "prorated", "decline"):
    raise ImproperlyConfigured(
        f"APPLE_REFUND_PREFERENCE must be none, grant, prorated or decline; got {APPLE_REFUND_PREFERENCE!r}"
    )
# Google Play purchases: off unless both the package and the service account's key are set.
GOOGLE_PLAY_PACKAGE = env_str("GOOGLE_PLAY_PACKAGE")  # the app's package name, e.g. com.example.game
GOOGLE_PLAY_SERVICE_ACCOUNT = env_str("GOOGLE_PLAY_SERVICE_ACCOUNT")  # path of the service account's JSON key
# Where the Play Developer API client sends its calls: Google's own unless a test points it elsewhere.
GOOGLE_PLAY_API_BASE = env_str("GOOGLE_PLAY_API_BASE", "https://androidpublisher.googleapis.com/")
# Real-time developer notifications (Pub/Sub push): off unless the push's audience is set.
GOOGLE_PLAY_PUSH_AUDIENCE = env_str("GOOGLE_PLAY_PUSH_AUDIENCE")
# The push subscription's service account (the id token's email); empty: any Google-signed push for the audience.
GOOGLE_PLAY_PUSH_SERVICE_ACCOUNT = env_str("GOOGLE_PLAY_PUSH_SERVICE_ACCOUNT")
# Google's public certificates that sign the push's id token: Google's own unless a test serves its own.
GOOGLE_PLAY_PUSH_CERTS_URL = env_str("GOOGLE_PLAY_PUSH_CERTS_URL", "https://www.googleapis.com/oauth2/v1/certs")
# The studio's preferred outcome of a Play refund review (orders.reviewrefund): neutral, approve, decline.
GOOGLE_REFUND_PREFERENCE = env_str("GOOGLE_REFUND_PREFERENCE", "neutral")
if GOOGLE_REFUND_PREFERENCE not in ("neutral", "approve", "decline"):
    raise ImproperlyConfigured(
        f"GOOGLE_REFUND_PREFERENCE must be neutral, approve or decline; got {GOOGLE_REFUND_PREFERENCE!r}"
    )
STAMINA_REGEN_INTERVAL = env_int("STAMINA_REGEN_INTERVAL", 300, minimum=1)
STAMINA_REGEN_PERCENT = env_float("STAMINA_REGEN_PERCENT", 10.0, minimum=0)
# Paid random boxes by country (docs/payments.md, "The shop and the law"): a JSON object, ISO 3166-1
# alpha-2 country -> "none" (refused), "adults" (only players whose age band is "adult"), or "all".
# A country not listed: "all".
LOOTBOX_RULES = env_str("LOOTBOX_RULES", '{"BE": "none", "NL": "none", "BR": "adults"}')
try:
    import json as _json

    LOOTBOX_RULES = {str(k).upper(): v for k, v in _json.loads(LOOTBOX_RULES).items()}
    if any(v not in ("none", "adults", "all") for v in LOOTBOX_RULES.values()):
        raise ValueError("each country's rule must be none, adults or all")
except (ValueError, AttributeError) as exc:
    raise ImproperlyConfigured(f"LOOTBOX_RULES: {exc}") from None
# The request header in which the load balancer names the client's country (e.g. CF-IPCountry,
# X-Country-Code); empty: the player's liveops ``country`` attribute alone decides.
GEO_COUNTRY_HEADER = env_str("GEO_COUNTRY_HEADER")

# --- Operations: /healthz, /readyz, /metrics (gameplatform/operations/ops.py) ---------
# /metrics answers callers from METRICS_ALLOWED_IPS (addresses or networks) and any caller
# sending ``Authorization: Bearer <METRICS_TOKEN>`` (when set); everyone else gets 404/403.
METRICS_TOKEN = env_str("METRICS_TOKEN")
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", ["127.0.0.0/8", "::1"])
try:
    [ip_network(item, strict=False) for item in METRICS_ALLOWED_IPS]
except ValueError as exc:
    raise ImproperlyConfigured(f"METRICS_ALLOWED_IPS: {exc}") from None
# Each /readyz check (database, Redis, channel layer) must answer within this many seconds.
READYZ_TIMEOUT_SECONDS = env_float("READYZ_TIMEOUT_SECONDS", 2.0, minimum=0.1)
# Several processes on one host write their metrics to files there (gameplatform/core/metrics.py).
# prometheus_client opens them as the metrics are defined, so a missing directory would fail
# start-up halfway through with an error that does not name it. It is not created here: the
# operator empties it before the servers start, which no one process can do for the others.
PROMETHEUS_MULTIPROC_DIR = env_str("PROMETHEUS_MULTIPROC_DIR")
if PROMETHEUS_MULTIPROC_DIR and not Path(PROMETHEUS_MULTIPROC_DIR).is_dir():
    raise ImproperlyConfigured(
        f"PROMETHEUS_MULTIPROC_DIR={PROMETHEUS_MULTIPROC_DIR} does not exist or is not a directory "
        "(create it, empty, before starting the servers)"
    )

# --- REST ----------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.JWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "gameplatform.http.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "gameplatform.http.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "gameplatform.core.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON with a nesting limit and no NUL in strings (gameplatform/core/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "gameplatform.core.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "gameplatform API",
    "DESCRIPTION": (
        "REST API of gameplatform. The WebSocket routes and frames: [the WebSocket reference](/api/asyncapi/) "
        "(AsyncAPI; the document itself: [/api/asyncapi.json](/api/asyncapi.json))."
    ),
    "VERSION": VERSION,
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Operation ids and tags without the "api" every path starts with: `auth_login_create`, tag `auth`.
    "SCHEMA_PATH_PREFIX": r"/api/",
    # Enums whose field name ("status") other choice sets share, named after their model.
    "ENUM_NAME_OVERRIDES": {
        "HealthEnum": ["ok", "error"],
        "ReportStatusEnum": "safety.models.Report.Status",
        "AppealStatusEnum": "safety.models.Appeal.Status",
        "AgeBandEnum": "accounts.models.AgeBand",
    },
    # The `<id:...>` of every route (gameplatform/core/converters.py) is an integer, as Django's `int` would be.
    "PATH_CONVERTER_OVERRIDES": {"id": int},
}

# --- Static files: served by the ASGI server itself (WhiteNoise) ------------
STATIC_URL = "static/"
# Files are found through the app finders; STATIC_ROOT only for a collectstatic build (docker).
STATIC_ROOT = env_str("STATIC_ROOT") or None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Logs: one line per event, JSON unless DEBUG; written by a thread of their own ---
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "gameplatform.core.logs.RequestIdFilter"},
        # One redaction rule for every line, whoever logs it (gameplatform.core.logs.redact).
        "redact": {"()": "gameplatform.core.logs.RedactSecretsFilter"},
    },
    "formatters": {
        "json": {"()": "gameplatform.core.logs.JsonFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "()": "gameplatform.core.logs.BackgroundStreamHandler",
            "filters": ["request_id", "redact"],
            "formatter": "plain" if DEBUG else "json",
        },
        # Where a logger's lines go to be dropped (a logger with no handler at all would
        # have them printed raw by Python's last-resort handler).
        "drop": {"class": "logging.NullHandler"},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.server": {"level": "WARNING"},
        # A 4xx answer is one line, the access line (method, path, status, request id): Django's
        # own "Not Found: /x/" warning said it a second time. Its 5xx errors (with the traceback) stay.
        "django.request": {"level": "ERROR"},
        # Django's default handlers off (a raw console copy of every django.* line under DEBUG,
        # mail to ADMINS with the full URL): every line goes through the console handler above.
        "django": {"handlers": [], "propagate": True},
        # ERROR and a traceback for every request with a foreign Host: one warning instead
        # (gameplatform.core.errors.bad_request).
        "django.security.DisallowedHost": {"handlers": ["drop"], "propagate": False},
        # SQL with its parameters (refresh tokens among them, token_blacklist) at DEBUG: never.
        "django.db.backends": {"level": "INFO"},
        "daphne": {"level": "WARNING"},
        # uvicorn's own lines as ours: JSON, redacted, written off the loop. By its documented
        # logger names and levels only, never by what a message says: "uvicorn.error" writes its
        # warnings and errors; its INFO lines are start-up banners and one to three lines per
        # socket (``"WebSocket /path?query" [accepted]``, ``... 403``, the `websockets` library's
        # ``connection open``), said once by the kit instead (``socket open``, at DEBUG; OriginCheck's
        # ``websocket refused``; ``server started`` at lifespan start-up). uvicorn's parent process
        # (several workers) never loads these settings: --log-config (gameplatform/operations/uvicorn_parent.py).
        "uvicorn": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "uvicorn.error": {"level": LOG_LEVEL if LOG_LEVEL in {"ERROR", "CRITICAL"} else "WARNING"},
        # One line per request is ours (RequestLogMiddleware: a request id, the query redacted).
        # uvicorn's `--no-access-log` empties this logger before Django configures logging, and
        # dictConfig then makes a child of "uvicorn" propagate again: every request was logged
        # twice, the second time with its raw query string. No handler: uvicorn skips the line.
        "uvicorn.access": {"handlers": [], "propagate": False},
    },
}


# --- Webhooks out (webhooks app; docs/webhooks.md) --------------------------------
def _webhooks(raw: str) -> list[dict]:
    """WEBHOOKS: a JSON list of {url, secret, events} (events: the types the endpoint receives);
    a value that is not one stops start-up (the types are checked by the webhooks app)."""
    import json

    try:
        entries = json.loads(raw or "[]")
    except ValueError as exc:
        raise ImproperlyConfigured(f"WEBHOOKS is not JSON: {exc}") from None
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ImproperlyConfigured("WEBHOOKS must be a JSON list of objects.")
    for entry in entries:
        if not isinstance(entry.get("url"), str) or not entry["url"].startswith(("http://", "https://")):
            raise ImproperlyConfigured(f"WEBHOOKS entry {entry.get('url')!r}: url must be an http(s) URL.")
        if not isinstance(entry.get("secret"), str) or not entry["secret"]:
            raise ImproperlyConfigured(f"WEBHOOKS entry {entry['url']!r} lacks a secret.")
        if not isinstance(entry.get("events"), list) or not all(isinstance(t, str) for t in entry["events"]):
            raise ImproperlyConfigured(f"WEBHOOKS entry {entry['url']!r}: events must be a list of types.")
    return entries


WEBHOOKS = _webhooks(env_str("WEBHOOKS"))
# One attempt's longest wait for a receiver's answer (connecting, then reading), in seconds.
WEBHOOK_TIMEOUT_SECONDS = env_float("WEBHOOK_TIMEOUT_SECONDS", 5.0, minimum=0.1)

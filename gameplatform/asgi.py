"""ASGI entry point: HTTP to Django (as WSGI, on the database workers), WebSockets
through JWT auth, origin check and the app routes."""

import asyncio
import gc
import logging
import os
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gameplatform.settings")
django.setup(set_prefix=False)

from django.conf import settings  # noqa: E402
from django.core.exceptions import ImproperlyConfigured  # noqa: E402

if settings.SECRET_KEY_MISSING:
    raise ImproperlyConfigured("SECRET_KEY is not set. Set SECRET_KEY (or DEBUG=1 for a throwaway development key).")
if settings.SHARED_STORES_MISSING:
    raise ImproperlyConfigured(
        f"WEB_CONCURRENCY={settings.WEB_CONCURRENCY} server processes need DATABASE_URL and REDIS_URL: without them"
        " each process has its own database and channel layer. Set both, or run one process (WEB_CONCURRENCY=1)."
    )

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from gameplatform.core.loops import per_loop  # noqa: E402
from gameplatform.core.metrics import routes_labelled  # noqa: E402
from gameplatform.data import db  # noqa: E402
from gameplatform.http.handler import WSGIBridge  # noqa: E402
from gameplatform.http.paths import WebSocketTrailingSlash  # noqa: E402
from gameplatform.operations import ops, timers  # noqa: E402
from gameplatform.rooms.host import drain_all  # noqa: E402
from gameplatform.rooms.placement import serve_at_start  # noqa: E402
from gameplatform.sockets import usercache  # noqa: E402
from gameplatform.sockets.routing import collect_websocket_urlpatterns  # noqa: E402
from gameplatform.sockets.wsauth import JWTAuthMiddleware, OriginCheck  # noqa: E402

logger = logging.getLogger(__name__)


def process_age_seconds() -> float | None:
    """Seconds since this process started (Linux: its start time in ``/proc``); None elsewhere."""
    try:
        with open(f"/proc/{os.getpid()}/stat") as stat:
            # Field 22, after the command's name in parentheses (which may hold spaces): clock ticks since boot.
            started = int(stat.read().rsplit(")", 1)[1].split()[19]) / os.sysconf("SC_CLK_TCK")
        return round(time.clock_gettime(time.CLOCK_BOOTTIME) - started, 2)
    except (OSError, ValueError, IndexError, AttributeError):
        return None


router = ProtocolTypeRouter(
    {
        # /healthz, /readyz, /metrics (gameplatform.operations.ops); REST, admin and static files:
        # Django's WSGI handler on the database workers.
        "http": ops.OpsEndpoints(WSGIBridge()),
        # Trailing slash optional on every socket route (gameplatform.http.paths); each route's
        # pattern goes into the scope, for the socket metrics. Credentials are read before
        # anything can refuse the handshake: a ticket is spent by every handshake that
        # presents it, the ones the Origin check refuses included.
        "websocket": WebSocketTrailingSlash(
            JWTAuthMiddleware(OriginCheck(URLRouter(routes_labelled(collect_websocket_urlpatterns()))))
        ),
    }
)


def _collect_less() -> None:
    """Loaded: the modules, settings and routes are never garbage, so the collector stops
    scanning them (``gc.freeze``). The two young generations are collected as CPython does
    (every ``SERVER_GC_THRESHOLD`` allocations, and every 10th of those), pauses of a few to
    about 25 ms under 1,000 games; the full collection, which scans every live object (about
    0.35 s there), waits for 1,000 middle-generation collections instead of 10: minutes under
    load, where CPython's default ran one every 5-6 s. Little garbage waits for it: a closed
    socket is freed when its task ends (no reference cycle, see ``BaseConsumer.base_send``)."""
    if settings.SERVER_GC_THRESHOLD:
        gc.freeze()
        gc.set_threshold(settings.SERVER_GC_THRESHOLD, 10, 1_000)


_collect_less()


async def application(scope, receive, send):
    """The router, plus the server's background timers (started once per process)."""
    if scope["type"] == "lifespan":
        return await _lifespan(receive, send)
    if settings.RUN_TIMERS_IN_SERVER:
        timers.start_in_server()
    ops.start_sampler()
    db.get_processes()  # started here when the server runs no lifespan (daphne)
    _place_rooms()  # likewise
    usercache.listen_here()  # likewise (once per loop)
    return await router(scope, receive, send)


_placing = per_loop(lambda: asyncio.ensure_future(serve_at_start()))


def _place_rooms() -> None:
    """This process's room hosts report their loads from its start (once per loop: ``_placing``)."""
    _placing()


async def _lifespan(receive, send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            if settings.RUN_TIMERS_IN_SERVER:
                timers.start_in_server()
            db.get_processes()
            _place_rooms()
            # Listening before the first socket, so its user's row is kept for the next.
            usercache.listen_here()
            await send({"type": "lifespan.startup.complete"})
            # uvicorn's start-up banners are INFO lines of "uvicorn.error", off (settings.LOGGING).
            # ready_in_s: from the process's start to here, what a rolling restart waits for
            # (uvicorn's --timeout-worker-healthcheck; docs/operations/deploy.md measures it).
            logger.info("server started", extra={"pid": os.getpid(), "ready_in_s": process_age_seconds()})
        elif message["type"] == "lifespan.shutdown":
            # The sockets are closed (1012, "service restart": clients reconnect to another
            # process); the rooms this process runs go to the other processes before it exits.
            await drain_all()
            await asyncio.to_thread(db.reset_pool)
            await asyncio.to_thread(db.reset_processes)
            await send({"type": "lifespan.shutdown.complete"})
            return

"""Operations endpoints: ``/healthz``, ``/readyz`` and ``/metrics``, answered before Django.

They are served here, in front of the HTTP bridge, so that they cost no Django request
(no middleware, no access-log line, no worker for ``/healthz``), answer whatever ``Host``
the prober sends (an orchestrator probes the pod's address, which is in no
``ALLOWED_HOSTS``) and stay out of the request metrics and the OpenAPI schema.

- ``/healthz``: 200 ``{"status": "ok"}`` while the process serves; it touches nothing else.
- ``/readyz``: 200 when the database, Redis and the channel layer each answer within
  ``READYZ_TIMEOUT_SECONDS``; otherwise 503 ``{"detail", "code": "unavailable", "checks"}``
  naming the ones that failed. A check still running from an earlier probe is awaited, not
  started again, so probes during an outage never tie up more than one database worker.
- ``/metrics``: the Prometheus text format, for callers from ``METRICS_ALLOWED_IPS`` (default:
  loopback) or with ``Authorization: Bearer <METRICS_TOKEN>``. Anyone else gets 404 (no
  credentials) or 403 (a wrong token), in the contract's error shape.
"""

import asyncio
import functools
import hmac
import ipaddress
import json
import logging
import os
import weakref
from importlib import import_module
from importlib.util import find_spec

from django.conf import settings
from django.db import connection
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess

from gameplatform.broadcast.realtime import channel_layer_roundtrip
from gameplatform.core import metrics
from gameplatform.core.errors import UNAVAILABLE_RETRY_AFTER
from gameplatform.data import db
from gameplatform.data.redis import get_redis, redis_enabled

logger = logging.getLogger(__name__)

SAMPLE_EVERY_SECONDS = 5.0


# Read once: prometheus_client itself decides at import whether values go to files.
_MULTIPROCESS_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def multiprocess_dir() -> str | None:
    return _MULTIPROCESS_DIR


# --- answers ---------------------------------------------------------------------


async def _answer(send, status: int, body: bytes, content_type: bytes, headers=()) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode()), *headers],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _json(send, status: int, payload: dict, headers=()) -> None:
    await _answer(send, status, json.dumps(payload).encode(), b"application/json", headers)


def _error(detail: str, code: str) -> dict:
    return {"detail": detail, "code": code}


# --- /healthz and /readyz ---------------------------------------------------------


async def healthz(scope, send) -> None:
    await _json(send, 200, {"status": "ok"})


def _database_ok() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone() == (1,)


async def _check_database() -> bool:
    return await db.run_always(_database_ok)


async def _check_redis() -> bool:
    return await asyncio.to_thread(lambda: bool(get_redis().ping()))


async def _check_channel_layer() -> bool:
    return await channel_layer_roundtrip(settings.READYZ_TIMEOUT_SECONDS, "readyz")


# A check started by an earlier probe and still running (per event loop): awaited again.
_running: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Future]]" = (
    weakref.WeakKeyDictionary()
)


async def _run_check(name: str, check) -> str:
    running = _running.setdefault(asyncio.get_running_loop(), {})
    future = running.get(name)
    if future is None or future.done():
        future = running[name] = asyncio.ensure_future(check())
        # Nobody may be waiting when it fails (the probe timed out): retrieve its error.
        future.add_done_callback(lambda done: done.cancelled() or done.exception())
    try:
        ok = await asyncio.wait_for(asyncio.shield(future), settings.READYZ_TIMEOUT_SECONDS)
    except TimeoutError:
        logger.warning("check %s timed out", name)
        return "timeout"
    except Exception as exc:
        logger.warning("check %s failed: %r", name, exc)
        return "error"
    return "ok" if ok else "error"


async def readiness() -> dict[str, str]:
    """Each dependency's state: "ok", "error", "timeout" or "disabled" (no Redis configured)."""
    names = ["database", "channel_layer"]
    checks = [_run_check("database", _check_database), _run_check("channel_layer", _check_channel_layer)]
    if redis_enabled():
        names.append("redis")
        checks.append(_run_check("redis", _check_redis))
    results = dict(zip(names, await asyncio.gather(*checks), strict=True))
    results.setdefault("redis", "disabled")
    return results


async def readyz(scope, send) -> None:
    checks = await readiness()
    failed = sorted(name for name, state in checks.items() if state not in ("ok", "disabled"))
    if not failed:
        await _json(send, 200, {"status": "ok", "checks": checks})
        return
    body = {**_error(f"Not ready: {', '.join(failed)} did not answer.", "unavailable"), "checks": checks}
    await _json(send, 503, body, [(b"retry-after", str(UNAVAILABLE_RETRY_AFTER).encode())])


# --- /metrics: who may read it ------------------------------------------------------


@functools.cache
def _networks(allowed: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(item, strict=False) for item in allowed)


def _address_allowed(client) -> bool:
    if not client:
        return False
    try:
        address = ipaddress.ip_address(str(client[0]).split("%", 1)[0])
    except ValueError:  # a unix socket peer, or garbage
        return False
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in _networks(tuple(settings.METRICS_ALLOWED_IPS)))


def _bearer(scope) -> bytes | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, token = value.partition(b" ")
            return token.strip() if scheme.lower() == b"bearer" else b""
    return None


def metrics_access(scope) -> int:
    """200 when the caller may read the metrics, 403 for a wrong token, 404 otherwise."""
    token = _bearer(scope)
    expected = settings.METRICS_TOKEN.encode()
    if token is not None and expected and hmac.compare_digest(token, expected):
        return 200
    if _address_allowed(scope.get("client")):
        return 200
    return 403 if token is not None else 404


# --- /metrics: what it says -------------------------------------------------------


@functools.cache
def discover() -> None:
    """Import each app's ``metrics`` module, so its metrics and scrape reactions exist."""
    for app in settings.PROJECT_APPS:
        if find_spec(f"{app}.metrics") is not None:
            import_module(f"{app}.metrics")


def sample_process() -> None:
    """This process's own gauges: the database pool and the work queue."""
    pool = connection.pool if settings.IS_POSTGRES else None  # psycopg_pool's pool, one per process
    if pool is not None:
        stats = pool.get_stats()
        metrics.DB_POOL_SIZE.set(stats.get("pool_size", 0))
        metrics.DB_POOL_IN_USE.set(stats.get("pool_size", 0) - stats.get("pool_available", 0))
        metrics.DB_POOL_WAITING.set(stats.get("requests_waiting", 0))
    metrics.WORK_PENDING.set(db.get_pool().pending)


def _refresh_from_database() -> None:
    """The scrape reactions of the apps, on a database worker; one failing spoils no other."""
    for reaction in metrics.on_scrape.reactions:
        try:
            reaction()
        except Exception as exc:
            logger.warning("metrics refresh %s failed: %r", getattr(reaction, "__name__", reaction), exc)


async def refresh() -> None:
    """Before a scrape: this process's samples, and the database-read gauges (bounded in time)."""
    discover()
    sample_process()
    await _run_check("metrics_refresh", lambda: db.run_always(_refresh_from_database))


def registry():
    """What ``/metrics`` exposes: this process's registry, or every process's files added up."""
    path = multiprocess_dir()
    if path is None:
        return REGISTRY
    metrics.forget_dead_processes(path)
    collected = CollectorRegistry()
    multiprocess.MultiProcessCollector(collected, path=path)
    return collected


def exposition() -> bytes:
    return generate_latest(registry())


# The error counters ``/metrics`` exposes, as the operations page shows them:
# (sample name, what it counts, the label that names a row, which samples count).
ERROR_COUNTERS = (
    ("gameplatform_http_requests_total", "HTTP 5xx answers", "route", lambda labels: labels["status"][:1] == "5"),
    ("gameplatform_dependency_errors_total", "Outages answered 503 / unavailable", "dependency", None),
    ("gameplatform_timer_failures_total", "Timer job runs that raised", "timer", None),
    ("gameplatform_mode_errors_total", "Game mode hooks that raised", "mode", None),
    ("gameplatform_db_work_refused_total", "Database work refused as overloaded", None, None),
    ("gameplatform_uvicorn_errors_total", "uvicorn errors (a rolling restart aborted...)", None, None),
)


def error_counts() -> list[dict]:
    """The error counters since the servers started: ``[{"what", "total", "rows": {label: n}}]``.

    The platform keeps no log of recent errors (log lines go to the stream); these are the
    same counters ``/metrics`` exposes, read from the same registry."""
    samples: dict[str, list] = {}
    for family in registry().collect():
        for sample in family.samples:
            samples.setdefault(sample.name, []).append(sample)
    counted = []
    for name, what, row_label, keep in ERROR_COUNTERS:
        rows: dict[str, int] = {}
        for sample in samples.get(name, ()):
            if keep is None or keep(sample.labels):
                key = sample.labels.get(row_label, "") if row_label else ""
                rows[key] = rows.get(key, 0) + int(sample.value)
        counted.append({"what": what, "total": sum(rows.values()), "rows": {k: n for k, n in rows.items() if n}})
    return counted


async def metrics_endpoint(scope, send) -> None:
    status = metrics_access(scope)
    if status == 404:
        await _json(send, 404, _error("Not found.", "not_found"))
        return
    if status == 403:
        await _json(send, 403, _error("A valid metrics token is required.", "forbidden"))
        return
    await refresh()
    body = await asyncio.to_thread(exposition)
    await _answer(send, 200, body, CONTENT_TYPE_LATEST.encode())


# --- the per-process sampler (several processes only) ----------------------------

_sampling: "weakref.WeakSet[asyncio.AbstractEventLoop]" = weakref.WeakSet()


def start_sampler() -> None:
    """With several processes each writes its own pool gauges: sample them every few seconds."""
    if _MULTIPROCESS_DIR is None:
        return  # one process: sampled when scraped
    loop = asyncio.get_running_loop()
    if loop in _sampling:
        return
    _sampling.add(loop)
    loop.create_task(_sample_forever())


async def _sample_forever() -> None:
    while True:
        try:
            sample_process()
        except Exception:
            logger.exception("sampling process metrics failed")
        await asyncio.sleep(SAMPLE_EVERY_SECONDS)


# --- routing --------------------------------------------------------------------

ROUTES = {
    "/healthz": healthz,
    "/readyz": readyz,
    "/metrics": metrics_endpoint,
}
ROUTES.update({f"{path}/": handler for path, handler in list(ROUTES.items())})


class OpsEndpoints:
    """ASGI: the operations endpoints; every other request goes on to ``app``."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        handler = ROUTES.get(scope["path"])
        if handler is None:
            return await self.app(scope, receive, send)
        if scope["method"] not in ("GET", "HEAD"):
            refusal = _error("Only GET is allowed here.", "method_not_allowed")
            await _json(send, 405, refusal, [(b"allow", b"GET, HEAD")])
            return
        await handler(scope, send)

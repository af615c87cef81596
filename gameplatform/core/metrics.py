"""Prometheus metrics of the platform: what the kit measures, and the recorders that keep it cheap.

Everything here is a ``prometheus_client`` metric on the default registry. Under several
server processes (``uvicorn --workers N``) ``PROMETHEUS_MULTIPROC_DIR`` names a directory the
processes share: each writes its values to files there and ``/metrics`` (``gameplatform.operations.ops``)
adds them up. The directory must exist and be emptied before the servers start (values of an
earlier run would otherwise be counted again).

Labels are bounded: a request's label is the route pattern it matched
(``api/lobbies/<id:lobby_id>/join/``), never its path; a client frame's type is one its
consumer declares (anything else is ``other``); methods outside the standard ones are ``other``.
Recorders keep the label children they made in a dict, so the hot paths (a request, a frame)
cost a dict look-up and an increment.

Apps define their own metrics in their ``metrics.py`` (``matchmaking/metrics.py``) and may
register a reaction on ``on_scrape``: it runs once per scrape, on a database worker, to set
gauges that are read from the database (queue length, games active).
"""

import logging
import os

from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics, multiprocess

from gameplatform.core.hooks import Hook

logger = logging.getLogger(__name__)

# --- several processes: which ones wrote values --------------------------------------
# A process that dies leaves its live gauges (open sockets, pool use) in the shared directory
# until ``prometheus_client.multiprocess.mark_process_dead(pid)`` is called for it; gunicorn
# has a ``child_exit`` hook for that, uvicorn none. So each process that defines the metrics
# writes its pid in a directory of the kit's own inside ``PROMETHEUS_MULTIPROC_DIR`` (a
# subdirectory: prometheus_client reads only its own value files), and a scrape marks dead
# the processes listed there that no longer run. prometheus_client's own file names are
# never read.

PROCESSES_SUBDIR = "gameplatform-processes"


def processes_dir(path: str) -> str:
    return os.path.join(path, PROCESSES_SUBDIR)


def register_process(path: str, pid: int) -> None:
    """Lists ``pid`` as a process writing values under ``path`` (the multiprocess directory)."""
    os.makedirs(processes_dir(path), exist_ok=True)
    with open(os.path.join(processes_dir(path), str(pid)), "w"):
        pass


def forget_dead_processes(path: str) -> list[int]:
    """Marks dead (``mark_process_dead``) every listed process that no longer runs; its pids."""
    try:
        names = os.listdir(processes_dir(path))
    except FileNotFoundError:
        return []
    forgotten = []
    for name in names:
        if not (name.isascii() and name.isdigit()):
            continue
        pid = int(name)
        try:
            os.kill(pid, 0)
            continue
        except PermissionError:
            continue  # alive, another user's
        except ProcessLookupError:
            pass
        try:
            multiprocess.mark_process_dead(pid, path)
        except FileNotFoundError:
            pass  # a scrape served by another process removed its files first
        try:
            os.remove(os.path.join(processes_dir(path), name))
        except FileNotFoundError:
            pass  # likewise
        forgotten.append(pid)
    return forgotten


def _register_this_process() -> None:
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path and os.path.isdir(path):
        register_process(path, os.getpid())


_register_this_process()
os.register_at_fork(after_in_child=_register_this_process)  # a forked child writes under its own pid

# No ``_created`` series beside each counter and histogram: half the exposition, unused.
disable_created_metrics()

# A label for what has no route: a request answered before Django routed it (a static
# file, an unknown path, a refusal while overloaded), a socket outside the URL router.
UNROUTED = "<unrouted>"
OTHER = "other"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Server frame types come from code, but a bug must not explode the series count.
MAX_OUT_TYPES = 200

HTTP_REQUESTS = Counter(
    "gameplatform_http_requests_total",
    "HTTP requests answered, by route pattern, method and status.",
    ["route", "method", "status"],
)
HTTP_DURATION = Histogram(
    "gameplatform_http_request_duration_seconds",
    "Time from the request body read to the response written (waiting for a worker included).",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
SOCKETS_OPEN = Gauge(
    "gameplatform_ws_connections_open",
    "Accepted WebSockets open now, by route pattern.",
    ["route"],
    multiprocess_mode="livesum",
)
FRAMES_IN = Counter("gameplatform_ws_frames_in_total", "Client frames received, by type.", ["type"])
FRAMES_OUT = Counter(
    "gameplatform_ws_frames_out_total", "Frames written to sockets, by type (broadcasts included).", ["type"]
)
WS_USER_ROWS = Counter(
    "gameplatform_ws_user_rows_total",
    "Socket handshakes with an access token, by where its user's row came from: cache or database.",
    ["source"],
)
DELIVERIES = Counter(
    "gameplatform_ws_deliveries_total", "Broadcast frames written to sockets by the process hubs (one per socket)."
)
CUT_OFF = Counter(
    "gameplatform_ws_cut_off_total",
    "Sockets cut off because their client stopped reading (a send waited over WS_STALL_SECONDS), by route.",
    ["route"],
)
RATE_LIMITED = Counter(
    "gameplatform_rate_limit_refusals_total", "Actions refused by a rate-limit budget, by budget name.", ["budget"]
)
DEPENDENCY_ERRORS = Counter(
    "gameplatform_dependency_errors_total",
    "Outages answered 503 (http) or with an ``unavailable`` error frame (socket), by dependency.",
    ["dependency", "surface"],
)
DB_POOL_IN_USE = Gauge(
    "gameplatform_db_pool_connections_in_use", "Pooled PostgreSQL connections checked out.", multiprocess_mode="livesum"
)
DB_POOL_SIZE = Gauge(
    "gameplatform_db_pool_connections",
    "PostgreSQL connections in the pool (idle or in use).",
    multiprocess_mode="livesum",
)
DB_POOL_WAITING = Gauge(
    "gameplatform_db_pool_requests_waiting", "Requests waiting for a pooled connection.", multiprocess_mode="livesum"
)
WORK_PENDING = Gauge(
    "gameplatform_db_work_pending",
    "Units of database work queued or running on the workers.",
    multiprocess_mode="livesum",
)
WORK_REFUSED = Counter("gameplatform_db_work_refused_total", "Units of work refused as overloaded (503 / error frame).")
# The job's label is "timer": Prometheus keeps "job" for the scrape job (ours would become "exported_job").
TIMER_RUNS = Counter("gameplatform_timer_runs_total", "Background timer job runs, by job name.", ["timer"])
TIMER_FAILURES = Counter(
    "gameplatform_timer_failures_total", "Background timer job runs that raised, by job name.", ["timer"]
)
TIMER_DURATION = Histogram(
    "gameplatform_timer_duration_seconds",
    "Time a timer job run took, by job name.",
    ["timer"],
    buckets=(0.001, 0.005, 0.025, 0.1, 0.5, 2.5, 10.0),
)
# A mode's hook that raised (the room's step changed nothing): by mode and hook. Both are bounded:
# the modes a server runs, and the hooks of the mode API (``view`` included).
# uvicorn's own errors where the platform's logging does not reach (gameplatform.operations.uvicorn_parent):
# its parent process (a rolling restart aborted: a new worker not ready within --timeout-worker-healthcheck)
# and a worker before the application loaded.
UVICORN_ERRORS = Counter(
    "gameplatform_uvicorn_errors_total",
    "Errors uvicorn logged outside the application: its parent process (a rolling restart aborted, a worker"
    " that failed to start) and a worker before the application loaded.",
)
MODE_ERRORS = Counter("gameplatform_mode_errors_total", "Mode hooks that raised, by mode and hook.", ["mode", "hook"])
# A player's frame from another process refused ``overloaded``: its game's owner had too many waiting.
GAME_OPS_REFUSED = Counter(
    "gameplatform_game_ops_refused_total", "Players' game frames refused at a room's owner that was too far behind."
)
# New rooms a process asked a less-loaded one to run (``gameplatform.rooms.placement``): taken
# there (``there``), or opened by the asker after all (``fallback``: refused, or no answer in time).
ROOMS_PLACED = Counter(
    "gameplatform_rooms_placed_total", "New rooms placed on another process, by outcome: there, fallback.", ["where"]
)

# Reactions run once per scrape (on a database worker) to set gauges read from the database.
on_scrape: Hook[[], None] = Hook("metrics_scrape")


# --- recorders for the hot paths ------------------------------------------------

_http_children: dict[tuple[str, str, int], tuple] = {}


def observe_request(route: str | None, method: str, status: int, seconds: float) -> None:
    """One HTTP request answered (``route`` None: not routed by Django)."""
    key = (route or UNROUTED, method if method in METHODS else OTHER, status)
    children = _http_children.get(key)
    if children is None:
        children = _http_children[key] = (
            HTTP_REQUESTS.labels(key[0], key[1], str(status)),
            HTTP_DURATION.labels(key[0], key[1]),
        )
    children[0].inc()
    children[1].observe(seconds)


def _cached(metric, cache: dict, label: str):
    child = cache.get(label)
    if child is None:
        child = cache[label] = metric.labels(label)
    return child


_sockets: dict[str, object] = {}
_frames_in: dict[str, object] = {}
_frames_out: dict[str, object] = {}
_budgets: dict[str, object] = {}


def socket_opened(route: str) -> None:
    _cached(SOCKETS_OPEN, _sockets, route).inc()


def socket_closed(route: str) -> None:
    _cached(SOCKETS_OPEN, _sockets, route).dec()


def frame_in(frame_type: str) -> None:
    """A client frame; ``frame_type`` must already be a declared type or ``other``."""
    _cached(FRAMES_IN, _frames_in, frame_type).inc()


def _out_label(frame_type) -> str:
    if frame_type in _frames_out:
        return frame_type
    if not isinstance(frame_type, str) or len(_frames_out) >= MAX_OUT_TYPES:
        return OTHER
    return frame_type


def frames_out(frame_type, count: int = 1) -> None:
    _cached(FRAMES_OUT, _frames_out, _out_label(frame_type)).inc(count)


def delivered(frame_type, count: int) -> None:
    """``count`` sockets were written one broadcast frame by a hub."""
    DELIVERIES.inc(count)
    frames_out(frame_type, count)


def cut_off(route: str) -> None:
    CUT_OFF.labels(route).inc()


_user_rows: dict[str, object] = {}


def user_row_read(source: str) -> None:
    """A socket handshake's user row came from ``source``: ``cache`` or ``database``."""
    _cached(WS_USER_ROWS, _user_rows, source).inc()


def rate_limited(budget: str) -> None:
    _cached(RATE_LIMITED, _budgets, budget).inc()


def timer_ran(job: str, seconds: float, failed: bool) -> None:
    TIMER_RUNS.labels(job).inc()
    TIMER_DURATION.labels(job).observe(seconds)
    if failed:
        TIMER_FAILURES.labels(job).inc()


def mode_error(mode: str, hook: str) -> None:
    MODE_ERRORS.labels(mode, hook).inc()


def game_op_refused() -> None:
    GAME_OPS_REFUSED.inc()


def room_placed(where: str) -> None:
    ROOMS_PLACED.labels(where).inc()


# --- outages ----------------------------------------------------------------------


def outage(dependency: str, surface: str) -> None:
    """An outage answered: ``dependency`` "redis", "database" or "unknown" (``errors.dependency_of``);
    ``surface`` "http" (503 unavailable) or "socket" (error frame, close 1013)."""
    try:
        DEPENDENCY_ERRORS.labels(dependency, surface).inc()
    except Exception:  # a metric never turns an answered outage into a 500
        logger.exception("counting an outage failed")


# --- socket routes ----------------------------------------------------------------


class _Routed:
    """An ASGI app that records its URL pattern in the scope (``scope["route"]``)."""

    def __init__(self, app, route: str) -> None:
        self.app = app
        self.route = route

    def __call__(self, scope, receive, send):
        # Not ``async``: the inner app's coroutine goes to the caller to await (a tail call), so no
        # frame of this layer lives as long as the socket (about 250 bytes each). Not for an outermost
        # app: asgiref's guarantee_single_callable would take it for an ASGI 2 app.
        scope["route"] = self.route
        return self.app(scope, receive, send)


def routes_labelled(patterns: list) -> list:
    """The socket URL patterns, each telling its consumer which pattern matched (a bounded label)."""
    from django.urls import URLPattern

    return [
        URLPattern(p.pattern, _Routed(p.callback, str(p.pattern)), p.default_args, p.name)
        if isinstance(p, URLPattern)
        else p
        for p in patterns
    ]

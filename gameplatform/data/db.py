"""Database work from the event loop: a bounded pool of worker threads per process.

Consumers, REST views (``gameplatform.http.handler``) and timers run their blocking
Django work through ``run``. Three rules make that safe and fast:

- **Bounded and concurrent.** ``DB_WORKERS`` threads per process run units of
  work side by side (Channels' default sends every consumer's database work of a
  process to one thread). The pool of database connections is sized from the
  same setting, so a worker never waits for a connection.
- **A worker keeps its connection, checked, between units.** Each worker thread
  takes one connection from the pool and keeps it from one unit to the next: no
  pool checkout, check and Django connection set-up per unit. Before each unit
  the kept connection is checked without a round trip (``gameplatform.data.pgpool``:
  its socket polled, psycopg's check only when something arrived): one the server
  closed (a restart, a terminated backend, a failover) goes back to the pool,
  which drops it, and the unit's first query takes another. After a unit a
  connection goes back unless it is idle in autocommit, as a unit must leave it,
  and at the latest ``KEEP_SECONDS`` after it was taken, so the pool's own ageing
  still applies. A worker that stops gives its connection back (``reset_pool``):
  the workers are a plain loop each (``WorkerThreads``), so that this happens on
  the thread that holds it. A REST request's own Django signals still close its
  connection at its end (``CONN_MAX_AGE = 0``, which the pool requires).
- **Busy is not broken.** Units wait in a queue of at most ``DB_QUEUE_LIMIT``
  per process; past that ``run`` raises ``Overloaded`` at once (a 503 on REST,
  an ``error`` frame on a socket), before anything has changed.

Broadcasts a unit makes after commit (``gameplatform.broadcast.realtime``) are not sent
from the worker thread: they are collected in the unit's outbox and published
from the event loop once the unit returns, in order, before the caller goes on.
"""

import asyncio
import contextvars
import logging
import multiprocessing
import os
import pickle
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connections
from psycopg.pq import TransactionStatus

from gameplatform.broadcast.realtime import outbox_var, publish
from gameplatform.core import metrics
from gameplatform.core.errors import ApplicationError, Unavailable, is_outage
from gameplatform.data import process_start
from gameplatform.data.pgpool import check_pooled_connection

logger = logging.getLogger(__name__)


class Overloaded(ApplicationError):
    status_code = 503
    close_code = 1013  # "try again later"

    def __init__(self, retry_after: float = 1.0) -> None:
        super().__init__(
            "The server is busy; try again shortly.",
            code="overloaded",
            extra={"retry_after": retry_after},
        )
        self.retry_after = retry_after


class WorkerThreads(Executor):
    """``count`` threads, each a plain loop over one queue of units, for ``run_in_executor``.

    Not a ``ThreadPoolExecutor``: a worker keeps its database connection between units, and
    Django's connections belong to the thread that opened them, so only the worker itself can
    give its connection back. Each does so when it stops (``shutdown``), whatever stopped it."""

    def __init__(self, count: int, name: str = "db") -> None:
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._stopped = False
        self._threads = [threading.Thread(target=self._work, name=f"{name}_{n}", daemon=True) for n in range(count)]
        for thread in self._threads:
            thread.start()

    def submit(self, fn: Callable, /, *args, **kwargs) -> Future:
        future: Future = Future()
        with self._lock:
            if self._stopped:
                raise RuntimeError("the database workers have stopped")
            self._queue.put((future, fn, args, kwargs))
        return future

    def _work(self) -> None:
        try:
            while (item := self._queue.get()) is not None:
                future, fn, args, kwargs = item
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    future.set_result(fn(*args, **kwargs))
                except BaseException as exc:  # handed to whoever waits on the future
                    future.set_exception(exc)
        finally:
            close_connections()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._stopped = True
        if cancel_futures:
            while True:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is not None:
                    item[0].cancel()
        for _ in self._threads:
            self._queue.put(None)  # each worker takes one and ends, giving its connection back
        if wait:
            for thread in self._threads:
                thread.join()


class WorkPool:
    """The worker threads of one process and the count of units waiting or running."""

    def __init__(self, workers: int, queue_limit: int) -> None:
        self.workers = workers
        self.limit = workers + queue_limit
        self.executor = WorkerThreads(workers)
        # SQLite (one process, one writer): units run on asgiref's one sync thread, the thread
        # every other sync_to_async call of the process uses, so no two connections ever
        # meet on SQLite's shared in-memory test database (which refuses, not waits).
        self.on_sync_thread = connections["default"].vendor == "sqlite"
        self._lock = threading.Lock()
        self.pending = 0  # units admitted and not yet finished
        self.refused = 0

    def admit(self) -> None:
        with self._lock:
            if self.pending >= self.limit:
                self.refused += 1
                metrics.WORK_REFUSED.inc()
                raise Overloaded()
            self.pending += 1

    def release(self) -> None:
        with self._lock:
            self.pending -= 1

    def shutdown(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


_pool: WorkPool | None = None
_pool_lock = threading.Lock()


def get_pool() -> WorkPool:
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                _pool = WorkPool(settings.DB_WORKERS, settings.DB_QUEUE_LIMIT)
    return _pool


def reset_pool() -> None:
    """Stop the workers (tests that change the sizes; a clean process stop)."""
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown()


def _close(conn) -> None:
    try:
        conn.close()
    except Exception:
        logger.exception("closing a database connection failed")


def close_connections() -> None:
    """Give this thread's database connections back (to the pool, with PostgreSQL)."""
    for conn in connections.all(initialized_only=True):
        _close(conn)


# How long a worker keeps one connection at most: then it goes back to the pool, which
# replaces it once it reaches the pool's ``max_lifetime`` (psycopg_pool's default, an hour).
KEEP_SECONDS = 60.0
# This thread's kept connections: alias -> (the DB-API connection, when it was first kept).
_kept = threading.local()


def _check_kept() -> None:
    """Before a unit: a kept connection the server closed meanwhile (a restart, a terminated
    backend) goes back to the pool, which drops it; the unit's first query takes another."""
    for conn in connections.all(initialized_only=True):
        raw = conn.connection
        if raw is None or conn.vendor != "postgresql":
            continue
        try:
            check_pooled_connection(raw)
        except Exception:  # noqa: BLE001 - broken in any way: given back, replaced by the pool
            _close(conn)


def _keep_or_close(keep: bool) -> None:
    """After a unit: keep each connection that is as a unit must leave it (idle, in autocommit)
    for the next unit on this thread, for at most ``KEEP_SECONDS``; give back any other."""
    kept = _kept.__dict__
    now = time.monotonic()
    for conn in connections.all(initialized_only=True):
        raw = conn.connection
        if raw is None:
            kept.pop(conn.alias, None)
            continue
        previous, since = kept.get(conn.alias, (None, now))
        if previous is not raw:
            since = now
        if keep and conn.vendor == "postgresql" and now - since < KEEP_SECONDS and _idle(conn, raw):
            kept[conn.alias] = (raw, since)
            continue
        kept.pop(conn.alias, None)
        _close(conn)


def _idle(conn, raw) -> bool:
    try:
        return conn.get_autocommit() and raw.info.transaction_status == TransactionStatus.IDLE
    except Exception:  # noqa: BLE001 - a connection that cannot say is not kept
        return False


# The event loop that handed the current unit to its worker; None outside a unit.
_loop_var: contextvars.ContextVar[asyncio.AbstractEventLoop | None] = contextvars.ContextVar("db_loop", default=None)


def _unit(loop, fn: Callable, args: tuple, kwargs: dict, keep: bool = True) -> tuple[Any, BaseException | None, list]:
    """One unit on the calling thread: its result or error and its outbox. ``keep``: the
    thread may keep its connection for its next unit (a worker; not asgiref's sync thread)."""
    outbox: list = []
    token, loop_token = outbox_var.set(outbox), _loop_var.set(loop)
    try:
        _check_kept()
        return fn(*args, **kwargs), None, outbox
    except BaseException as exc:  # handed back to the loop, raised there
        return None, exc, outbox
    finally:
        outbox_var.reset(token)
        _loop_var.reset(loop_token)
        _keep_or_close(keep)


def await_on_loop(coroutine, timeout: float) -> Any:
    """From a unit of work: run ``coroutine`` on the server's event loop and wait for it.

    Outside a unit (a management command, a test's thread) it runs on a loop of its
    own, as ``async_to_sync`` would. Inside one, the process's own loop, its Redis
    connections and its hub are used, instead of a new event loop per call.
    """
    loop = _loop_var.get()
    if loop is None:
        return asyncio.run(asyncio.wait_for(coroutine, timeout))
    return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout)


async def run(fn: Callable, /, *args, **kwargs) -> Any:
    """Run ``fn(*args, **kwargs)`` on a worker thread; publish its broadcasts; return its result.

    Raises ``Overloaded`` without running ``fn`` when the process already has
    ``DB_WORKERS + DB_QUEUE_LIMIT`` units waiting or running.
    """
    pool = get_pool()
    pool.admit()
    try:
        return await _run(pool, fn, args, kwargs)
    finally:
        pool.release()


async def run_always(fn: Callable, /, *args, **kwargs) -> Any:
    """Like ``run``, never refused: clean-up that must happen (a socket's goodbye, timers)."""
    return await _run(get_pool(), fn, args, kwargs)


async def _run(pool: WorkPool, fn: Callable, args: tuple, kwargs: dict) -> Any:
    loop = asyncio.get_running_loop()
    if pool.on_sync_thread:
        result, error, outbox = await sync_to_async(_unit, thread_sensitive=True)(loop, fn, args, kwargs, False)
    else:
        context = contextvars.copy_context()
        result, error, outbox = await loop.run_in_executor(pool.executor, context.run, _unit, loop, fn, args, kwargs)
    if outbox:
        await publish(outbox)
    if error is not None:
        raise error
    return result


# --- units in worker processes ---------------------------------------------------------------
#
# The rooms' database work (a batch of seats read, of games started, of results recorded: see
# ``game.rooms``) is CPU for the ORM and the driver, and on a worker thread that CPU is taken
# from the one interpreter the event loop runs in: under 1,000 games it was about a quarter of
# the process, and each batch made the loop wait its turn for the interpreter. With
# ``DB_PROCESSES`` set (and PostgreSQL and Redis), ``run_apart`` sends such a unit to one of that many
# worker processes instead. They are started with the ``spawn`` method (a fresh interpreter:
# never a fork of a process that runs threads) and load Django as the server does. The unit's
# arguments and outcome cross as pickles; its broadcasts come back in its outbox and are
# published from the server's loop, as with a thread.


class ProcessWork:
    """The worker processes of one server process."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self.executor = ProcessPoolExecutor(
            max_workers=processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=process_start.start,
            initargs=(connections["default"].settings_dict["NAME"],),
        )
        for _ in range(processes):  # started now, each loading Django, not when the first games wait
            self.executor.submit(os.getpid)

    def shutdown(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


_processes: ProcessWork | None = None
_processes_off = False  # decided: this process runs its units on threads only


def get_processes() -> ProcessWork | None:
    """This process's worker processes, started on the first call (the server's start); None
    when database units run on threads only: ``DB_PROCESSES=0``, or no PostgreSQL and Redis.
    A worker is another process: what a unit reads or writes besides the database (the cache,
    presence, rate limits) must be in Redis to be the server's too."""
    global _processes, _processes_off
    if _processes is None and not _processes_off:
        with _pool_lock:
            if _processes is None and not _processes_off:
                if settings.DB_PROCESSES and settings.REDIS_URL and connections["default"].vendor == "postgresql":
                    _processes = ProcessWork(settings.DB_PROCESSES)
                else:
                    _processes_off = True
    return _processes


def reset_processes() -> None:
    """Stop the worker processes (a clean process stop, tests); the next ``get_processes`` reads
    the settings again."""
    global _processes, _processes_off
    with _pool_lock:
        work, _processes, _processes_off = _processes, None, False
    if work is not None:
        work.shutdown()


def drop_broken(work: ProcessWork) -> None:
    """``work`` lost a worker: it is let go, and the next unit starts new ones. Only ``work``:
    several units fail with the same broken pool, and the last of them to get here must not stop
    the new pool that a unit after the first one already started (and cancel its units)."""
    global _processes
    with _pool_lock:
        if _processes is not work:
            return
        _processes = None
    work.shutdown()


def _process_unit(fn: Callable, args: tuple, kwargs: dict) -> tuple[Any, BaseException | None, list]:
    """A unit in a worker process. Its error goes back as itself when it survives the trip,
    else as a plain error with its text (an outage still an outage, ``errors.is_outage``)."""
    result, error, outbox = _unit(None, fn, args, kwargs)
    if error is not None:
        try:
            pickle.loads(pickle.dumps(error))
        except Exception:  # noqa: BLE001 - any error that cannot cross goes as its text
            text = f"{type(error).__name__}: {error}"
            error = Unavailable() if is_outage(error) else RuntimeError(text)
    return result, error, outbox


async def run_apart(fn: Callable, /, *args, **kwargs) -> Any:
    """Like ``run_always``, on a worker process when ``DB_PROCESSES`` is set: ``fn`` is a
    module-level function, its arguments and result can be pickled, and it needs nothing of
    this process but the database and the channel layer (its broadcasts come back here)."""
    work = get_processes()
    if work is None:
        return await run_always(fn, *args, **kwargs)
    loop = asyncio.get_running_loop()
    try:
        result, error, outbox = await loop.run_in_executor(work.executor, _process_unit, fn, args, kwargs)
    except BrokenProcessPool as exc:  # a worker died (killed, out of memory): new ones next time
        logger.error("a database worker process died; starting new ones")
        await asyncio.to_thread(drop_broken, work)
        raise Unavailable() from exc
    if outbox:
        await publish(outbox)
    if error is not None:
        raise error
    return result

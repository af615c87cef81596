"""Logging: one line per event, a request id on every line, no secrets.

Access tokens and WebSocket tickets travel in query strings (``?token=``,
``?ticket=``); ``redact_query`` is the only way a query string reaches a log.
"""

import atexit
import collections
import json
import logging
import sys
import threading
import time
import uuid
from contextvars import ContextVar
from urllib.parse import parse_qsl, urlencode

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
access_logger = logging.getLogger("gameplatform.access")

SECRET_PARAMS = frozenset({"token", "ticket", "access", "refresh", "password"})


def redact_query(query: str | bytes) -> str:
    if isinstance(query, bytes):
        query = query.decode("latin1")
    if not query:
        return ""
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(k, "[redacted]" if k.lower() in SECRET_PARAMS else v) for k, v in pairs])


def new_request_id() -> str:
    return uuid.uuid4().hex[:16]


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


class RedactRequestFilter(logging.Filter):
    """Django attaches the request to its records (``django.request``, ``django.security.*``):
    its repr is the full URL, ``?token=`` included, for any handler or formatter that prints
    it. The record keeps ``method path?redacted-query`` instead. On the ``django.request``
    logger (before any handler) and on the console handler (every other logger)."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        if isinstance(request, HttpRequest):
            record.request = _loggable(request)
        return True


# uvicorn adds `color_message` (its message with terminal colours) to its records.
_STANDARD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id", "color_message"}


def _loggable(value):
    """Django attaches the request to its log records (``django.request``): its repr is the
    full URL, query string and any ``?token=`` included. Log method, path and redacted query."""
    if isinstance(value, HttpRequest):
        query = redact_query(value.META.get("QUERY_STRING", ""))
        return f"{value.method} {value.path}" + (f"?{query}" if query else "")
    return value


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = _loggable(value)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


JsonFormatter.converter = time.gmtime


class RequestLogMiddleware:
    """Gives each HTTP request an id (honouring ``X-Request-ID``) and logs one line for it."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self._acall(request)
        token, started = self._start(request)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        return self._finish(request, response, started)

    async def _acall(self, request):
        token, started = self._start(request)
        try:
            response = await self.get_response(request)
        finally:
            request_id_var.reset(token)
        return self._finish(request, response, started)

    def _start(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming[:64] if incoming.isprintable() and incoming else new_request_id()
        return request_id_var.set(request.request_id), time.perf_counter()

    def _finish(self, request, response, started):
        response["X-Request-ID"] = request.request_id
        access_logger.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "request_id": request.request_id,
                "method": request.method,
                "path": request.path,
                "query": redact_query(request.META.get("QUERY_STRING", "")),
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            },
        )
        return response


class BackgroundStreamHandler(logging.Handler):
    """A console handler that never makes its caller wait for the write.

    Filters and the formatter run on the calling thread (the request id is a context
    variable there); the formatted line is appended to a buffer, and a thread of this
    handler's own writes what has gathered to stderr every ``interval`` seconds, in one
    write. The event loop then never blocks on the stream, nor waits to take the GIL back
    from a database worker after the write's system call.

    A queue and a listener thread (the standard library's ``QueueHandler``) wake the
    listener for every line: at several hundred requests per second those wake-ups cost
    the process more than formatting the lines. Here a line costs a ``deque.append``;
    a warning or an error wakes the writer at once. While the stream cannot keep up, at
    most ``limit`` lines wait; past that lines are dropped, counted, and the count is
    written when the stream takes lines again.
    """

    def __init__(self, stream=None, interval: float = 0.05, limit: int = 100_000) -> None:
        super().__init__()
        self.stream = stream if stream is not None else sys.stderr
        self.interval, self.limit = interval, limit
        self.dropped = 0
        self._lines: collections.deque[str] = collections.deque()
        self._wake = threading.Event()
        self._write_lock, self._drop_lock = threading.Lock(), threading.Lock()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="log-writer", daemon=True)
        self._thread.start()
        atexit.register(self.close)  # writes what is still buffered

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:
            self.handleError(record)
            return
        if len(self._lines) >= self.limit:
            with self._drop_lock:
                self.dropped += 1
            return
        self._lines.append(line)
        if record.levelno >= logging.WARNING:
            self._wake.set()

    def _run(self) -> None:
        while not self._stopping:
            self._wake.wait(self.interval)
            self._wake.clear()
            self._write()

    def _write(self) -> None:
        with self._write_lock:
            lines = self._lines
            taken = [lines.popleft() for _ in range(len(lines))]
            # Not the handler's own lock: logging.shutdown holds it while it closes us, and
            # close waits for this thread.
            with self._drop_lock:
                dropped, self.dropped = self.dropped, 0
            if dropped:
                taken.append(f"{dropped} log lines dropped: the log stream did not keep up")
            if not taken:
                return
            try:
                self.stream.write("\n".join(taken) + "\n")
                self.stream.flush()
            except Exception:  # nowhere left to report it
                pass

    def flush(self) -> None:
        """Write what is buffered now, on the calling thread."""
        self._write()

    def close(self) -> None:
        if not self._stopping:
            self._stopping = True
            self._wake.set()
            self._thread.join(timeout=5)
            self._write()
        super().close()


class QuietConnectionsFilter(logging.Filter):
    """Drops uvicorn's per-socket lines (``"WebSocket /path" [accepted]``, ``connection open``,
    ``connection closed``): the consumers log each socket once, with its request id and user."""

    CHATTER = frozenset({'%s - "WebSocket %s" [accepted]', "connection open", "connection closed"})

    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg not in self.CHATTER

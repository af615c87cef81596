"""Logging: one line per event, a request id on every line, no secrets.

Access tokens and WebSocket tickets travel in query strings (``?token=``,
``?ticket=``); ``redact_query`` is the only way a query string reaches a log.
"""

import atexit
import json
import logging
import logging.handlers
import queue
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


class BackgroundStreamHandler(logging.handlers.QueueHandler):
    """A console handler that never makes its caller wait for the write.

    Filters and the formatter run on the calling thread (the request id is a context
    variable there); the formatted line goes through a queue to a thread of this handler's
    own, which writes it to stderr. The event loop then never blocks on the stream, nor
    waits to take the GIL back from a database worker after the write's system call.
    """

    def __init__(self) -> None:
        line_queue: queue.SimpleQueue = queue.SimpleQueue()
        super().__init__(line_queue)
        self.listener = logging.handlers.QueueListener(line_queue, logging.StreamHandler())
        self.listener.start()
        atexit.register(self.listener.stop)  # writes what is still queued


class QuietConnectionsFilter(logging.Filter):
    """Drops uvicorn's per-socket lines (``"WebSocket /path" [accepted]``, ``connection open``,
    ``connection closed``): the consumers log each socket once, with its request id and user."""

    CHATTER = frozenset({'%s - "WebSocket %s" [accepted]', "connection open", "connection closed"})

    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg not in self.CHATTER

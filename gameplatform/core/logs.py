"""Logging: one line per event, a request id on every line, no secrets.

Access tokens and WebSocket tickets travel in query strings (``?token=``,
``?ticket=``), and so do a sign-in callback's code, state and OpenID signature;
passwords and refresh tokens in JSON bodies. One rule, ``redact``,
keeps their values out of every line the process writes, whoever writes it (our
loggers, uvicorn's, daphne's, Django's): ``RedactSecretsFilter`` applies it on the
console handler to the formatted message, the exception text and the extra fields.
"""

import atexit
import collections
import json
import logging
import re
import sys
import threading
import time
import uuid
from collections.abc import Awaitable
from contextvars import ContextVar
from typing import TypeVar
from urllib.parse import unquote_plus

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
T = TypeVar("T")
access_logger = logging.getLogger("gameplatform.access")

# The environ key where the HTTP bridge leaves the id it gave the request (gameplatform.http.handler).
REQUEST_ID_KEY = "gameplatform.request_id"

REDACTED = "[redacted]"
# A name holding one of these is a secret's: token, access_token, csrftoken, ticket, refresh,
# password, new_password, password_confirm, SECRET_KEY, sessionid, api_key, access, device_id ...
SECRET_WORDS = (
    "token", "ticket", "refresh", "password", "passwd", "secret", "sessionid", "apikey", "api_key",
    "authorization", "access", "device_id",
)  # fmt: skip
SECRET_NAME = re.compile("|".join(SECRET_WORDS), re.IGNORECASE)
# Names that are a secret's as a whole name of a query string or a form (``code=``, not
# ``error_code=``, nor the ``"code"`` of an error body): an OAuth 2 callback's authorization
# code and state, and an OpenID 2.0 assertion's signature (Steam's ``openid.sig``; the other
# ``openid.*`` fields are public, and without the signature the provider confirms none).
SECRET_PARAMS = frozenset({"code", "state", "openid.sig"})
# A line holding none of these (nor a percent-encoded name) has nothing to redact: most lines.
_MARKERS = (*SECRET_WORDS, *(f"{name}=" for name in SECRET_PARAMS), "bearer", "eyj")
_SECRETS = re.compile(
    # A JWT wherever it stands (both its first parts are base64 of JSON: "eyJ").
    r"(?P<jwt>eyJ[\w-]+\.eyJ[\w-]+\.[\w-]*)"
    r"|(?P<bearer>\bbearer\s+)[^\s\"',;]+"
    # "name": "value" and 'name': 'value' (JSON bodies, Python reprs), quotes escaped or not.
    r"|(?P<q>\\?[\"'])(?P<jkey>[^\"'\\\s]{1,64})(?P=q)\s*:\s*"
    r"(?P<jvalue>\\[\"'](?:(?!\\[\"']).)*\\[\"']|\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|[^\s,}\]]+)"
    # name=value (query strings, forms, cookies); the name may be percent-encoded.
    r"|(?<![\w%.-])(?P<key>(?:[\w.-]|%[0-9A-Fa-f]{2})+)=(?P<value>[^&\s\"'<>;\\]*)",
    re.IGNORECASE,
)


def _redact_match(match: re.Match) -> str:
    if match["jwt"]:
        return REDACTED
    if match["bearer"]:
        return match["bearer"] + REDACTED
    if match["jkey"]:
        key, value = match["jkey"], match["jvalue"]
        prefix = match.group(0)[: match.start("jvalue") - match.start()]
        if SECRET_NAME.search(key):
            quote = re.match(r"\\?[\"']", value)
            return prefix + (f"{quote.group(0)}{REDACTED}{quote.group(0)}" if quote else REDACTED)
        return prefix + redact(value)
    key, value = match["key"], match["value"]
    name = unquote_plus(key)
    if SECRET_NAME.search(name) or name.lower() in SECRET_PARAMS:
        return f"{key}={REDACTED}" if value else match.group(0)
    if "%" in value:  # a URL in a parameter (``next=/ws/%3Ftoken%3D...``): judged decoded
        decoded = unquote_plus(value)
        if redact(decoded) != decoded:
            return f"{key}={redact(decoded)}"
    return f"{key}={redact(value)}"


def redact(text: str) -> str:
    """``text`` with the value of every secret replaced by ``[redacted]``: query strings and
    forms (``token=…``, ``?ticket=…``, ``password=…``, an OAuth callback's ``code=…`` and
    ``state=…``, ``openid.sig=…``), JSON and Python reprs (``"refresh": "…"``), ``Bearer …``
    and any JWT-shaped string."""
    if not text:
        return text
    lowered = text.lower()
    if any(marker in lowered for marker in _MARKERS) or ("%" in text and "=" in text):
        return _SECRETS.sub(_redact_match, text)
    return text


def redact_query(query: str | bytes) -> str:
    if isinstance(query, bytes):
        query = query.decode("latin1")
    return redact(query)


def new_request_id() -> str:
    return uuid.uuid4().hex[:16]


def request_id_from(header: str | None) -> str:
    """The client's ``X-Request-ID`` (its first 64 characters) when printable, else a new id."""
    return header[:64] if header and header.isprintable() else new_request_id()


async def no_request(awaitable: Awaitable[T]) -> T:
    """``awaitable`` as the process's own work, run in a task of its own (``create_task(no_request(
    ...))``): its log lines carry no request id. A task takes a copy of the context it is made in,
    and a background task (a room host's driver, its forwarder) made by a socket's frame would
    otherwise log every line of its life with that socket's request id. (A line about one
    request's or socket's work says whose with ``extra={"request_id": ...}``.)"""
    request_id_var.set("-")
    return await awaitable


def log_access(*, request_id: str, method: str, path: str, query: str, status: int, started: float) -> None:
    """The one access line of a request (``started``: its ``time.perf_counter()``): at INFO when
    it was refused or failed (4xx, 5xx), at DEBUG when it was answered (below 400), so that a
    production log at INFO holds what went wrong, not a line for every request
    (docs/operations/monitoring.md, "Log lines")."""
    access_logger.log(
        logging.INFO if status >= 400 else logging.DEBUG,
        "%s %s %s",
        method,
        path,
        status,
        extra={
            "request_id": request_id,
            "method": method,
            "path": path,
            "query": query,  # redacted with the rest of the line (RedactSecretsFilter)
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
        },
    )


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


class RedactSecretsFilter(logging.Filter):
    """The one redaction rule (``redact``) on a record, before any formatter sees it.

    The message is formatted here (``getMessage``, its arguments included) and kept
    redacted with no arguments left; the exception and stack texts are rendered and
    redacted (formatters print ``exc_text`` when it is set); extra fields are redacted,
    and a request Django attaches (``django.request``, ``django.security.*``), whose repr
    is the full URL, becomes ``method path?query``. On the console handler, so it covers
    every logger that reaches it; idempotent, so a record may pass it twice.
    """

    _exceptions = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # arguments that do not fit the format: still never printed raw
            message = f"{record.msg} {record.args!r}"
        record.msg, record.args = redact(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = self._exceptions.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for key, value in list(vars(record).items()):
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                setattr(record, key, _redacted(key, value))
        record._secrets_redacted = True
        return True


_STANDARD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}


def _redacted(key: str, value):
    """An extra field of a record, fit for a log line."""
    if isinstance(value, HttpRequest):
        # Django's request repr is the full URL, any ``?token=`` included.
        query = value.META.get("QUERY_STRING", "")
        return redact(f"{value.method} {value.path}" + (f"?{query}" if query else ""))
    if isinstance(value, str):
        return REDACTED if SECRET_NAME.search(key) else redact(value)
    if isinstance(value, dict):
        return {k: _redacted(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(key, v) for v in value]
    return value


class JsonFormatter(logging.Formatter):
    """One JSON object per line; redacted (``RedactSecretsFilter``) even on a handler without the filter."""

    _redact = RedactSecretsFilter()

    def format(self, record: logging.LogRecord) -> str:
        if not getattr(record, "_secrets_redacted", False):
            self._redact.filter(record)
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info or record.exc_text:
            entry["exc"] = record.exc_text or self.formatException(record.exc_info)
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
        # Under the server the HTTP bridge gave the request its id (and logs with it);
        # Django's test client and other WSGI servers come here without one.
        request.request_id = request.META.get(REQUEST_ID_KEY) or request_id_from(request.headers.get("X-Request-ID"))
        return request_id_var.set(request.request_id), time.perf_counter()

    def _finish(self, request, response, started):
        response["X-Request-ID"] = request.request_id
        log_access(
            request_id=request.request_id,
            method=request.method,
            path=request.path,
            query=request.META.get("QUERY_STRING", ""),
            status=response.status_code,
            started=started,
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

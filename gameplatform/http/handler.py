"""HTTP under the ASGI server: Django's WSGI handler, one thread hop per request.

Django's own ASGI handler runs a sync view (every DRF view here) by starting a
one-thread executor per request and hopping between the loop and threads for
each sync part; measured on this code base that costs 2 to 3.5 times the CPU
of the same request under WSGI. This bridge does what a WSGI server does
instead, on the database workers of ``gameplatform.data.db``:

1. the body is read on the event loop (at most ``HTTP_MAX_BODY_BYTES``, else 413);
2. the whole Django request, middleware included, runs as one unit of work on a
   worker thread, which gives its database connection back when it ends (API
   requests pass by the middlewares of cookies and static files:
   ``gameplatform.http.middleware.SkippedOnApiPaths``);
3. broadcasts the request made after commit are published from the loop, then
   the response is written from the loop.

When the process already has more work than it can queue the request is not
started: it is answered 503 ``overloaded`` with ``Retry-After`` at once.

Responses are collected whole before they are sent: the API answers with small
JSON documents and the static files served here (admin, API docs) are small.
We wrote this instead of using a2wsgi because a2wsgi sends every part of the
response with a blocking cross-thread round trip and keeps its own executor,
outside the admission limit that keeps the process from answering 500s.

The parts are the frameworks' public ones: the WSGI application is Django's
(``get_wsgi_application``, its chain built from ``settings.MIDDLEWARE``), and
``build_environ`` makes its WSGI environ from the ASGI scope as the two
specifications define them (PEP 3333's environ keys, ASGI's HTTP connection scope).
"""

import contextvars
import io
import json
import logging
import sys
import time

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from gameplatform.core import metrics
from gameplatform.core.errors import Unavailable, dependency_of, is_outage
from gameplatform.core.logs import REQUEST_ID_KEY, log_access, request_id_from, request_id_var
from gameplatform.data import db

logger = logging.getLogger(__name__)

TOO_LARGE = b"<too large>"  # a sentinel: compared by identity
# The URL pattern the request on this unit of work matched (``RouteMiddleware``), read by the
# bridge when Django is done (each unit runs in a context of its own, ``gameplatform.data.db``).
route_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("http_route", default=None)


class RouteMiddleware:
    """Notes the URL pattern the request matched (``request.resolver_match``), for the bridge's
    metrics; ``static`` for a file WhiteNoise served before any URL was resolved."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = request.resolver_match
        if match is not None:
            route_var.set(match.route)
        elif request.path_info.startswith(settings.STATIC_URL):
            route_var.set("static")
        return response


def _json_response(status: int, body: dict, headers: list[tuple[bytes, bytes]] = ()) -> tuple:
    data = json.dumps(body).encode()
    return (
        status,
        [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()), *headers],
        data,
    )


def build_environ(scope: dict, body: bytes) -> dict:
    """The WSGI environ (PEP 3333) of an ASGI ``http`` scope and its whole body."""
    script_name = scope.get("root_path", "")
    path = scope["path"]
    if script_name and path.startswith(script_name):
        path = path[len(script_name) :]
    server = scope.get("server") or ("localhost", 80)
    environ = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": script_name.encode("utf-8").decode("latin1"),
        "PATH_INFO": path.encode("utf-8").decode("latin1"),
        "QUERY_STRING": scope.get("query_string", b"").decode("latin1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1] or 0),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    client = scope.get("client")
    if client:
        environ["REMOTE_ADDR"], environ["REMOTE_PORT"] = str(client[0]), str(client[1])
    for raw_name, raw_value in scope.get("headers", ()):
        name = raw_name.decode("latin1").upper().replace("-", "_")
        if name == "CONTENT_LENGTH":
            continue  # the body is read whole: its real length is set above
        if name != "CONTENT_TYPE":
            name = "HTTP_" + name
        value = raw_value.decode("latin1")
        if name in environ:  # a repeated header; cookies are joined with "; " (RFC 9113 8.2.3)
            value = f"{environ[name]}{'; ' if name == 'HTTP_COOKIE' else ','}{value}"
        environ[name] = value
    return environ


def _header(scope: dict, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin1")
    return None


class WSGIBridge:
    """An ASGI application for ``http`` scopes that runs a WSGI application on the database workers."""

    def __init__(self, wsgi_app=None) -> None:
        self.wsgi_app = wsgi_app or get_wsgi_application()

    async def __call__(self, scope, receive, send) -> None:
        # The request's id, from here on: every line logged about it carries it, Django's
        # own after the middlewares (``django.request``'s "Service Unavailable") and the
        # bridge's answers included.
        request_id = request_id_from(_header(scope, b"x-request-id"))
        token = request_id_var.set(request_id)
        try:
            await self._serve(scope, receive, send, request_id)
        finally:
            request_id_var.reset(token)

    async def _serve(self, scope, receive, send, request_id: str) -> None:
        body = await self._read_body(receive)
        if body is None:  # the client went away
            return
        started = time.perf_counter()
        if body is TOO_LARGE:
            answer = _json_response(413, {"detail": "Request body too large.", "code": "too_large"})
            await self._answer_alone(send, scope, answer, request_id, started)
            return
        environ = build_environ(scope, body)
        environ[REQUEST_ID_KEY] = request_id
        try:
            answer = await db.run(self._respond, environ)
        except db.Overloaded as exc:
            retry = str(max(1, round(exc.retry_after)))
            answer = _json_response(503, exc.as_dict(), [(b"retry-after", retry.encode())])
            await self._answer_alone(send, scope, answer, request_id, started)
            return
        except Exception as exc:
            # Django answers errors of its own request (handler500 maps outages to 503);
            # this catches an outage outside it, e.g. in a request_started/finished hook.
            if not is_outage(exc):
                raise
            logger.warning("outage answered 503 by the bridge: %r", exc)
            metrics.outage(dependency_of(exc), "http")
            error = Unavailable()
            answer = _json_response(503, error.as_dict(), [(b"retry-after", str(error.retry_after).encode())])
            await self._answer_alone(send, scope, answer, request_id, started)
            return
        status, headers, body, route = answer
        await self._send(send, status, headers, body)
        metrics.observe_request(route, scope["method"], status, time.perf_counter() - started)

    async def _answer_alone(self, send, scope, answer: tuple, request_id: str, started: float) -> None:
        """An answer of the bridge's own (413, 503), Django never reached: with the request's id,
        as a header and on its access line, like every answer Django gives."""
        status, headers, body = answer
        await self._send(send, status, [*headers, (b"x-request-id", request_id.encode("latin1"))], body)
        metrics.observe_request(None, scope["method"], status, time.perf_counter() - started)
        log_access(
            request_id=request_id,
            method=scope["method"],
            path=scope["path"],
            query=scope.get("query_string", b"").decode("latin1"),
            status=status,
            started=started,
        )

    @staticmethod
    async def _read_body(receive) -> bytes | None:
        chunks, size, limit = [], 0, settings.HTTP_MAX_BODY_BYTES
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return TOO_LARGE
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    def _respond(self, environ: dict) -> tuple[int, list, bytes, str | None]:
        """Runs on a worker thread: the whole Django request, collected, and the route it matched."""
        route_var.set(None)
        started: list = []
        chunks: list[bytes] = []

        def start_response(status, headers, exc_info=None):
            started[:] = [int(status.split(" ", 1)[0]), headers]
            return chunks.append

        result = self.wsgi_app(environ, start_response)
        try:
            for chunk in result:
                chunks.append(chunk)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        status, headers = started
        headers = [(k.lower().encode("latin1"), v.encode("latin1")) for k, v in headers]
        return status, headers, b"".join(chunks), route_var.get()

    @staticmethod
    async def _send(send, status: int, headers: list, body: bytes) -> None:
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

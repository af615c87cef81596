"""One domain exception and the one place that turns errors into the contract's shape.

Services raise ``ApplicationError(message, code=...)`` or one of its subclasses
(``NotFound``, ``Forbidden``, ``Conflict``, whose code has a default). Every
constructor takes the message first and the code by keyword only, e.g.
``Conflict("This lobby is full.", code="lobby_full")``. The DRF exception handler
below answers ``{"detail", "code"}`` with the error's HTTP status; the base
consumer answers an ``error`` frame with the same code, or closes the socket
with the error's close code when it happens while connecting.
"""

import logging
import sys
from functools import partial

import redis.exceptions
from django.conf import settings
from django.core.exceptions import DisallowedHost, PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.db import Error as DatabaseError
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from gameplatform.core import metrics

logger = logging.getLogger(__name__)
security_logger = logging.getLogger("django.security")


class ApplicationError(Exception):
    status_code = status.HTTP_400_BAD_REQUEST
    close_code = 4400
    # Raised while a socket connects: send the ``error`` frame before closing (the world
    # socket's ``unsupported_version``); otherwise the close code alone answers.
    tell_on_refuse = False

    def __init__(
        self,
        message: str,
        *,
        code: str,
        status_code: int | None = None,
        extra: dict | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        if status_code is not None:
            self.status_code = status_code
        self.extra = extra or {}

    def as_dict(self) -> dict:
        return {"detail": self.message, "code": self.code, **self.extra}

    def __reduce__(self):
        # Pickled as its attributes, whatever its class's ``__init__`` asks for: an error a
        # database worker process raises comes back to the server as itself (``db.run_apart``).
        return _rebuild_error, (type(self), self.args, self.__dict__)


def _rebuild_error(cls: type[ApplicationError], args: tuple, state: dict) -> ApplicationError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class NotFound(ApplicationError):
    status_code = status.HTTP_404_NOT_FOUND
    close_code = 4404

    def __init__(self, message: str = "Not found.", *, code: str = "not_found", **kwargs) -> None:
        super().__init__(message, code=code, **kwargs)


class Forbidden(ApplicationError):
    status_code = status.HTTP_403_FORBIDDEN
    close_code = 4403

    def __init__(self, message: str = "Not allowed.", *, code: str = "forbidden", **kwargs) -> None:
        super().__init__(message, code=code, **kwargs)


class Conflict(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    close_code = 4409

    def __init__(self, message: str = "Conflict.", *, code: str = "conflict", **kwargs) -> None:
        super().__init__(message, code=code, **kwargs)


class RateLimited(ApplicationError):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS

    def __init__(self, retry_after: float, message: str = "Too many requests.") -> None:
        retry_after = round(max(retry_after, 0.001), 3)
        super().__init__(message, code="rate_limited", extra={"retry_after": retry_after})
        self.retry_after = retry_after


class Unavailable(ApplicationError):
    """A service the server depends on (Redis, PostgreSQL) cannot be reached: 503, close 1013."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    close_code = 1013  # "try again later"

    def __init__(self, message: str = "A service the server needs is unavailable; try again shortly.") -> None:
        super().__init__(message, code="unavailable", extra={"retry_after": UNAVAILABLE_RETRY_AFTER})
        self.retry_after = UNAVAILABLE_RETRY_AFTER


UNAVAILABLE_RETRY_AFTER = 5


def _outage_types() -> tuple[type[BaseException], ...]:
    found: list[type[BaseException]] = [
        redis.exceptions.ConnectionError,  # refused, reset, pool exhausted, busy loading
        redis.exceptions.TimeoutError,
        OperationalError,  # django.db: connection refused, pool timeout, server gone
        InterfaceError,
    ]
    try:
        import psycopg  # raw psycopg errors outside Django's wrapper (e.g. the pool)

        found += [psycopg.OperationalError, psycopg.InterfaceError]
    except ImportError:  # pragma: no cover - SQLite-only installs
        pass
    try:
        from django_redis.exceptions import ConnectionInterrupted  # if that cache backend is used

        found.append(ConnectionInterrupted)
    except ImportError:
        pass
    return tuple(found)


OUTAGE_ERRORS = _outage_types()


def dependency_of(exc: BaseException | None) -> str:
    """Which dependency an outage is of, for the outage counter: "redis", "database" or "unknown"."""
    bare_unavailable = False
    for _ in range(6):
        if exc is None:
            break
        if isinstance(exc, redis.exceptions.RedisError):
            return "redis"
        if isinstance(exc, DatabaseError) or type(exc).__module__.startswith(("psycopg", "psycopg_pool")):
            return "database"
        bare_unavailable = bare_unavailable or isinstance(exc, Unavailable)
        exc = exc.__cause__ or exc.__context__
    # The hub raises a bare Unavailable when the channel layer (Redis pub/sub) delivers nothing.
    return "redis" if bare_unavailable else "unknown"


def is_outage(exc: BaseException | None) -> bool:
    """True when ``exc`` (or what it was raised from) says Redis or the database cannot be reached."""
    for _ in range(4):
        if exc is None:
            return False
        if isinstance(exc, (Unavailable, *OUTAGE_ERRORS)):
            return True
        if isinstance(exc, ApplicationError | exceptions.APIException | Http404 | PermissionDenied):
            return False  # a deliberate answer, even when raised while handling an outage
        exc = exc.__cause__ or exc.__context__
    return False


def unavailable_response(exc: BaseException | None = None) -> Response:
    """The DRF answer for an outage: 503 ``unavailable`` with ``Retry-After``."""
    error = exc if isinstance(exc, Unavailable) else Unavailable()
    response = Response(error.as_dict(), status=error.status_code)
    response["Retry-After"] = str(error.retry_after)
    return response


def is_api_path(path: str) -> bool:
    """``/api``, anything under it (in any case: ``/API/me/``) and the seeds' API routes
    outside it (``settings.API_PATH_PREFIXES``): paths whose every answer is JSON."""
    lowered = path.lower().rstrip("/") + "/"
    return lowered.startswith(("/api/", *(prefix.lower() for prefix in settings.API_PATH_PREFIXES)))


def _json_error(request, status_code: int, detail: str, code: str, page):
    """The contract's error shape on API paths; ``page()`` (Django's HTML page) elsewhere."""
    if is_api_path(request.path):
        return JsonResponse({"detail": detail, "code": code}, status=status_code)
    return page()


def bad_request(request, exception):
    """``handler400``: what Django refuses before a view (a ``Host`` not in ALLOWED_HOSTS, a
    form past Django's limits). Django logs these at ERROR with a traceback on
    ``django.security.<name>``; a foreign Host is any client's doing, so that logger is quiet
    (settings.LOGGING) and it is one warning here."""
    detail = "Bad request."
    if isinstance(exception, DisallowedHost):
        security_logger.warning("refused: %s", exception)
        detail = "Invalid Host header."
    return _json_error(request, 400, detail, "invalid", partial(defaults.bad_request, request, exception))


def permission_denied(request, exception):
    """``handler403``: outside DRF views (a CSRF failure): JSON on API paths."""
    page = partial(defaults.permission_denied, request, exception)
    return _json_error(request, 403, "Not allowed.", "forbidden", page)


def page_not_found(request, exception):
    """``handler404``: no route. On API paths the contract's JSON 404 (``/api``, ``/API/me/``)."""
    page = partial(defaults.page_not_found, request, exception)
    return _json_error(request, 404, "No such API route.", "not_found", page)


def server_error(request, *args, **kwargs):
    """``handler500``: outside DRF views (middleware, admin, plain views) an outage is a JSON 503
    too; any other error is a JSON 500 on API paths."""
    exc = sys.exc_info()[1]
    if is_outage(exc):
        metrics.outage(dependency_of(exc), "http")
        error = Unavailable()
        response = JsonResponse(error.as_dict(), status=error.status_code)
        response["Retry-After"] = str(error.retry_after)
        return response
    page = partial(defaults.server_error, request)
    return _json_error(request, 500, "Something went wrong on the server.", "server_error", page)


def _code_of(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    if isinstance(codes, str):
        return codes
    return exc.default_code


def exception_handler(exc, context):
    """DRF exception handler: every error leaves as ``{"detail", "code"}`` or field errors."""
    if is_outage(exc):
        logger.warning("outage answered 503: %r", exc)
        metrics.outage(dependency_of(exc), "http")
        return unavailable_response(exc)
    if isinstance(exc, ApplicationError):
        response = Response(exc.as_dict(), status=exc.status_code)
        if isinstance(exc, RateLimited):
            response["Retry-After"] = str(max(1, int(exc.retry_after + 0.999)))
        return response
    if isinstance(exc, SuspiciousOperation):
        # The request broke a limit of Django's own (a form body with more fields than
        # DATA_UPLOAD_MAX_NUMBER_FIELDS, more files than DATA_UPLOAD_MAX_NUMBER_FILES, ...):
        # the client's mistake, so a 400 in the contract's shape and a warning, not an error.
        security_logger.warning("refused: %s", exc)
        if isinstance(exc, RequestDataTooBig):
            return Response({"detail": "Request body too large.", "code": "too_large"}, status=413)
        return Response({"detail": str(exc), "code": "invalid"}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        if not isinstance(response.data, dict):
            response.data = {"non_field_errors": response.data}
        return response
    if isinstance(exc, exceptions.Throttled):
        wait = exc.wait or 1
        response.data = {"detail": str(exc.detail), "code": "rate_limited", "retry_after": wait}
        return response
    detail = exc.detail if isinstance(exc.detail, str) else response.data.get("detail", "")
    response.data = {"detail": str(detail), "code": _code_of(exc)}
    return response

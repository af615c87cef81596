"""One domain exception and the one place that turns errors into the contract's shape.

Services raise ``ApplicationError(code, message)``. The DRF exception handler
below answers ``{"detail", "code"}`` with the error's HTTP status; the base
consumer answers an ``error`` frame with the same code, or closes the socket
with the error's close code when it happens while connecting.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class ApplicationError(Exception):
    status_code = status.HTTP_400_BAD_REQUEST
    close_code = 4400

    def __init__(
        self,
        code: str,
        message: str,
        *,
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


class NotFound(ApplicationError):
    status_code = status.HTTP_404_NOT_FOUND
    close_code = 4404

    def __init__(self, message: str = "Not found.", code: str = "not_found", **kwargs) -> None:
        super().__init__(code, message, **kwargs)


class Forbidden(ApplicationError):
    status_code = status.HTTP_403_FORBIDDEN
    close_code = 4403

    def __init__(self, message: str = "Not allowed.", code: str = "forbidden", **kwargs) -> None:
        super().__init__(code, message, **kwargs)


class Conflict(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    close_code = 4409

    def __init__(self, message: str = "Conflict.", code: str = "conflict", **kwargs) -> None:
        super().__init__(code, message, **kwargs)


class RateLimited(ApplicationError):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS

    def __init__(self, retry_after: float, message: str = "Too many requests.") -> None:
        retry_after = round(max(retry_after, 0.001), 3)
        super().__init__("rate_limited", message, extra={"retry_after": retry_after})
        self.retry_after = retry_after


def _code_of(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    if isinstance(codes, str):
        return codes
    return exc.default_code


def exception_handler(exc, context):
    """DRF exception handler: every error leaves as ``{"detail", "code"}`` or field errors."""
    if isinstance(exc, ApplicationError):
        response = Response(exc.as_dict(), status=exc.status_code)
        if isinstance(exc, RateLimited):
            response["Retry-After"] = str(max(1, int(exc.retry_after + 0.999)))
        return response
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

"""The contract's errors as exceptions.

REST answers ``{"detail", "code"}`` (or ``{"field": [...]}`` for validation) with a status; a
socket answers ``{"type": "error", "code", "message", "ref"}``. Both become one ``ApiError``
family chosen by status, else by code, so ``except RateLimited`` catches a 429 from REST and a
``rate_limited`` frame answering ``await room.request(...)`` alike.
"""

from __future__ import annotations

from typing import Any


class GameplatformError(Exception):
    """Base of every error this package raises."""


class ApiError(GameplatformError):
    """The server refused: ``status`` (None for a socket ``error`` frame), ``code``, ``detail``,
    ``retry_after`` seconds (from the body or the ``Retry-After`` header), ``fields`` for
    validation errors, and the raw ``body``."""

    def __init__(
        self,
        detail: str,
        *,
        status: int | None = None,
        code: str = "error",
        retry_after: float | None = None,
        fields: dict[str, Any] | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(f"{status or 'socket'} {code}: {detail}")
        self.detail = detail
        self.status = status
        self.code = code
        self.retry_after = retry_after
        self.fields = fields or {}
        self.body = body


class BadRequest(ApiError):
    """400 (a rule such as ``insufficient_funds`` or ``illegal_move``)."""


class ValidationError(BadRequest):
    """400 with field errors (``{"field": ["message"]}``) or a socket ``invalid`` frame; see ``fields``."""


class Unauthorized(ApiError):
    """401: bad credentials, or a token that cannot be refreshed any more."""


class Forbidden(ApiError):
    """403 (``premium_required``, ``not_friends``, ``blocked``, ``not_a_player`` ...)."""


class AccountSuspended(Forbidden):
    """403 ``account_suspended``: login, refresh and every call of a locked account (and the
    ``error`` frame before its sockets close 4403). ``until``: the suspension's end (ISO 8601),
    None for a ban; ``statement``: why; ``sanction_id`` and ``appeal_token``, for
    ``client.appeal(sanction_id, text, appeal_token=...)`` without a login."""

    @property
    def _fields(self) -> dict:
        return self.body if isinstance(self.body, dict) else {}

    @property
    def until(self) -> str | None:
        return self._fields.get("until")

    @property
    def banned(self) -> bool:
        return self.until is None

    @property
    def statement(self) -> str:
        return str(self._fields.get("statement") or "")

    @property
    def sanction_id(self) -> int | None:
        return self._fields.get("sanction_id")

    @property
    def appeal_token(self) -> str | None:
        return self._fields.get("appeal_token")


class Muted(Forbidden):
    """403 ``muted`` (REST) or a ``muted`` error frame: my chat is refused until ``until`` (ISO 8601)."""

    @property
    def until(self) -> str | None:
        return self.body.get("until") if isinstance(self.body, dict) else None


class NotFound(ApiError):
    """404."""


class Conflict(ApiError):
    """409 (``lobby_full``, ``already_in_game``, ``duplicate_request`` ...)."""


class Gone(ApiError):
    """410 (``invite_expired``, ``expired``)."""


class VersionConflict(ApiError):
    """412 ``version_conflict``: a storage object is not at the version the write named (read it again)."""


class RateLimited(ApiError):
    """429 or ``rate_limited`` / ``attack_cooldown``: wait ``retry_after`` seconds."""


class Unavailable(ApiError):
    """503 ``unavailable`` / ``overloaded``: nothing was done; try again after ``retry_after``."""


class ConnectionFailed(GameplatformError):
    """The server could not be reached (refused, reset, timed out); the httpx error is the cause."""


class NotConnected(GameplatformError):
    """A socket call was made while that socket is not open (and did not reopen in time)."""


class RequestTimeout(GameplatformError, TimeoutError):
    """A socket request got no answer within its ``timeout`` (seconds), resends included: ``code``
    ``"timeout"``, the ``ref`` of the frame. A ``TimeoutError`` too, as before it was one."""

    code = "timeout"

    def __init__(self, detail: str, *, ref: str | None = None, timeout: float | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.ref = ref
        self.timeout = timeout


class SocketClosed(GameplatformError):
    """The server closed a socket for good (``code`` 4403 not allowed, 4404 no such room, 4409
    replaced, 4400 unsupported version, 1000 normal), or it could not be opened. ``error``: the
    ``error`` frame the server sent right before closing (an ``AccountSuspended`` for a locked
    account), when it sent one."""

    def __init__(self, code: int | None, reason: str = "", *, error: ApiError | None = None) -> None:
        super().__init__(f"socket closed ({code}){': ' + reason if reason else ''}")
        self.code = code
        self.reason = reason
        self.error = error


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    410: Gone,
    412: VersionConflict,
    429: RateLimited,
    503: Unavailable,
}

_BY_CODE: dict[str, type[ApiError]] = {
    "invalid": ValidationError,
    "bad_json": BadRequest,
    "unknown_type": BadRequest,
    "rate_limited": RateLimited,
    "attack_cooldown": RateLimited,
    "flooding": RateLimited,
    "forbidden": Forbidden,
    "blocked": Forbidden,
    "not_friends": Forbidden,
    "account_suspended": AccountSuspended,
    "muted": Muted,
    "conflict": Conflict,
    "unavailable": Unavailable,
    "overloaded": Unavailable,
    "not_found": NotFound,
    "version_conflict": VersionConflict,
}


def _class_for(status: int | None, code: str) -> type[ApiError]:
    by_code = _BY_CODE.get(code) or (NotFound if code.endswith("_not_found") else None)
    by_status = _BY_STATUS.get(status) if status is not None else None
    if by_status is None:
        return by_code or (BadRequest if status is None else ApiError)
    # The status decides; a code naming a narrower kind of it (400 ``invalid``) narrows it.
    return by_code if by_code is not None and issubclass(by_code, by_status) else by_status


def _number(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def error_from_response(status: int, body: Any, headers: Any = None) -> ApiError:
    """The exception for an HTTP error answer (``body`` already decoded, or text)."""
    retry_after = _number(headers.get("Retry-After")) if headers is not None else None
    if isinstance(body, dict) and "detail" in body:
        code = str(body.get("code") or "error")
        retry_after = _number(body.get("retry_after")) or retry_after
        return _class_for(status, code)(
            str(body["detail"]), status=status, code=code, retry_after=retry_after, body=body
        )
    if status == 400 and isinstance(body, dict):
        return ValidationError("Invalid input.", status=status, code="invalid", fields=body, body=body)
    detail = body if isinstance(body, str) and body else f"HTTP {status}"
    return _class_for(status, "error")(detail[:500], status=status, code="error", retry_after=retry_after, body=body)


def error_from_frame(frame: dict) -> ApiError:
    """The exception for a socket ``error`` frame."""
    code = str(frame.get("code") or "error")
    return _class_for(None, code)(
        str(frame.get("message", code)),
        code=code,
        retry_after=_number(frame.get("retry_after")),
        fields=frame.get("fields") if isinstance(frame.get("fields"), dict) else None,
        body=frame,
    )

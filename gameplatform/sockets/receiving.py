"""Frames a socket's client sends: read, checked, dispatched, and every failure answered.

``FrameReader``, mixed into ``BaseConsumer``, owns the way in of every socket:
- flooding: every frame spends the socket's frame budget (``WS_FLOOD_FRAMES`` per
  ``WS_FLOOD_WINDOW_SECONDS``), and every frame refused ``rate_limited`` its user's refusal budget
  (``FLOOD_REFUSALS``); over either, ``error`` ``flooding`` and close 1008;
- size: a frame over ``WS_MAX_FRAME_BYTES`` gets ``error`` ``frame_too_large`` and close 1009;
- decoding with the socket's codec, to an object with a string ``type``; ``ping`` answered with
  ``pong``; dispatch to ``handle_<type>`` for the types the consumer lists in ``client_types``;
- every failure answered with an ``error`` frame in the contract's shape, never a silent drop;
- ``validate``: a handler's fields, and ``then_in_order``: a handler's stored effects in arrival order.

Each handler declares its frame's fields and its own error codes with ``@receives``: the AsyncAPI
document reads the declarations, and a test checks them against the handler's code.
"""

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings

from gameplatform.core import metrics, parsers
from gameplatform.core.errors import ApplicationError, RateLimited, Unavailable, dependency_of, is_outage
from gameplatform.data.ratelimit import Budget, FrameBudget
from gameplatform.http import serializers
from gameplatform.sockets.closecodes import CLOSE_FLOODING, CLOSE_TOO_LARGE

logger = logging.getLogger(__name__)

# A user who keeps sending after being refused: more refused (``rate_limited``) frames than
# ``WS_FLOOD_REFUSALS`` within ``WS_FLOOD_REFUSAL_WINDOW_SECONDS``, on any of their sockets and
# processes, closes the socket that sent the last one with 1008.
FLOOD_REFUSALS = Budget(
    "ws:flood:refused",
    limit=10,
    window=10.0,
    what="refused frames",
    limit_setting="WS_FLOOD_REFUSALS",
    window_setting="WS_FLOOD_REFUSAL_WINDOW_SECONDS",
)


class FrameInvalid(ApplicationError):
    def __init__(self, fields: dict) -> None:
        super().__init__("The frame has invalid fields.", code="invalid", extra={"fields": fields})


# The codes any client frame may be refused with, on every route (the kit's own refusals).
KIT_ERROR_CODES = frozenset(
    {
        "bad_json",
        "unknown_type",
        "invalid",
        "rate_limited",
        "unavailable",
        "overloaded",
        "flooding",
        "frame_too_large",
        "server_error",
    }
)


@dataclass(frozen=True)
class ClientFrame:
    """What a ``handle_<type>`` handler declares: the serializer its frame's fields are
    validated with (``self.validate(fields, frame)``), and the error codes it may answer
    beyond ``KIT_ERROR_CODES``. ``checked_by`` names what validates the fields instead, when the
    handler passes them on unread (a game's room checks its frames with the mode's schemas):
    ``fields`` then only describes the frame's shape, for the documentation."""

    fields: type[serializers.Serializer] | None = None
    errors: tuple[str, ...] = ()
    checked_by: str | None = None


Handler = TypeVar("Handler", bound=Callable[..., Awaitable[None]])


def receives(
    fields: type[serializers.Serializer] | None = None, *, errors: tuple[str, ...] = (), checked_by: str | None = None
) -> Callable[[Handler], Handler]:
    """Declare a handler's frame: ``@receives(ChatMessageInput, errors=("not_member",))``."""

    def declare(handler: Handler) -> Handler:
        handler.client_frame = ClientFrame(fields, errors, checked_by)
        return handler

    return declare


def client_frame_of(handler) -> ClientFrame | None:
    """The ``@receives`` declaration of a handler, or None when it has none."""
    return getattr(handler, "client_frame", None)


@functools.cache
def frame_validator(serializer_class: type[serializers.Serializer]) -> serializers.Serializer:
    return serializer_class()


class FrameReader:
    """The way in of a ``BaseConsumer``: Channels' ``receive``, the checks every route shares,
    dispatch by ``type``, and the answers to what fails. It ends a socket with the consumer's
    ``end`` and answers with its ``_answer_quietly`` (``gameplatform.sockets.sending``)."""

    # Types a client may send, each handled by ``handle_<type>``.
    client_types: frozenset[str] = frozenset()

    frame_budget: FrameBudget  # this socket's flood budget, made as it connects
    _in_order: asyncio.Future | None = None  # the last piece of ordered work (then_in_order)

    async def receive(self, text_data=None, bytes_data=None) -> None:
        if not self.connected or self.closing:
            return
        # The rules every route shares, before anything is read: a flood closes 1008, a frame
        # over the size limit 1009. Every frame spends the budget: pings, bad JSON, unknown types.
        if not self.frame_budget.spend(time.monotonic()):
            metrics.rate_limited("ws:flood:frames")
            await self.end(CLOSE_FLOODING, "flooding", "Too many frames: this socket is closed.")
            return
        raw = text_data if text_data is not None else bytes_data
        size = len(raw.encode("utf-8")) if isinstance(raw, str) else len(raw or b"")
        if size > settings.WS_MAX_FRAME_BYTES:
            limit = settings.WS_MAX_FRAME_BYTES
            await self.end(
                CLOSE_TOO_LARGE, "frame_too_large", f"Frames are at most {limit} bytes: this socket is closed."
            )
            return
        frame, ref = None, None
        try:
            frame, refusal = self._parse(text_data, bytes_data)
            ref = frame.get("ref")
            if refusal is not None:  # a NUL or a lone surrogate: refused, with the frame's ref
                metrics.frame_in(metrics.OTHER)
                if not isinstance(ref, (str, int, float, bool, type(None))):
                    ref = None  # a ref that is an object or a list holding the bad text is not echoed
                elif isinstance(ref, str):
                    ref = parsers.echoable(ref)
                raise refusal
            await self._dispatch_frame(frame)
        except ApplicationError as exc:
            if frame is None:  # not a frame we could read: counted as "other"
                metrics.frame_in(metrics.OTHER)
            if isinstance(exc, RateLimited) and await self._refusals_exceeded():
                metrics.rate_limited(FLOOD_REFUSALS.name)
                await self.end(CLOSE_FLOODING, "flooding", "Too many frames after being rate limited.", ref=ref)
                return
            await self._answer_quietly(exc.code, exc.message, ref=ref, **exc.extra)
        except Exception as exc:
            if is_outage(exc):  # the socket stays open: the client may retry later
                logger.warning("frame refused during an outage: %r", exc)
                metrics.outage(dependency_of(exc), "socket")
                error = Unavailable()
                await self._answer_quietly(error.code, error.message, ref=ref, **error.extra)
                return
            if isinstance(exc, OSError):  # the client left while its frame was handled (a send failed)
                logger.info("client gone while its frame was handled", extra={"frame_type": (frame or {}).get("type")})
                return
            logger.exception("frame handler failed", extra={"frame_type": (frame or {}).get("type")})
            await self._answer_quietly("server_error", "Something went wrong on the server.", ref=ref)

    def _parse(self, text_data, bytes_data) -> tuple[dict, ApplicationError | None]:
        """The frame as the socket's codec reads it (``bad_json`` when it cannot), and its refusal
        when it holds a NUL or a lone surrogate (``invalid``)."""
        frame, refusal = self.codec.decode(text_data, bytes_data)
        if not isinstance(frame, dict):
            raise ApplicationError("The frame must be a JSON object.", code="bad_json")
        if refusal is not None:
            return frame, refusal
        if not isinstance(frame.get("type"), str):
            raise FrameInvalid({"type": ["This field is required and must be a string."]})
        return frame, None

    async def _dispatch_frame(self, frame: dict) -> None:
        kind = frame["type"]
        metrics.frame_in(kind if kind in self.client_types or kind == "ping" else metrics.OTHER)
        if kind == "ping":
            await self.send_frame({"type": "pong", **({"ref": frame["ref"]} if "ref" in frame else {})})
            return
        if kind not in self.client_types:
            raise ApplicationError(f"Unknown frame type {kind[:64]!r}.", code="unknown_type")
        await getattr(self, f"handle_{kind}")(frame)

    async def _refusals_exceeded(self) -> bool:
        """Spend one unit of the user's refusal budget: True when it was already used up."""
        try:
            return not (await FLOOD_REFUSALS.ahit(self.user_id)).allowed
        except Exception as exc:  # the store failed: the refusal is still answered, the socket stays
            logger.warning("flood refusal budget unavailable: %r", exc)
            return False

    def then_in_order(self, work: Callable[[], Awaitable], *, ref=None) -> None:
        """Run ``work`` after this socket's earlier ordered work, without holding up the next frame.

        For frames whose effect is stored (chat): the handler checks what must be checked
        on arrival (fields, rate budget), then hands the database work here, so the socket
        reads on while it waits for a worker, and the effects still happen in arrival
        order. An error of ``work`` is answered as a handler's would be, with ``ref``.
        """
        self._in_order = asyncio.ensure_future(self._ordered(self._in_order, work, ref))

    async def _ordered(self, previous: asyncio.Future | None, work: Callable[[], Awaitable], ref) -> None:
        if previous is not None:
            await previous  # never raises: each piece answers its own errors
        try:
            await work()
        except ApplicationError as exc:
            await self._answer_quietly(exc.code, exc.message, ref=ref, **exc.extra)
        except Exception as exc:
            if is_outage(exc):
                logger.warning("ordered socket work refused during an outage: %r", exc)
                metrics.outage(dependency_of(exc), "socket")
                error = Unavailable()
                await self._answer_quietly(error.code, error.message, ref=ref, **error.extra)
                return
            if isinstance(exc, OSError):  # the client left meanwhile (a send failed)
                logger.info("client gone while its ordered work ran")
                return
            logger.exception("ordered socket work failed")
            await self._answer_quietly("server_error", "Something went wrong on the server.", ref=ref)

    def validate(self, serializer_class: type[serializers.Serializer], frame: dict) -> dict:
        """The frame's fields as ``serializer_class`` validates them, or ``FrameInvalid``.

        One instance per serializer class validates every frame (``run_validation`` keeps no
        state on the instance): a new serializer per frame deep-copies its fields each time,
        about 100 µs for a position update against 17 µs this way.
        """
        try:
            return frame_validator(serializer_class).run_validation(frame)
        except serializers.ValidationError as exc:
            detail = exc.detail
            raise FrameInvalid(detail if isinstance(detail, dict) else {"non_field_errors": detail}) from None

"""Live operations (``/api/liveops/``): what the studio changes without a deploy.

``await refresh()`` asks ``GET /api/liveops/`` with the last answer's ``ETag`` (a 304 keeps it);
``flags``, ``flag(name, default)``, ``experiments``, ``live_events`` and ``messages_unread`` read
the last answer. ``await on_change(fn)`` opens the notification socket and, on each
``liveops_changed`` (and each reconnection, which may have missed one), refreshes and then calls
``fn(answer)`` when the answer changed.

``track(name)`` queues an analytics event with an id of its own and returns at once; the queue
goes out in batches of at most 100 every ``flush_interval`` seconds (while an event loop runs), or
now with ``await flush_events()``. A batch that fails (the network, a 5xx, a 429) is sent again
later with the same ids, so that the server counts each event once; past ``max_queued`` the
oldest are dropped (``dropped_events`` counts them, and the batches the server refused).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx

from .errors import ApiError, ConnectionFailed

if TYPE_CHECKING:
    from .client import GameClient

logger = logging.getLogger("gameplatform_client")

EVENT_BATCH_MAX = 100  # the server takes at most this many events a request


def _empty() -> dict:
    return {"flags": {}, "experiments": {}, "live_events": [], "messages_unread": 0}


class LiveOps:
    """A client's live operations: ``client.liveops``."""

    def __init__(self, client: GameClient, *, flush_interval: float = 5.0, max_queued: int = 1000) -> None:
        self.client = client
        self.flush_interval = flush_interval
        self.max_queued = max_queued
        self.answer: dict = _empty()  # the last answer of GET /api/liveops/
        self.dropped_events = 0
        self._etag: str | None = None
        self._queue: list[dict] = []
        self._flush_lock = asyncio.Lock()
        self._flusher: asyncio.Task | None = None
        self._unwatch: list[Callable[[], None]] = []
        self._listeners: list[Callable[[dict], Any]] = []

    # --- what I see -------------------------------------------------------------------------

    async def refresh(self) -> dict:
        """``GET /api/liveops/`` (with ``If-None-Match``: a 304 keeps the last answer); the answer now."""
        seen: dict[str, str | None] = {}

        def keep_etag(response: httpx.Response) -> None:
            seen["etag"] = response.headers.get("ETag")

        headers = {"If-None-Match": self._etag} if self._etag else None
        answer = await self.client.request("GET", "/api/liveops/", headers=headers, on_response=keep_etag)
        if answer is not None:
            self.answer, self._etag = answer, seen.get("etag")
        return self.answer

    @property
    def flags(self) -> dict:
        """``{name: value}``: every flag's value for me, as of the last ``refresh()``."""
        return self.answer["flags"]

    def flag(self, name: str, default: Any = None) -> Any:
        """A flag's value, or ``default`` when the server has no such flag (or before the first ``refresh()``)."""
        return self.answer["flags"].get(name, default)

    @property
    def experiments(self) -> dict:
        """``{key: variation}``: the experiments I am in."""
        return self.answer["experiments"]

    @property
    def live_events(self) -> list:
        """The live events running now for me."""
        return self.answer["live_events"]

    @property
    def messages_unread(self) -> int:
        return self.answer["messages_unread"]

    async def on_change(self, fn: Callable[[dict], Any]) -> Callable[[], None]:
        """Call ``fn(answer)`` (sync or async) after each change the server announces, once
        ``refresh()`` has it; opens the notification socket. Returns a function that unregisters it."""
        self._listeners.append(fn)
        if not self._unwatch:
            self._unwatch = [
                self.client.register_handler("liveops_changed", self._changed),
                self.client.register_handler("reconnected", self._changed),
            ]
        if self.client.notifications is None:
            await self.client._open_notifications()

        def stop() -> None:
            with contextlib.suppress(ValueError):
                self._listeners.remove(fn)

        return stop

    async def _changed(self, _frame: Any) -> None:
        before = self.answer
        try:
            answer = await self.refresh()
        except (ApiError, ConnectionFailed) as exc:
            logger.warning("liveops refresh after a change failed: %s", exc)
            return
        if answer is before:
            return  # 304: nothing I see changed
        for fn in list(self._listeners):
            self.client._call(fn, answer)

    # --- what I say and do ----------------------------------------------------------------------

    async def set_attributes(
        self,
        *,
        country: str | None = None,
        platform: str | None = None,
        app_version: str | None = None,
        custom: dict | None = None,
    ) -> dict:
        """``PUT /api/liveops/attributes/``: what my client says about itself, read by the flags' rules."""
        given = {"country": country, "platform": platform, "app_version": app_version, "custom": custom}
        return await self.client.request(
            "PUT", "/api/liveops/attributes/", json={k: v for k, v in given.items() if v is not None}
        )

    async def join_live_event(self, event_id: int) -> dict:
        """Take part in an explicit live event while it runs (``Conflict`` ``not_active``)."""
        return await self.client.post(f"/api/liveops/live-events/{event_id}/join/")

    async def inbox(self) -> list:
        """My liveops inbox, newest first (every page)."""
        return [message async for message in self.client.pages("/api/liveops/messages/")]

    async def mark_read(self, message_id: int) -> dict:
        """Mark a message of my inbox read (again: the first time is kept)."""
        return await self.client.post(f"/api/liveops/messages/{message_id}/read/")

    async def claim(self, message_id: int) -> dict:
        """Claim the gifts of a message of my inbox (its ``grants``), once: ``{grants, gold, gems}``
        (``Conflict`` ``already_claimed``, ``Gone`` ``expired``)."""
        return await self.client.post(f"/api/liveops/messages/{message_id}/claim/")

    # --- analytics --------------------------------------------------------------------------

    def track(self, name: str, *, value: float | None = None, metadata: dict | None = None) -> str:
        """Queue an event (sent within ``flush_interval`` while a loop runs); its id. A ``value`` that
        is not a finite number raises ``ValueError`` here: the server refuses it, and with it the
        whole batch it would have gone in."""
        if value is not None and not math.isfinite(value):
            raise ValueError(f"an event's value must be a finite number, not {value!r}")
        event_id = str(uuid.uuid4())
        timestamp = datetime.now(UTC).isoformat()
        self._queue.append(
            {"id": event_id, "name": name, "timestamp": timestamp, "value": value, "metadata": metadata or {}}
        )
        over = len(self._queue) - self.max_queued
        if over > 0:
            del self._queue[:over]
            self.dropped_events += over
        self._start_flusher()
        return event_id

    @property
    def queued_events(self) -> int:
        return len(self._queue)

    async def flush_events(self) -> None:
        """Send every queued event now, in batches of at most 100; raises the first failure (the
        failed batch stays queued, ids and all, for the next flush)."""
        async with self._flush_lock:
            while self._queue:
                batch = self._queue[:EVENT_BATCH_MAX]
                try:
                    await self.client.post("/api/liveops/events/", {"events": batch})
                except ApiError as exc:
                    if exc.status is None or exc.status >= 500 or exc.status == 429:
                        raise  # kept: sent again with the same ids
                    self.dropped_events += len(batch)  # refused: the server will never take these
                sent = {event["id"] for event in batch}
                self._queue = [event for event in self._queue if event["id"] not in sent]

    async def close(self) -> None:
        """Stop the flush task and the change listening (``disconnect()`` calls it); queued events stay."""
        for stop in self._unwatch:
            with contextlib.suppress(ValueError):
                stop()
        self._unwatch = []
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
            self._flusher = None

    def _start_flusher(self) -> None:
        if self._flusher is not None and not self._flusher.done():
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop: flush_events() sends them
        self._flusher = loop.create_task(self._flush_loop())

    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(self.flush_interval)
            if self._queue:
                try:
                    await self.flush_events()
                except (ApiError, ConnectionFailed) as exc:
                    logger.info("liveops events not sent yet (tried again later): %s", exc)

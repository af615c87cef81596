"""The match list: at most once a second, each room's summary written to the store when it changed."""

import asyncio
import logging
import time

from gameplatform.core import metrics
from gameplatform.modes.api import checked_label
from gameplatform.rooms.parts import Host
from gameplatform.rooms.records import Running, text
from gameplatform.rooms.server_room import Room

logger = logging.getLogger(__name__)

LIST_SECONDS = 1.0  # a room's summary in the match list changes at most this often
LIST_REFRESH_SECONDS = 3.0  # and is written again this often when it did not (its listing's time to live)
LIST_CHUNK = 200  # rooms summarised before the listing pass lets the loop's other work in


class MatchList:
    """The rooms run here as the match list shows them: owns the listing pass (``list_once``, every
    ``LIST_SECONDS``), each room's summary and the label it shows (a delayed room's as far behind
    as its spectators). Summaries go to the store with the outbox's next write; a room's end and a
    lost lease drop them elsewhere (``Steps``, ``Leases``)."""

    def __init__(self, host: Host) -> None:
        self.host = host

    async def keep(self) -> None:
        while not self.host.stopping:
            await asyncio.sleep(LIST_SECONDS)
            try:
                await self.list_once()
            except Exception:
                logger.warning("rooms not listed", exc_info=True)

    async def list_once(self) -> int:
        """Queue the summaries of the rooms running here that changed since they were last written
        (or were not written for ``LIST_REFRESH_SECONDS``), for the outbox's next write; how many."""
        host = self.host
        loop = asyncio.get_running_loop()
        queued = 0
        host.watchers.forget_silent()
        for index, (game_id, run) in enumerate(list(host.running.items())):
            if index and index % LIST_CHUNK == 0:
                await asyncio.sleep(0)  # thousands of rooms: the sockets and the driver go on meanwhile
            if host.running.get(game_id) is not run or run.room.over:
                continue
            summary = self.summary(game_id, run)
            now = loop.time()
            if summary != run.listed or now - run.listed_at >= LIST_REFRESH_SECONDS:
                run.listed, run.listed_at = summary, now
                host.out.listing(game_id, summary)
                queued += 1
        if queued:
            host.out.flush()
        return queued

    def summary(self, game_id: int, run: Running) -> str:
        """What the match list shows of a room (JSON): ``{id, mode, phase, players, spectators,
        label, open, started_at}``, ``started_at`` in Unix time or null."""
        room, mode = run.room, run.room.mode
        return text(
            {
                "id": game_id,
                "mode": mode.name,
                "phase": room.phase,
                "players": [{"id": p.id, "username": p.username} for p in room.players if not p.out],
                "spectators": self.host.watchers.count(game_id),
                "label": self._listed_label(run),
                "open": mode.join_in_progress and not room.over and len(room.players) < mode.max_players,
                "started_at": run.started_at,
            }
        )

    def _listed_label(self, run: Running) -> dict:
        """The label the match list shows: the mode's; for a mode whose spectators watch behind the
        players (``spectator_delay``), the one it had that long ago, and ``{}`` until the room has
        one that old. Anyone reads the list: it must not tell what the delay hides."""
        label = self._label(run.room)
        delay = run.room.mode.spectator_delay
        if not delay:
            return label
        now = time.monotonic()
        if label != (run.labels[-1][1] if run.labels else run.label):
            run.labels.append((now, label))
        while run.labels and run.labels[0][0] <= now - delay:
            run.label = run.labels.popleft()[1]
        return run.label

    @staticmethod
    def _label(room: Room) -> dict:
        """The mode's label of the room, or ``{}`` when it raises or is not one (logged and counted)."""
        try:
            return checked_label(room.mode.label(room.state))
        except Exception:
            logger.warning(
                "a mode's label failed", exc_info=True, extra={"game_id": room.game_id, "mode": room.mode.name}
            )
            metrics.mode_error(room.mode.name, "label")
            return {}

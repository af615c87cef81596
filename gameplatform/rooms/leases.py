"""Leases: this process's hold on the rooms it runs, renewed for all of them at once, and its watch
on the games it holds sockets of, whose rooms it takes over when their owner goes away."""

import asyncio
import logging
import time

from gameplatform.rooms.parts import Host
from gameplatform.rooms.store import lease_seconds
from gameplatform.rooms.wire import Delivery

logger = logging.getLogger(__name__)


class Leases:
    """The leases of the rooms run here and the games watched from here: owns ``watched`` (the games
    with sockets here, how many), the renewal pass (every third of a lease: rooms renewed late are
    claimed back, rooms another process holds now are let go, orphaned watched games are opened
    here) and what a fenced write means (the store found a room's lease another's)."""

    def __init__(self, host: Host) -> None:
        self.host = host
        self.watched: dict[int, int] = {}  # games with sockets here: how many

    def watch(self, game_id: int) -> None:
        """A socket of ``game_id`` is open here: take the room over if its owner goes away."""
        self.watched[game_id] = self.watched.get(game_id, 0) + 1
        self.host.start()

    def unwatch(self, game_id: int) -> None:
        left = self.watched.get(game_id, 0) - 1
        if left > 0:
            self.watched[game_id] = left
        else:
            self.watched.pop(game_id, None)

    async def keep(self) -> None:
        while not self.host.stopping:
            await asyncio.sleep(lease_seconds() / 3)
            try:
                await self.keep_leases_once()
            except Exception:
                logger.warning("room leases not renewed", exc_info=True)

    async def fenced(self, game_ids: set[int]) -> None:
        """The store refused these rooms' writes: another process holds their leases (this one was
        too slow to renew them). They stop running here (the frames their refused steps took
        from this process's sockets and their queued inputs are answered ``unavailable``:
        ``outbox.unsaved``, ``RoomHost.let_go``; the frames forwarded to them go again from
        their senders), and their sockets here take their seats where the rooms run now."""
        running = {game_id for game_id in game_ids if game_id in self.host.running}
        self.host.out.lost(running)  # their steps queued after the refused ones: refused as well
        for game_id in running:
            if game_id in self.host.running:
                logger.warning("room lease lost; its last steps here were not saved", extra={"game_id": game_id})
                await self.host.let_go(game_id)
                self.host.out.deliver(game_id, Delivery(hello=True), False)  # this process's sockets
        self.host.out.flush()

    async def keep_leases_once(self) -> None:
        self.host.takeover.forget_journals(time.monotonic())
        owned = list(self.host.running)
        held = await self.host.store.renew(owned, self.host.owner)
        # Renewed too late (a busy process): take them back where nobody else did, all in one
        # round trip (a process late for hundreds of rooms is busy enough); a room another
        # process has now stops running here.
        late = [g for g in owned if g not in held and g in self.host.running]
        claimed = await self.host.store.claim_many(late, self.host.owner)
        for game_id in late:
            if game_id not in claimed:
                if game_id in self.host.running:
                    logger.warning("room lease lost", extra={"game_id": game_id})
                    self.host.out.lost({game_id})  # what it did here and the store has not: not the game's
                    await self.host.let_go(game_id)
                    await self.host.store.unlist(game_id, self.host.owner)  # unless its new owner listed it already
            elif game_id not in self.host.running:  # it ended (its lease released) while the claim was on its way
                await self.host.store.release(game_id, self.host.owner)
        if claimed:
            logger.warning("room leases renewed late", extra={"rooms": len(claimed)})
        orphans = [g for g in self.watched if g not in self.host.running]
        if orphans and not self.host.draining:
            for game_id, owner in (await self.host.store.owners(orphans)).items():
                if owner is None:
                    await self.host.open(game_id)

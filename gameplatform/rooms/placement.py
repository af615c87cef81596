"""Where a new room runs: on the least-loaded live process, never on one on its way out.

Every server process's room host reports its load to the store every third of a lease
(``Load``: the rooms it runs, its sockets' games, its share of a core since its last report, and
whether it is leaving), kept for one lease: a process that died drops out by itself. A game's
first socket on a process (``RoomHost.place``, from the game app's seat check) opens a *new* room
(no owner, no snapshot) there, unless another live process that is not leaving runs clearly
fewer rooms (``choose``: a fifth fewer and at least two fewer, counting the rooms placed on it
since its last report); then it asks that process to open it (a ``place`` message to the
process's own group) and waits at most ``PLACE_SECONDS`` for its answer before opening the room
itself after all. The lease decides, as it always did: of two processes opening one game at
once, one claims it and the other's sockets forward their frames there.

Why a margin, not the least-loaded process every time: a room whose players' sockets are on its
own process sends them its steps without Redis (``RoomHost.publish_here``); a room elsewhere
costs each of its frames a hop. Placement evens out a skew (a balancer's sticky sessions, a
process that started late), it does not spread rooms one by one. A room taken over (it has a
snapshot) opens where its sockets are, as before; so does every room under ``ROOM_PLACEMENT=local``
and in the embedded setup (one process: nothing to choose).

A process is leaving when its host drains (SIGTERM: its report goes out at once, before the
rooms are handed over), and, before that, while the file ``ROOM_LEAVING_FILE`` names exists (the
Kubernetes package's ``preStop`` writes it: the pod leaves the Service and takes no new room while
it still serves its own). A leaving process places every new room elsewhere.
"""

import asyncio
import json
import logging
import os
import time
import uuid
from dataclasses import asdict, dataclass

from django.conf import settings

from gameplatform.broadcast.groups import host_group
from gameplatform.broadcast.hub import get_hub
from gameplatform.broadcast.realtime import agroup_signal
from gameplatform.core import metrics
from gameplatform.core.hooks import Hook
from gameplatform.core.logs import no_request
from gameplatform.rooms.parts import Host
from gameplatform.rooms.store import lease_seconds

logger = logging.getLogger(__name__)

PLACE_SIGNAL = "place"  # to a process: open this game's room
PLACED_SIGNAL = "placed"  # its answer, to the asker's group: whether it runs the room now
PLACE_SECONDS = 1.0  # the longest a process waits for the one it asked before it opens the room itself
MARGIN_SHARE = 0.2  # another process gets a new room when it runs a fifth fewer rooms than this one...
MARGIN_ROOMS = 2  # ...and at least two fewer


room_hosts: Hook[[], object] = Hook("room_hosts")
"""The room hosts of a server process, by the function that gives each (the game app's
``get_room_host``): they report their loads and take placed rooms from the server's start
(``serve_at_start``), not from their first room, so a process with none gets some."""


async def serve_at_start() -> None:
    """A server process starts (the ASGI lifespan; daphne: its first connection): its room hosts
    report their loads and take the rooms other processes place on them."""
    for get_host in room_hosts.reactions:
        try:
            await get_host().placement.serve()
        except Exception:  # Redis away at start-up: the process opens its rooms itself
            logger.warning("room placement not started", exc_info=True)


def placement_mode() -> str:
    """``ROOM_PLACEMENT``: ``load`` (new rooms on the least-loaded process) or ``local`` (where
    their first socket is)."""
    return getattr(settings, "ROOM_PLACEMENT", "load")


@dataclass(frozen=True, slots=True)
class Load:
    """A process's last report: its host's name in the store and the number of its group, the
    rooms it runs, the sockets of games it holds, its share of one core since its last report
    (0.0 to about 1.0), whether it is leaving, and when it said so (wall clock, seconds)."""

    owner: str
    number: int
    rooms: int
    sockets: int
    cpu: float
    leaving: bool
    at: float

    def as_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> "Load | None":
        try:
            return cls(**json.loads(text))
        except (TypeError, ValueError):  # a report of another version: not read
            return None


def choose(loads: list[Load], here: str, placed: dict[str, int], *, leaving: bool = False) -> Load | None:
    """The process a new room goes to, or None for this one (``here``): the live one that is not
    leaving and runs the fewest rooms (``placed``: the rooms this one placed on each since its
    report), when it runs clearly fewer than this one; any other one when this one is leaving.

    Every process is compared as its last report says, this one too: its own rooms opened since
    are not counted, as the others' are not known. Compared with its own count as it is now, a
    burst of games arriving evenly made every process look busier than the others' reports, and
    each placed the rooms of its sockets on the others (84 of 90 in the bench, for nothing)."""
    mine = next((load for load in loads if load.owner == here), None)
    others = [load for load in loads if load.owner != here and not load.leaving]
    if mine is None or not others:
        return None
    best = min(others, key=lambda load: (load.rooms + placed.get(load.owner, 0), load.cpu, load.owner))
    if leaving or mine.leaving:
        return best
    theirs = best.rooms + placed.get(best.owner, 0)
    if mine.rooms - theirs >= MARGIN_ROOMS and theirs <= mine.rooms * (1 - MARGIN_SHARE):
        return best
    return None


class Placement:
    """This process's side of placement: owns its reports (``report_once``, every third of a
    lease while it serves), the other processes' last reports (read again at most once a report
    interval), the rooms placed on each since, the asks on their way (one per game) and the opens
    it runs for the processes that asked it. ``serve`` starts it (a server process's start-up);
    a host that never serves (tests, benches, the embedded setup) opens every room itself."""

    def __init__(self, host: Host) -> None:
        self.host = host
        self.number = uuid.uuid4().int >> 65  # its group's number: 63 bits, unique in practice
        self.serving = False
        self.listening = False  # joined its own group on the hub
        self.leaving_reported = False
        self._task: asyncio.Task | None = None
        self._loads: list[Load] = []
        self._loads_read = float("-inf")
        self._placed: dict[str, list[float]] = {}  # each process's rooms placed here: when (wall clock)
        self._asked: dict[int, asyncio.Future] = {}
        self._opens: set[asyncio.Task] = set()
        self._cpu = (time.monotonic(), time.process_time())

    user_id = None  # a member of the hub's groups (``GroupHub.dispatch`` reads it)

    # --- life ---------------------------------------------------------------------------

    async def serve(self) -> None:
        """Report this process's load from now on and take the opens other processes ask of it."""
        if self.serving or placement_mode() != "load" or not self.host.store.shared:
            return
        self.serving = True
        await self._round()
        self._task = asyncio.get_running_loop().create_task(no_request(self._keep()))

    async def close(self) -> None:
        """Stop reporting (the host stops): the report goes, so nobody places a room here."""
        if not self.serving:
            return
        self.serving = False
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait([self._task], timeout=5)
            self._task = None
        for task in list(self._opens):
            task.cancel()
        try:
            if self.listening:
                self.listening = False
                await get_hub().leave(host_group(self.number), self)
            await self.host.store.forget_load(self.host.owner)
        except Exception:  # Redis away: the report runs out by itself within a lease
            logger.warning("room placement report not withdrawn", exc_info=True)

    async def _keep(self) -> None:
        while self.serving:
            await asyncio.sleep(lease_seconds() / 3)
            await self._round()

    async def _round(self) -> None:
        """Listen on this process's group (until it does: Redis may be away at start-up), then
        report: a process reports only once it hears the opens asked of it."""
        try:
            if not self.listening:
                await get_hub().join(host_group(self.number), self)
                self.listening = True
            await self.report_once()
        except Exception:  # the next round tries again; meanwhile its last report runs out
            logger.warning("room load not reported", exc_info=True)

    # --- reports ------------------------------------------------------------------------

    @property
    def leaving(self) -> bool:
        """Draining, or told it will be soon (``ROOM_LEAVING_FILE``)."""
        if self.host.draining:
            return True
        path = getattr(settings, "ROOM_LEAVING_FILE", "")
        return bool(path) and os.path.exists(path)

    def load(self) -> Load:
        """This process's load now (its CPU share since the last call)."""
        wall, cpu = time.monotonic(), time.process_time()
        then_wall, then_cpu = self._cpu
        self._cpu = (wall, cpu)
        share = (cpu - then_cpu) / (wall - then_wall) if wall > then_wall else 0.0
        return Load(
            owner=self.host.owner,
            number=self.number,
            rooms=len(self.host.running),
            sockets=sum(self.host.watched.values()),
            cpu=round(share, 3),
            leaving=self.leaving,
            at=time.time(),
        )

    async def report_once(self) -> None:
        load = self.load()
        await self.host.store.report_load(load.owner, load.as_json(), lease_seconds())
        self.leaving_reported = load.leaving

    async def leave(self) -> None:
        """The host drains: said at once, so the other processes stop placing rooms here now
        rather than at the next report."""
        if self.serving and not self.leaving_reported:
            try:
                await self.report_once()
            except Exception:
                logger.warning("room load not reported as leaving", exc_info=True)

    async def loads(self) -> list[Load]:
        """The live processes' last reports (read again once a report interval)."""
        now = time.monotonic()
        if now - self._loads_read >= lease_seconds() / 3:
            texts = await self.host.store.loads(lease_seconds())
            self._loads = [load for load in map(Load.from_json, texts) if load is not None]
            self._loads_read = now
            # A room placed before a process's report is counted in it: forgotten here.
            reported = {load.owner: load.at for load in self._loads}
            self._placed = {
                owner: kept
                for owner, times in self._placed.items()
                if (kept := [at for at in times if at > reported.get(owner, float("inf"))])
            }
        return self._loads

    def forget_loads(self) -> None:
        """Read the reports again at the next placement (tests: a report written just now)."""
        self._loads_read = float("-inf")

    def on_the_way(self) -> int:
        """The asks waiting for their answers and the opens run for other processes (a bound's test)."""
        return len(self._asked) + len(self._opens)

    # --- placing a new room -------------------------------------------------------------

    async def where(self, game_id: int) -> Load | None:
        """The process a new room of ``game_id`` goes to, or None: here (a room that is not new,
        placement off, or no process clearly less loaded)."""
        if not self.serving or game_id in self._asked:
            return None
        loads = await self.loads()
        placed = {owner: len(times) for owner, times in self._placed.items()}
        there = choose(loads, self.host.owner, placed, leaving=self.leaving)
        if there is None or not await self.host.store.new_room(game_id):
            return None
        return there

    async def ask(self, there: Load, game_id: int, player_id: int) -> bool:
        """Ask ``there`` to open the room of ``game_id`` (for ``player_id``'s socket): True when it
        runs it now; False when it refused, or did not answer within ``PLACE_SECONDS``."""
        pending = self._asked.get(game_id)
        if pending is not None:
            return await asyncio.shield(pending)
        future = self._asked[game_id] = asyncio.get_running_loop().create_future()
        self._placed.setdefault(there.owner, []).append(time.time())
        try:
            await agroup_signal(
                host_group(there.number), PLACE_SIGNAL, game_id=game_id, player_id=player_id, reply=self.number
            )
            placed = await asyncio.wait_for(asyncio.shield(future), PLACE_SECONDS)
        except Exception:  # no answer in time, or the layer away: opened here after all
            placed = False
        finally:
            del self._asked[game_id]
            if not future.done():
                future.set_result(False)
        metrics.room_placed("there" if placed else "fallback")
        return placed

    async def hub_deliver(self, message: dict) -> None:
        data = message.get("data") or {}
        if message.get("signal") == PLACE_SIGNAL:
            task = asyncio.get_running_loop().create_task(no_request(self._open_for(data)))
            self._opens.add(task)
            task.add_done_callback(self._opens.discard)
        elif message.get("signal") == PLACED_SIGNAL:
            future = self._asked.get(data.get("game_id"))
            if future is not None and not future.done():
                future.set_result(bool(data.get("owned")))

    async def _open_for(self, data: dict) -> None:
        """Open the room another process asked this one to run, and answer it."""
        game_id = int(data["game_id"])
        try:
            owned = not self.leaving and await self.host.open(game_id, player_id=int(data["player_id"]))
        except Exception:
            logger.warning("a room placed here could not be opened", exc_info=True, extra={"game_id": game_id})
            owned = False
        try:
            await agroup_signal(host_group(int(data["reply"])), PLACED_SIGNAL, game_id=game_id, owned=owned)
        except Exception:  # the asker opens it itself after its wait; the lease says where it runs
            logger.warning("a placed room's answer was not sent", exc_info=True, extra={"game_id": game_id})

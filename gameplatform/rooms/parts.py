"""The room host as its parts see it: ``Host``, exactly what they use of ``RoomHost``, and of each
other through it.

The parts (``driver``, ``seats``, ``forwarding``, ``steps_out``, ``takeover``, ``leases``,
``spectators``, ``matchlist``, ``placement``) each hold a back reference to the host that owns and wires them,
typed by this module: ``host`` imports the parts, and no part imports ``host``. A part reaches a
sibling only through the host; the ``...Part`` protocols below name what it calls of each.
"""

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from gameplatform.modes.room import HookFailed
from gameplatform.rooms.outbox import Outbox
from gameplatform.rooms.records import Answers, Hooks, Running
from gameplatform.rooms.server_room import Room
from gameplatform.rooms.store import RoomStore
from gameplatform.rooms.wire import Delivery, RoomOwner, Wire


class DriverPart(Protocol):
    """The driver (``Driver``), as the seats, the steps and takeover use it."""

    def schedule(self, game_id: int) -> None: ...

    def wake_at(self, at: float, game_id: int) -> None: ...


class StepsPart(Protocol):
    """A step's way out and a game's end (``Steps``), as the driver, the seats and takeover use them."""

    async def after_step(
        self, game_id: int, run: Running, *, snapshot: bool, wait: bool, answers: Answers | None = None
    ) -> None: ...

    def tick(self, game_id: int, run: Running) -> Answers: ...

    def take_inputs(self, game_id: int, run: Running) -> Answers: ...

    def everywhere(self, game_id: int) -> bool: ...

    def end_soon(
        self, game_id: int, run: Running, frames: list[tuple[int, str]], unsaved: Sequence[tuple[int, object]] = ()
    ) -> None: ...

    async def record_result(self, game_id: int, run: Running, *, running: bool = True) -> None: ...

    def hook_failed(self, game_id: int, room: Room, exc: HookFailed) -> None: ...

    def deliver(self, game_id: int, delivery: Delivery, *, everywhere: bool = False) -> None: ...


class WatchersPart(Protocol):
    """The spectators (``Watchers``), as the driver, the seats, the steps and the match list use them."""

    def count(self, game_id: int) -> int: ...

    async def spectate(self, game_id: int, conn: str, watching: bool, *, renew: bool = False) -> bool: ...

    def forget_silent(self, now: float | None = None) -> int: ...

    def to_spectators(self, game_id: int, room: Room, frames: list[tuple[int, str]], over: bool = False) -> list: ...

    def release(self, now: float) -> bool: ...


class ForwarderPart(Protocol):
    """The forwarder (``Forwarder``), as the seats, the steps and takeover use it."""

    def keeps(self, forwarded_id: str | None) -> bool: ...

    def ended(self, game_id: int) -> None: ...


class TakeoverPart(Protocol):
    """Takeover (``Takeover``), as the leases' renewal pass uses it."""

    def forget_journals(self, now: float) -> None: ...


class Host(RoomOwner, Protocol):
    """What the parts use of the host that owns them (``RoomHost``): its records, its store and
    wire, its life, the rooms it runs, and its other parts. It is the rooms' owner its wire's
    listener hands frames to (``RoomOwner``: ``opening``, ``join``, ``apply``)."""

    hooks: Hooks
    wire: Wire
    store: RoomStore
    owner: str
    running: dict[int, Running]
    stopping: bool
    draining: bool
    publish: Callable[[int, Delivery, bool], Awaitable[None]]
    out: Outbox
    driver: DriverPart
    forwarder: ForwarderPart
    steps: StepsPart
    watchers: WatchersPart
    takeover: TakeoverPart

    @property
    def watched(self) -> dict[int, int]: ...

    def start(self) -> None: ...

    def room(self, game_id: int) -> Room | None: ...

    async def open(self, game_id: int, *, player_id: int | None = None) -> bool: ...

    async def let_go(self, game_id: int) -> None: ...

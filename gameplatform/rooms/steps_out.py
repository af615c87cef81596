"""A room's steps on their way out: into the journal, the store and the game's log, then to its
players and spectators in order; and a game's end, recorded before anyone hears of it."""

import asyncio
import logging
import time
from collections.abc import Sequence

from gameplatform.core import metrics
from gameplatform.modes import Invalid, Reject
from gameplatform.modes.commands import ADVANCE
from gameplatform.modes.room import HookFailed
from gameplatform.rooms.parts import Host
from gameplatform.rooms.records import Answers, RoomLost, Running, not_taken
from gameplatform.rooms.server_room import Room
from gameplatform.rooms.wire import Delivery

logger = logging.getLogger(__name__)

RECORD_RETRY_SECONDS = (0.5, 1.0, 2.0, 5.0)  # a result the database refused is tried again after these, then every 5 s


class Steps:
    """What a room's step made, taken out: owns the order of a step's consequences (the journal
    and the game's log, the snapshot when due, the start recorded, the frames to the players and
    the spectators through the outbox) and a game's end (its result recorded once, retried while
    the database is away, then its last frames and the room let go)."""

    def __init__(self, host: Host) -> None:
        self.host = host

    def tick(self, game_id: int, run: Running) -> Answers:
        """The driver's step of a room whose clock is due: the inputs queued since its last tick
        and that tick as one step (``take_inputs``), or the clock alone. Returns the inputs'
        answers and receipts, to go out with the step's frames (``after_step``)."""
        if run.inputs:
            return self.take_inputs(game_id, run)
        try:
            run.room.step(run.now(), ADVANCE)
        except HookFailed as exc:
            self.hook_failed(game_id, run.room, exc)
        return Answers()

    def take_inputs(self, game_id: int, run: Running) -> Answers:
        """The room's queued inputs as one ``Inputs`` step now, with the tick when it is due, the
        queue emptied. Returns each input's answer (its ``ack`` when it came with a ``ref``, its
        ``error`` as its own step would have had it), in arrival order, and the receipts of the
        forwarded ones: they go out with the step's frames, once the step is in the store."""
        queued, batch = run.inputs.take()
        room = run.room
        try:
            room.step(run.now(), batch)
        except HookFailed as exc:  # the tick's hook: the tick is undone, the inputs stand
            self.hook_failed(game_id, room, exc)
        except (Reject, Invalid) as exc:  # the tick's hook refused: a step all the same
            logger.warning("a tick's hook refused it: %s", exc, extra={"game_id": game_id})
        went = room.journal.batch
        outcomes = went.outcomes if went is not None else []
        answers = Answers()
        for index, taken in enumerate(queued):
            refused = outcomes[index] if index < len(outcomes) else HookFailed("platform", RuntimeError("not taken"))
            if isinstance(refused, HookFailed):
                self.hook_failed(game_id, room, refused)
            kept = self.host.forwarder.keeps(taken.forwarded)
            answers.add(taken.command.player_id, taken.ref, refused, taken.forwarded, kept)
        return answers

    async def after_step(
        self, game_id: int, run: Running, *, snapshot: bool, wait: bool, answers: Answers | None = None
    ) -> None:
        """Queue what a step made: its frames, then ``answers`` (to the frames it took, with the
        receipts of the forwarded ones), with the room's snapshot when ``snapshot``; ``wait``:
        until they are out. A game that just ended is recorded first."""
        # The database first, then the players: a client that sees ``game_over`` (or the start)
        # and asks the REST API finds it recorded.
        host, out, room = self.host, self.host.out, run.room
        answers = answers if answers is not None else Answers()
        replies, took = answers.frames, tuple(answers.took)
        for entry in room.journal.take_steps():  # into the journal: in the store before anyone hears of them
            out.log(game_id, entry)
            run.log.append(entry[:5])  # the game's log (its replay) names no socket's frame
        frames = room.drain_encoded()
        if not room.over:  # an end reaches the spectators once it is recorded, as it reaches the players
            frames = host.watchers.to_spectators(game_id, room, frames)
        made = len(frames)
        frames.extend(replies)
        if room.phase == "active" and not room.recorded_start:
            try:
                await host.hooks.record_start(game_id)
            except Exception:  # the database is away: the game goes on; the next step tries again
                logger.warning("game start not recorded", exc_info=True, extra={"game_id": game_id})
            else:
                room.recorded_start = True
                run.started_at = run.started_at or time.time()
                snapshot = True
        if room.over:
            if took:  # taken: the sender waits no longer (its answer comes once the end is recorded)
                out.deliver(game_id, Delivery(took=took), True)
            if not wait:  # the driver's pass: the other rooms' ticks do not wait for the database
                self.end_soon(game_id, run, frames, answers.unsaved)
            else:
                await self._end(game_id, run, frames, answers.unsaved)
            return
        if snapshot:
            run.snapshot_tick = room.ctx.tick
            out.snapshot(game_id, room.encode_snapshot(journal=out.journal), run.take_log())
        elif wait and not made and room.mode.tick_rate and room.phase == "active":
            # A real-time room's step that made no frame (a refused frame, an input of a room not
            # queueing them) shows in the next tick's patch, which waits for the next write: its
            # step goes into the store with that write, and its answers need to wait for nothing.
            # Nor does the step: it hurries no write.
            if replies or took:
                await host.publish(game_id, Delivery(tuple(replies), took=took), self.everywhere(game_id))
            return
        if frames or took:  # should the store refuse the step, its answers go out ``unavailable``
            self.deliver(game_id, Delivery(tuple(frames), took=took, unsaved=tuple(answers.unsaved)))
        if wait:
            await out.sent()

    def end_soon(
        self, game_id: int, run: Running, frames: list[tuple[int, str]], unsaved: Sequence[tuple[int, object]] = ()
    ) -> None:
        """``_end`` in a task of its own (one at a time per game; frames made meanwhile wait with
        it, and so do their ``unsaved``)."""
        if run.ending is not None:
            run.held.extend(frames)
            run.unsaved.extend(unsaved)
            return
        run.ending = asyncio.get_running_loop().create_task(self._end(game_id, run, frames, unsaved))

        def done(_) -> None:
            run.ending = None

        run.ending.add_done_callback(done)

    async def _end(
        self, game_id: int, run: Running, frames: list[tuple[int, str]], unsaved: Sequence[tuple[int, object]] = ()
    ) -> None:
        """Record the result, then publish the last frames and let the room go.

        Until the database takes the result (it may be away), nobody hears of the end: the frames
        wait here and the driver tries again (``RECORD_RETRY_SECONDS``) while this process keeps
        the room's lease. A process that dies meanwhile leaves the over room's snapshot, and the
        process that takes it over records it (once: the update is conditional) and announces it.
        A room let go meanwhile (the store refused its ended snapshot: another process holds its
        lease, and there the game did not end; or the host stopped) drops its frames, and answers
        ``unavailable`` those among them that answer this process's sockets' frames (``unsaved``,
        as ``outbox.unsaved`` does): the clients send them again to the room's next owner."""
        host, out = self.host, self.host.out
        frames, run.held = run.held + frames, []
        unsaved, run.unsaved = [*run.unsaved, *unsaved], []
        run.unrecorded = False
        try:
            await self.record_result(game_id, run)
        except Exception:
            if host.running.get(game_id) is not run:
                if unsaved:  # their sockets are here
                    out.deliver(game_id, Delivery(tuple(not_taken(p, ref) for p, ref in unsaved)), False)
                    await out.sent()
                return
            run.tries += 1
            delay = RECORD_RETRY_SECONDS[min(run.tries, len(RECORD_RETRY_SECONDS)) - 1]
            run.held[:0] = frames  # before the frames that came while this try ran
            run.unsaved[:0] = unsaved
            run.unrecorded = True
            host.driver.wake_at(time.monotonic() + delay, game_id)
            logger.warning(
                "game result not recorded; trying again", exc_info=True, extra={"game_id": game_id, "tries": run.tries}
            )
            return
        run.holders.clear()
        frames = host.watchers.to_spectators(game_id, run.room, frames, over=True)
        self.deliver(game_id, Delivery(tuple(frames), over=True))
        await host.let_go(game_id)
        host.forwarder.ended(game_id)  # a frame of it from a socket here now is answered here
        out.snapshot(game_id, None)  # after any older snapshot of it: the outbox keeps the order
        out.listing(game_id, None)  # and after any summary of it: out of the match list
        await out.sent()
        await host.store.release(game_id, host.owner)

    async def record_result(self, game_id: int, run: Running, *, running: bool = True) -> None:
        """The ended room's snapshot, then its result and replay through the app's ``record_result``."""
        # The snapshot first: a process that dies before the result is recorded leaves a room
        # that ends again where it is taken over (the conditional update records it once), and
        # one that dies after it leaves the end for that process to announce.
        host, room = self.host, run.room
        host.out.snapshot(game_id, room.encode_snapshot(), run.take_log())
        await host.out.sent()
        if running and host.running.get(game_id) is not run:
            # The store refused the ended snapshot (another process holds the lease: ``Leases.fenced``)
            # or the room was let go meanwhile: this end is not the game's, and is not recorded.
            raise RoomLost(game_id)
        board = None
        if room.mode.shared_view:  # the final board of a game everyone sees whole (tic-tac-toe) is kept
            view = room.mode.view(room.state, None)
            board = view.get("board") if isinstance(view, dict) else None
        steps = await self._game_log(game_id)
        await host.hooks.record_result(game_id, room.result, room.players, board, room.version, steps)

    async def _game_log(self, game_id: int) -> list | None:
        """The game's log, every step from its first (what its owners added with their snapshots):
        its replay, recorded with its result. None when the store cannot give it: the result is
        recorded without a replay, and the game ends all the same."""
        try:
            return await self.host.store.read_log(game_id)
        except Exception:
            logger.warning("game replay not recorded", exc_info=True, extra={"game_id": game_id})
            return None

    def hook_failed(self, game_id: int, room: Room, exc: HookFailed) -> None:
        """A mode's hook raised: the room is as it was before the step (``Room``); said and counted."""
        logger.error(
            "a mode's hook raised; the step changed nothing",
            exc_info=exc.error,
            extra={"game_id": game_id, "mode": room.mode.name, "hook": exc.hook, "errors": room.errors},
        )
        metrics.mode_error(room.mode.name, exc.hook)

    def deliver(self, game_id: int, delivery: Delivery, *, everywhere: bool = False) -> None:
        """Queue a delivery to its game's sockets: this process's only while all its players are here."""
        self.host.out.deliver(game_id, delivery, everywhere or self.everywhere(game_id))

    def everywhere(self, game_id: int) -> bool:
        """Whether the room's deliveries go to every process (a player's socket is elsewhere)."""
        run = self.host.running.get(game_id)
        return run is None or bool(run.elsewhere)

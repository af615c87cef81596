"""Keepalive: a ping every ``ws_ping_interval``; no pong within ``ws_ping_timeout`` fails the connection (1011).

A socket's next keepalive step (its ping, or the end of its wait for the pong) is a deadline among
every socket's of the event loop (``preparedws.deadlines``): one loop timer for them all, not two
timers a socket."""

from __future__ import annotations

import asyncio
import os
import weakref

from preparedws.connection import OPEN
from preparedws.deadlines import Deadlines

GRAIN = 0.25  # seconds a ping or a missing pong's end may come late


def _due(protocol: Keepalive) -> None:
    protocol.keepalive_slot = None
    if protocol.ping_payload is None:
        protocol.send_ping()
    else:
        protocol.pong_missing()


_LOOPS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Deadlines] = weakref.WeakKeyDictionary()


def keepalives() -> Deadlines:
    """The running loop's keepalive deadlines, made on first use and gone with their loop."""
    loop = asyncio.get_running_loop()
    deadlines = _LOOPS.get(loop)
    if deadlines is None:
        deadlines = _LOOPS[loop] = Deadlines(loop, _due, grain=GRAIN)
    return deadlines


class Keepalive:
    """A mixin of ``PreparedFramesProtocol``: when it pings, and how long it waits for the pong."""

    __slots__ = ()

    def keepalive_in(self, delay: float | None) -> None:
        """The next keepalive step in ``delay`` seconds (None or 0: none)."""
        if delay is not None and delay > 0:
            self.keepalive_slot = keepalives().add(self, delay)

    def send_ping(self) -> None:
        if self.phase is not OPEN:
            return
        self.ping_payload = os.urandom(4)  # a pong must carry it: stale or unsolicited pongs are ignored
        self.conn.send_ping(self.ping_payload)
        self.flush()
        timeout = self.config.ws_ping_timeout
        if timeout is not None:
            self.keepalive_in(timeout)
        else:
            self.ping_payload = None  # no pong awaited: the next step is the next ping
            self.keepalive_in(self.config.ws_ping_interval)

    def pong_received(self, payload: bytes) -> None:
        if self.ping_payload is None or payload != self.ping_payload:
            return
        self.ping_payload = None
        self.stop_keepalive()
        self.keepalive_in(self.config.ws_ping_interval)

    def pong_missing(self) -> None:
        if self.phase is OPEN:
            self.fail(1011, "keepalive ping timeout")

    def stop_keepalive(self) -> None:
        keepalives().discard(self, self.keepalive_slot)
        self.keepalive_slot = None

    def stop_timers(self) -> None:
        self.stop_keepalive()
        if self.close_timer is not None:
            self.close_timer.cancel()
            self.close_timer = None

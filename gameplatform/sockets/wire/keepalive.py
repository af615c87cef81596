"""Keepalive: a ping every ``ws_ping_interval``; no pong within ``ws_ping_timeout`` fails the connection (1011)."""

from __future__ import annotations

import os

from gameplatform.sockets.wire.phases import OPEN


class Keepalive:
    """A mixin of ``PreparedFramesProtocol``: its ping and pong timers."""

    __slots__ = ()

    def schedule_ping(self, delay: float | None) -> None:
        if delay is not None and delay > 0:
            self.ping_timer = self.loop.call_later(delay, self.send_ping)

    def send_ping(self) -> None:
        self.ping_timer = None
        if self.phase is not OPEN:
            return
        self.ping_payload = os.urandom(4)  # a pong must carry it: stale or unsolicited pongs are ignored
        self.conn.send_ping(self.ping_payload)
        self.flush()
        timeout = self.config.ws_ping_timeout
        if timeout is not None:
            self.pong_timer = self.loop.call_later(timeout, self.pong_missing)
        else:
            self.schedule_ping(self.config.ws_ping_interval)

    def pong_received(self, payload: bytes) -> None:
        if self.ping_payload is None or payload != self.ping_payload:
            return
        self.ping_payload = None
        if self.pong_timer is not None:
            self.pong_timer.cancel()
            self.pong_timer = None
            self.schedule_ping(self.config.ws_ping_interval)

    def pong_missing(self) -> None:
        self.pong_timer = None
        if self.phase is OPEN:
            self.fail(1011, "keepalive ping timeout")

    def stop_timers(self) -> None:
        for timer in (self.ping_timer, self.pong_timer, self.close_timer):
            if timer is not None:
                timer.cancel()
        self.ping_timer = self.pong_timer = self.close_timer = None

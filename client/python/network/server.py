"""Seed 002's ``MasterServer``: on this platform the master server is gameplatform itself.

The seed's master server (REST, ``/ws``, sessions, world state) is the platform's server, started
with ``make run`` (or ``make serve`` in production) from the repository; a client package cannot
start it. ``MasterServer(...).start()`` and ``python -m network.master_server`` say so.
"""

from __future__ import annotations

from .protocol import NotSupportedError

REASON = (
    "The master server is gameplatform itself: start it from the repository with `make run` (or"
    " `make serve` in production), then point clients at it (NetworkClient(url=...) or"
    " GAMEPLATFORM_URL). Seed 002's routes (/api/auth/*, /api/characters, /api/world/*, /api/party/*,"
    " /api/status, /ws) are all served there. The client package cannot start a server."
)


class MasterServer:
    """Seed 002's server class, kept so its code imports; ``start()`` raises ``NotSupportedError``
    with the reason (the platform's server is started with ``make run``)."""

    def __init__(self, host: str = "0.0.0.0", port: int = 8888, **options: object) -> None:
        self.host, self.port, self.options = host, port, options

    async def start(self) -> None:
        raise NotSupportedError(REASON)

    async def stop(self) -> None:
        """Nothing was started."""

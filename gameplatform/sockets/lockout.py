"""Closing every socket of a locked account, on every process, within a moment.

Each process keeps its open sockets by user in one ``Gate`` (per event loop), which listens on
one process-wide group (``accounts_group``): one subscription per process, not one per user.
``close_sockets_on_commit(user_id, ...)`` signals that group after the caller's transaction
commits; every process's gate ends that user's sockets there with 4403 and the error code
given. A socket that connects later is refused by ``account_refusal`` (the accounts app
registers it: whether the user's row says the account is locked).

The gate holds a socket from its acceptance to its disconnect; a user's entry goes with their
last socket, so it is bounded by the sockets open.
"""

import asyncio
import logging
from collections.abc import Callable

from gameplatform.broadcast.groups import accounts_group
from gameplatform.broadcast.hub import get_hub
from gameplatform.broadcast.realtime import signal_on_commit
from gameplatform.core.hooks import Hook
from gameplatform.core.loops import per_loop

logger = logging.getLogger(__name__)

CLOSE_SOCKETS = "close_sockets"
CLOSE_FORBIDDEN = 4403

# Whether a user's sockets may not open (read off the user's row: no query), and the refusal
# (an ApplicationError, which may read the database) to close them with: one provider each.
account_locked: Hook[[object], bool] = Hook("account_locked")
account_refusal: Hook[[object], Exception | None] = Hook("account_refusal")


def _provider(hook: Hook) -> Callable | None:
    return hook.reactions[0] if hook.reactions else None


def locked(user) -> bool:
    provider = _provider(account_locked)
    return provider is not None and provider(user)


def refusal_for(user) -> Exception | None:
    """The refusal for a locked user (sync: run it on a database worker)."""
    provider = _provider(account_refusal)
    return provider(user) if provider is not None else None


class Gate:
    user_id = None  # a hub member that is no user's socket

    def __init__(self) -> None:
        self.sockets: dict[int, set] = {}
        self.listening: asyncio.Task | None = None

    def add(self, socket) -> None:
        """Hold ``socket`` until its disconnect. The process's one subscription is made off the
        socket's way (a task, once): an accepted socket does not wait for it."""
        self.sockets.setdefault(socket.user_id, set()).add(socket)
        if self.listening is None:
            self.listening = asyncio.get_running_loop().create_task(self._listen())

    async def _listen(self) -> None:
        try:
            await get_hub().join(accounts_group(), self)
        except Exception:  # Redis away: the next socket tries again; a lock still refuses new ones
            logger.warning("the account gate could not listen yet", exc_info=True)
            self.listening = None

    def discard(self, socket) -> None:
        held = self.sockets.get(socket.user_id)
        if held is not None:
            held.discard(socket)
            if not held:
                del self.sockets[socket.user_id]

    async def hub_deliver(self, message: dict) -> None:
        if message.get("signal") != CLOSE_SOCKETS:
            return
        data = message.get("data", {})
        for socket in tuple(self.sockets.get(data.get("user_id"), ())):
            try:
                await socket.end(
                    data.get("close_code", CLOSE_FORBIDDEN),
                    data.get("code", "forbidden"),
                    data.get("message", "Not allowed."),
                )
            except Exception:  # a client gone meanwhile: its disconnect releases it; the others still close
                logger.info("a locked account's socket could not be ended", exc_info=True)


get_gate = per_loop(Gate)


def close_sockets_on_commit(user_id: int, *, code: str, message: str, close_code: int = CLOSE_FORBIDDEN) -> None:
    """Close every open socket of ``user_id``, on every process, once the transaction commits
    (with 4403, or ``close_code``: a deleted account's sockets close 4401)."""
    signal_on_commit(
        accounts_group(), CLOSE_SOCKETS, user_id=user_id, code=code, message=message, close_code=close_code
    )

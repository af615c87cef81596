"""Sending to groups: what services and consumers call to reach sockets.

Frames are encoded to JSON here, once per event, and travel as text; every
process that holds sockets of the group writes that same text to each of them
(see ``gameplatform.broadcast.hub``). Sync callers (services) send after commit, so a
client never sees a state that was rolled back.

A service running as a unit of work of ``gameplatform.data.db`` (every socket and
REST call) does not publish from its worker thread: its committed broadcasts
go to the unit's outbox, and the event loop publishes them when the unit
returns. Elsewhere (management commands, a shell) they are published at once.
"""

import asyncio
import contextvars
import json
import logging
import threading
import uuid
from typing import Protocol

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from gameplatform.broadcast.groups import user_group
from gameplatform.broadcast.hub import MESSAGE_TYPE, Publish, get_hub

logger = logging.getLogger(__name__)


def encode(payload: dict) -> str:
    return json.dumps(payload, cls=DjangoJSONEncoder, separators=(",", ":"), ensure_ascii=False)


def frame_message(group: str, payload: dict, *, skip_user: int | None = None) -> dict:
    # ``frame_type`` labels the hubs' delivery metrics without decoding the text.
    message = {"type": MESSAGE_TYPE, "group": group, "text": encode(payload), "frame_type": payload.get("type")}
    if skip_user is not None:
        message["skip_user"] = skip_user
    return message


def signal_message(group: str, signal: str, data: dict) -> dict:
    return {"type": MESSAGE_TYPE, "group": group, "signal": signal, "data": data}


async def _send(group: str, message: dict, layer) -> None:
    """Through this process's hub (its own sockets at once, see ``GroupHub.send``); through
    ``layer`` alone when the caller names one (a test playing another process)."""
    if layer is None:
        await get_hub().send(group, message)
    else:
        await layer.group_send(group, message)


async def agroup_send(group: str, payload: dict, *, skip_user: int | None = None, layer=None) -> None:
    """Send one frame to every socket in ``group`` on every server process."""
    await _send(group, frame_message(group, payload, skip_user=skip_user), layer)


class Spends(Protocol):
    """A budget that can publish as it spends (``gameplatform.data.ratelimit.Budget``)."""

    async def aspend(self, *idents, cost: int = 1, age: float = 0.0, publish: Publish | None = None) -> object: ...


async def agroup_send_spending(group: str, payload: dict, budget: Spends, *idents, age: float = 0.0) -> None:
    """``agroup_send``, only when ``budget`` allows one more unit for ``idents``, counted as of
    ``age`` seconds ago; ``RateLimited`` otherwise, and nothing is sent. With Redis the budget's
    own script publishes the frame when it allows it: one round trip (``GroupHub.send_spending``)."""

    async def spend(publish: Publish | None) -> None:
        await budget.aspend(*idents, age=age, publish=publish)

    await get_hub().send_spending(group, frame_message(group, payload), spend)


async def agroup_signal(group: str, signal: str, layer=None, **data) -> None:
    """Ask every socket in ``group`` to run its ``on_signal`` handler for ``signal``."""
    await _send(group, signal_message(group, signal, data), layer)


async def agroup_signal_here(group: str, signal: str, **data) -> None:
    """``agroup_signal`` for a sender that knows every socket of ``group`` is on this process (a
    game's room whose players are all here): delivered here, nothing published through the layer.
    When this process's hub cannot deliver by itself, it is sent as ``agroup_signal`` sends."""
    message = signal_message(group, signal, data)
    if not await get_hub().send_here(group, message):
        await _send(group, message, None)


async def asend_to_user(user_id: int, payload: dict) -> None:
    """Reach every socket that listens on the user's personal group, on any process."""
    await agroup_send(user_group(user_id), payload)


# Messages to publish once the current unit of database work returns; None outside one.
outbox_var: contextvars.ContextVar[list | None] = contextvars.ContextVar("realtime_outbox", default=None)
# The channel layer an outbox is published through when the caller names none (tests
# set it to play a second server process; None is the process's default layer).
publish_layer_var: contextvars.ContextVar = contextvars.ContextVar("realtime_publish_layer", default=None)


# Messages waiting for their delay (``broadcast_later_on_commit``): held so they are not collected.
_waiting: set[asyncio.Task] = set()


async def _publish_one(message: dict, layer) -> None:
    try:
        await _send(message["group"], message, layer)
    except Exception:
        logger.exception("publishing to %s failed", message["group"])


async def _publish_later(message: dict, delay: float, layer) -> None:
    await asyncio.sleep(delay)
    await _publish_one(message, layer)


async def publish(messages: list[dict], layer=None) -> None:
    """Publish layer messages in order, from the event loop (a delayed one on its own, later)."""
    layer = layer or publish_layer_var.get()
    for message in messages:
        delay = message.pop("delay", None)
        if delay:
            task = asyncio.get_running_loop().create_task(_publish_later(message, delay, layer))
            _waiting.add(task)
            task.add_done_callback(_waiting.discard)
        else:
            await _publish_one(message, layer)


def _send_now(message: dict) -> None:
    outbox = outbox_var.get()
    if outbox is not None:
        outbox.append(message)
        return
    delay = message.pop("delay", None)
    send = async_to_sync(get_channel_layer().group_send)
    if delay:  # a command or a shell: no event loop of ours to wait on
        timer = threading.Timer(delay, send, args=(message["group"], message))
        timer.daemon = True
        timer.start()
    else:
        send(message["group"], message)


def send_now(group: str, payload: dict) -> None:
    """Send a frame from sync code without waiting for a commit (e.g. inside an on-commit hook)."""
    _send_now(frame_message(group, payload))


def _on_commit(message: dict) -> None:
    transaction.on_commit(lambda: _send_now(message), robust=True)


def broadcast_on_commit(group: str, payload: dict, *, skip_user: int | None = None) -> None:
    """Send a frame to ``group`` once the current transaction commits (at once outside one)."""
    _on_commit(frame_message(group, payload, skip_user=skip_user))


def broadcast_later_on_commit(group: str, payload: dict, *, delay: float) -> None:
    """``broadcast_on_commit``, sent ``delay`` seconds after the commit: for a change that other
    processes see only at their next look at a cache they check every ``delay`` seconds at most
    (live operations' flags), so that a client told of it reads it from any process."""
    _on_commit({**frame_message(group, payload), "delay": delay})


def signal_on_commit(group: str, signal: str, **data) -> None:
    _on_commit(signal_message(group, signal, data))


def send_to_user(user_id: int, payload: dict) -> None:
    """Send a frame to the user's personal group after commit: whatever socket of theirs listens."""
    broadcast_on_commit(user_group(user_id), payload)


class _Probe:
    user_id = None

    def __init__(self) -> None:
        self.arrived = asyncio.Event()

    async def hub_deliver(self, message: dict) -> None:
        self.arrived.set()


async def channel_layer_roundtrip(timeout: float, prefix: str = "probe") -> bool:
    """A signal really sent through the channel layer (Redis when configured) to this process's
    hub and back (``/api/status/``, ``/readyz``).

    A signal, not a frame: the probe is no delivery to a socket and stays out of those metrics.
    The wait is bounded: a signal lost in an outage must not leave a check running for good.
    """
    hub, probe = get_hub(), _Probe()
    group = f"{prefix}_{uuid.uuid4().hex}"
    await hub.join(group, probe)
    try:
        await agroup_signal(group, "probe")
        await asyncio.wait_for(probe.arrived.wait(), timeout)
        return True
    finally:
        await hub.leave(group, probe)

"""Process-local fan-out of group broadcasts.

A textbook Channels room gives every socket its own channel-layer channel and
group membership: a broadcast to 200 sockets is 200 layer deliveries, 200
message decodings, 200 consumer wake-ups and 200 JSON encodings, and the group
keeps 200 members in Redis that a mass disconnect has to remove one by one.

Here each server process has one ``GroupHub`` per event loop. The hub holds
one layer channel and subscribes it to a group once, when the first local
socket joins; the sockets themselves are kept in a local dict. A broadcast is
encoded to JSON once by the sender, crosses Redis once per process, is decoded
once per process, and the hub writes the same text to every local socket in
the group. Leaving a group is a dict removal; only the last local socket of a
group unsubscribes, so closing many sockets at once leaves nothing behind in
Redis. With the pub/sub layer the local queue has no capacity limit, so a
burst is delivered, not dropped.

A broadcast sent from this process (``send``) reaches this process's sockets at once, in
the sender's task, and the other processes through the layer; when the layer brings the
copy back, the hub skips it (it carries the hub's ``origin``). The room that owns a game
and the sockets of its players are usually on one process: a move's echo then waits for
no Redis round trip, and the layer's publishes (one at a time per connection in
channels-redis's pub/sub layer) are off the path of the frames this process serves.

Two kinds of message travel through a hub:
- frames: ``text`` already encoded, written as-is (optionally skipping one user's sockets);
- signals: a named event the consumers handle themselves (``on_signal``), e.g.
  "close the sockets of this kicked user" on every server process.
"""

import asyncio
import logging
import uuid
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from channels.layers import get_channel_layer
from channels_redis.pubsub import RedisPubSubChannelLayer
from django.conf import settings

from gameplatform.core import metrics
from gameplatform.core.errors import Unavailable
from gameplatform.core.loops import per_loop

logger = logging.getLogger(__name__)

MESSAGE_TYPE = "hub.message"

try:  # daphne's WebSocket library raises its own error for a send on a protocol that just closed
    from autobahn.exception import Disconnected as _AutobahnDisconnected
except ImportError:  # daphne is not installed: uvicorn's is an OSError
    _AutobahnDisconnected = OSError
# What a send raises when the client has gone: the socket is dropped from its groups quietly.
CLIENT_GONE: tuple[type[Exception], ...] = (OSError, _AutobahnDisconnected)
SYNC_TIMEOUT = 2.0
# A subscription's marker is sent again after 50 ms, then after twice as long each time, at most
# every 0.5 s, until it is heard or SYNC_TIMEOUT has passed: at most 7 markers a subscription.
SYNC_RESEND_FIRST = 0.05
SYNC_RESEND_MOST = 0.5

# channels-redis's pub/sub layer reads a shard's subscriber connection only while that shard
# has a subscription; an idle shard looks again every 0.1 s. With the layer's servers listed
# several times (``CHANNEL_LAYER_CONNECTIONS``), most shards of a quiet process are idle, and
# the first group subscribed on one was heard up to 100 ms late: a quiet server's first
# sockets, and every ``/api/status/`` and ``/readyz`` probe (its own group each time). The hub
# keeps every shard subscribed with groups nobody sends to: 16 names per listed host, spread
# over the shards by the layer's own hashing (the chance that one of 8 shards gets none of
# 128 names is about 3 in 10 million).
IDLE_GROUPS_PER_HOST = 16
IDLE_GROUP_PREFIX = "hub-idle-"


def idle_group_names() -> list[str]:
    """The groups that keep every shard of the default layer subscribed (none without hosts)."""
    hosts = settings.CHANNEL_LAYERS.get("default", {}).get("CONFIG", {}).get("hosts", ())
    return [f"{IDLE_GROUP_PREFIX}{i}" for i in range(IDLE_GROUPS_PER_HOST * len(hosts))] if len(hosts) > 1 else []


def layer_group_channel_prefix(layer) -> str | None:
    """What channels-redis's pub/sub layer puts before a group's name to make the Redis channel
    it publishes the group's messages on, when that layer is the default one on the platform's
    Redis (``GroupHub.layer_publish``); None for any other layer or place."""
    if not isinstance(layer, RedisPubSubChannelLayer) or layer is not get_channel_layer():
        return None
    if not settings.REDIS_URL or settings.CHANNEL_REDIS_URLS:
        return None
    return f"{settings.CHANNEL_LAYERS['default']['CONFIG'].get('prefix', 'asgi')}__group__"


@dataclass(frozen=True)
class Publish:
    """A message for a Redis pub/sub ``channel``, published by a budget's own script when the
    hit is allowed (``gameplatform.data.ratelimit``'s ``publish``): the spend and the broadcast
    in one round trip (``GroupHub.send_spending``)."""

    channel: str
    data: bytes


class HubMember(Protocol):
    user_id: int | None

    async def hub_deliver(self, message: dict) -> None: ...


class GroupHub:
    def __init__(self, layer) -> None:
        self.layer = layer
        # Groups appear here only once their subscription is live (see join).
        self.members: dict[str, set[HubMember]] = {}
        self.channel: str | None = None
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._start_lock = asyncio.Lock()
        self._task: asyncio.Task | None = None
        self._syncs: dict[str, asyncio.Future] = {}
        self.delivered = 0
        # A subscription failed (Redis down, or back with the layer's connections in a bad
        # state): the next join starts the hub afresh instead of reusing them.
        self.broken = False
        self._restart_lock = asyncio.Lock()
        self.origin = uuid.uuid4().hex  # marks the broadcasts this hub delivered itself
        self.group_channel_prefix = layer_group_channel_prefix(layer)

    async def send(self, group: str, message: dict) -> None:
        """Broadcast ``message`` to ``group`` on every process: this process's sockets first,
        then the others through the layer (this hub skips its own copy when it comes back)."""
        if group in self.members and not self.broken:
            message = {**message, "origin": self.origin}
            await self.dispatch(message)
        await self.layer.group_send(group, message)

    async def send_spending(self, group: str, message: dict, spend: Callable[[Publish | None], Awaitable]) -> None:
        """``send``, once ``spend`` allowed it; when it raises (a budget refused), nothing is sent.

        ``spend`` is given the layer's own publish of ``message`` when the budget's Redis can make
        it (``layer_publish``): the budget's script then publishes it when it allows the spend,
        and the spend and the broadcast are one Redis round trip. Given None, it only spends, and
        the message goes through the layer as ``send`` sends it. This process's sockets get it
        from here either way, once the spend is allowed."""
        here = group in self.members and not self.broken
        if here:
            message = {**message, "origin": self.origin}
        publish = self.layer_publish(group, message)
        await spend(publish)
        if here:
            await self.dispatch(message)
        if publish is None:
            await self.layer.group_send(group, message)

    def layer_publish(self, group: str, message: dict) -> Publish | None:
        """``message`` as the layer publishes it to ``group``, for a script on the platform's Redis
        to publish in its stead; None unless the layer is channels-redis's pub/sub layer on that
        same Redis (no ``CHANNEL_REDIS_URLS``). The channel is the layer's name for the group,
        ``<prefix>__group__<group>``: the name every process of a deployment subscribes to, so
        it is the layer's wire format, not a detail of one process
        (``test_a_message_published_by_the_budget_reaches_every_process_hub``)."""
        if self.group_channel_prefix is None:
            return None
        return Publish(f"{self.group_channel_prefix}{group}", self.layer.serialize(message))

    async def send_here(self, group: str, message: dict) -> bool:
        """``send`` to this process's sockets of ``group`` only, for a sender that knows no other
        process has any (a game's room whose players' sockets are all on its process): no layer
        publish, and no copy coming back to skip. False, with nothing sent, when this hub cannot
        deliver by itself (its subscription broke): the caller then uses ``send``."""
        if self.broken:
            return False
        if group in self.members:
            await self.dispatch({**message, "origin": self.origin})
        return True

    def _lock(self, group: str) -> asyncio.Lock:
        lock = self._locks.get(group)
        if lock is None:
            lock = self._locks[group] = asyncio.Lock()
        return lock

    async def join(self, group: str, member: HubMember) -> None:
        members = self.members.get(group)
        if members is not None:
            members.add(member)
            return
        # Subscribing and unsubscribing one group take turns, so a join racing the
        # last member's leave always ends with the group subscribed.
        async with self._lock(group):
            members = self.members.get(group)
            if members is None:
                await self._subscribe(group)
                members = self.members[group] = set()
            members.add(member)

    async def leave(self, group: str, member: HubMember) -> None:
        members = self.members.get(group)
        if members is None or member not in members:
            return
        members.discard(member)
        if members:
            return
        async with self._lock(group):
            # Still empty, and still the same set (nobody joined while we waited)?
            if self.members.get(group) is members and not members:
                del self.members[group]
                await self.layer.group_discard(group, self.channel)

    async def _subscribe(self, group: str) -> None:
        try:
            if self.broken:
                # Sockets rejoin together after an outage: one restarts the hub, the others
                # wait for it (a second restart would drop the connections under the first).
                async with self._restart_lock:
                    if self.broken:
                        await self._restart()
            await self._subscribe_once(group)
        except Exception as exc:
            self.broken = True
            if isinstance(exc, Unavailable):
                raise
            # Whatever the layer raised (redis ConnectionError, or a connection torn down
            # under a concurrent command): for the caller the channel layer is unavailable.
            logger.warning("group %s not subscribed: %r", group, exc)
            raise Unavailable(f"Could not subscribe to group {group}; try again shortly.") from exc

    async def _restart(self) -> None:
        """Drop the layer's connections and this hub's channel; subscribe the local groups afresh.

        After an outage the layer may keep connections and subscriptions that look alive
        and deliver nothing; starting over is what a process restart used to fix.
        """
        logger.warning("restarting the group hub after a failed subscription")
        task, self._task, self.channel = self._task, None, None
        if task is not None:
            task.cancel()
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass
        flush = getattr(self.layer, "flush", None)
        if flush is not None:
            try:
                await flush()
            except Exception:
                logger.warning("flushing the channel layer failed", exc_info=True)
        await self._ensure_started()
        for group in tuple(self.members):
            await self.layer.group_add(group, self.channel)
        self.broken = False

    async def _subscribe_once(self, group: str) -> None:
        await self._ensure_started()
        for attempt in (1, 2):
            await self.layer.group_add(group, self.channel)
            try:
                await self._until_subscribed(group)
                return
            except TimeoutError:
                # A subscription lost on the way (e.g. a Redis reconnect): subscribe afresh once.
                logger.warning("group %s not confirmed (attempt %s)", group, attempt)
                await self.layer.group_discard(group, self.channel)
        # The layer took the subscription but delivers nothing (Redis just came back, or
        # is going away): an outage for the caller (socket: ``error`` unavailable, 1013).
        raise Unavailable(f"Could not subscribe to group {group}; try again shortly.")

    async def _until_subscribed(self, group: str) -> None:
        """Return once the layer really delivers ``group`` to this hub.

        Redis confirms a SUBSCRIBE on the subscriber connection, not to the caller,
        and a PUBLISH sent on another connection right after it can overtake it.
        A marker published to the group and heard back proves the subscription is
        live, so a frame broadcast right after a socket joins is never missed.
        """
        loop = asyncio.get_running_loop()
        nonce = uuid.uuid4().hex
        heard = loop.create_future()
        self._syncs[nonce] = heard
        deadline = loop.time() + SYNC_TIMEOUT
        wait = SYNC_RESEND_FIRST
        try:
            while True:
                # Sent again until heard: a marker that overtook the SUBSCRIBE is gone, and
                # waiting out the whole timeout for it held up the socket (and its next
                # frames) for seconds. A late copy of an earlier marker finds no waiter.
                await self.layer.group_send(group, {"type": MESSAGE_TYPE, "group": group, "sync": nonce})
                left = deadline - loop.time()
                if left > 0:
                    await asyncio.wait((heard,), timeout=min(wait, left))
                if heard.done():
                    return
                if loop.time() >= deadline:
                    raise TimeoutError(f"group {group} not heard back")
                wait = min(wait * 2, SYNC_RESEND_MOST)
        finally:
            self._syncs.pop(nonce, None)

    async def _ensure_started(self) -> None:
        if self._task is not None:
            return
        async with self._start_lock:
            if self._task is None:
                self.channel = await self.layer.new_channel("hub.")
                self._task = asyncio.get_running_loop().create_task(self._run())
                for group in idle_group_names():
                    await self.layer.group_add(group, self.channel)

    async def _run(self) -> None:
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("group hub receive failed")
                await asyncio.sleep(0.5)
                continue
            if message.get("origin") != self.origin:  # not delivered here already (``send``)
                await self.dispatch(message)

    async def dispatch(self, message: dict) -> None:
        if "sync" in message:
            heard = self._syncs.get(message["sync"])
            if heard is not None and not heard.done():
                heard.set_result(None)
            return
        members = self.members.get(message.get("group"))
        if not members:
            return
        skip = message.get("skip_user")
        delivered = 0
        # A copy: a member may leave (and so change the set) while we deliver.
        for member in tuple(members):
            if skip is not None and member.user_id == skip:
                continue
            try:
                await member.hub_deliver(message)
                delivered += 1
            except CLIENT_GONE:
                # The client went away (uvicorn's ClientDisconnected, daphne's Disconnected); its
                # disconnect handler runs on its own: no log line per frame that raced with the close.
                members.discard(member)
            except Exception:
                logger.exception("delivery to a socket failed; dropping it from %s", message.get("group"))
                members.discard(member)
        self.delivered += delivered
        if delivered and "text" in message:  # one count per message, not per socket
            metrics.delivered(message.get("frame_type"), delivered)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None


get_hub = per_loop(lambda: GroupHub(get_channel_layer()))
"""The hub of the running event loop (one per process in a server)."""

"""A socket's groups: joined through the process hub, left again on disconnect whatever happened.

``GroupMember``, mixed into ``BaseConsumer``, is the socket as the hub sees it
(``gameplatform.broadcast.hub.HubMember``): it joins and leaves groups, and takes each broadcast to them,
a frame written as it is or a signal handed to ``on_signal``.
"""

import logging

from gameplatform.broadcast.hub import get_hub

logger = logging.getLogger(__name__)


class GroupMember:
    """The groups of a ``BaseConsumer``: ``join_group``, ``leave_group``, and the hub's deliveries."""

    groups_joined: set[str]  # made as the socket connects; emptied when it leaves them all

    async def join_group(self, group: str) -> None:
        await get_hub().join(group, self)
        self.groups_joined.add(group)

    async def leave_group(self, group: str) -> None:
        self.groups_joined.discard(group)
        await get_hub().leave(group, self)

    async def leave_all_groups(self) -> None:
        hub = get_hub()
        for group in tuple(getattr(self, "groups_joined", ())):
            try:
                await hub.leave(group, self)
            except Exception:
                logger.exception("leaving %s failed", group)
        self.groups_joined = set()

    async def hub_deliver(self, message: dict) -> None:
        """Called by the process hub for each broadcast to a group this socket joined.

        Nothing once the socket is closing or closed: a delivery on its way when the socket left
        its groups still holds it in the hub's copy of the group, and writes it nothing."""
        if self.closing or not self.accepted or not self.connected:
            return
        text = message.get("text")
        if text is not None:
            await self.send(text_data=text)
            return
        await self.on_signal(message["signal"], message.get("data", {}))

    async def on_signal(self, signal: str, data: dict) -> None:
        """Subclasses act on group signals (e.g. close a kicked user's sockets)."""

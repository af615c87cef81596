"""The party frames of the world socket (a mixin of ``world.consumers.WorldConsumer``).

The socket stands in its character's party group (``party_group``: party chat's audience) from
connect on; the party services (``world.parties.services``) signal ``party_joined`` / ``party_left`` to the
user's world group when the character joins or leaves a party while the socket is open, and the
socket joins or leaves the group then, and only then sends the ``party_update`` the signal carries
(so party chat sent after it reaches the new member). The other members' ``party_update`` frames
come through their world groups (``world_user_group``), so none needs the party group.
"""

from gameplatform.broadcast.groups import party_group
from gameplatform.data import db
from world.parties import services

PARTY_SIGNALS = frozenset({"party_joined", "party_left"})


class PartyFrames:
    """Party chat's audience and ``party_update`` on the world socket."""

    party_frame_types: frozenset[str] = frozenset()
    party_id: int | None = None

    def party_chat_group(self) -> str | None:
        """The group of this character's party, for ``chat {channel: "party"}``; None when in none."""
        return party_group(self.party_id) if self.party_id is not None else None

    async def parties_connected(self) -> None:
        """The world socket is open: in a party, it joins the party's group, then tells the client
        ``party_update {party}`` (after ``welcome``; party chat reaches it from then on)."""
        frame = await db.run(services.party_frame_of_character, character_id=self.character.pk)
        if frame is None:
            return
        await self._party_switch(frame["party_id"])
        await self.send_frame(frame)

    async def parties_disconnected(self) -> None:
        """The world socket closed (the kit leaves every group it joined)."""
        self.party_id = None

    async def _party_switch(self, party_id: int | None) -> None:
        if party_id == self.party_id:
            return
        if self.party_id is not None:
            await self.leave_group(party_group(self.party_id))
        self.party_id = party_id
        if party_id is not None:
            await self.join_group(party_group(party_id))

    async def hub_deliver(self, message: dict) -> None:
        # Party signals are handled here, so the consumer's own ``on_signal`` stays as it is.
        if message.get("text") is None and message.get("signal") in PARTY_SIGNALS:
            if self.closing or not self.accepted or self.character is None:
                return
            data = message.get("data", {})
            if data.get("character_id") != self.character.pk:
                return  # the user's other character (the socket plays the one selected on connect)
            # Not here: joining a group waits for the hub, which waits for this delivery.
            self.then_in_order(lambda: self._party_signal(message["signal"], data))
            return
        await super().hub_deliver(message)

    async def _party_signal(self, signal: str, data: dict) -> None:
        if signal == "party_joined":
            await self._party_switch(data.get("party_id"))
        elif data.get("party_id") == self.party_id:
            await self._party_switch(None)
        frame = data.get("frame")
        if frame is not None and not self.closing:
            await self.send_frame(frame)

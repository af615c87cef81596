"""``WS /ws/world/`` (and the seed's ``/ws``): the selected character in the shared world.

The socket stands at two presence places, ``world`` and ``area:<location>`` (``world.areas``):
the kit decides once, across processes, when a character enters or leaves an area, and the
area hears ``player_joined_area`` / ``player_left_area``. Positions are relayed, never
stored per frame: at most 10 a second per character reach the area, the newest wins.
"""

import asyncio
import logging
import time
from urllib.parse import parse_qs

from django.utils import timezone

from chat.lobbies.services import CHAT_RATE
from gameplatform.broadcast.groups import area_group, faction_group, world_group, world_user_group
from gameplatform.broadcast.hub import CLIENT_GONE
from gameplatform.broadcast.realtime import agroup_send, agroup_signal
from gameplatform.chat import speech
from gameplatform.core.errors import ApplicationError, Forbidden
from gameplatform.data import db
from gameplatform.http import serializers
from gameplatform.sockets.consumers import CLOSE_NOT_FOUND, CLOSE_REPLACED, BaseConsumer, receives
from world import areas, events, selectors, services
from world.combat.consumers import CombatFrames
from world.parties.consumers import PartyFrames
from world.trading.consumers import TradeFrames

logger = logging.getLogger(__name__)

PROTOCOL_VERSIONS = (1, 1)  # the oldest and newest protocol versions this server speaks
POSITION_INTERVAL = 0.1  # at most 10 position updates a second per character reach the area
CHAT_MAX_LENGTH = 500


class UnsupportedVersion(ApplicationError):
    close_code = 4400
    tell_on_refuse = True

    def __init__(self) -> None:
        super().__init__(
            "This protocol version is not supported.",
            code="unsupported_version",
            extra={"supported": list(PROTOCOL_VERSIONS)},
        )


class NoCharacter(Forbidden):
    tell_on_refuse = True

    def __init__(self) -> None:
        super().__init__("Select a character first.", code="no_character")


class Vector(serializers.Serializer):
    x = serializers.FloatField()
    y = serializers.FloatField()
    z = serializers.FloatField(default=0.0)


class PositionInput(serializers.Serializer):
    position = Vector()
    velocity = Vector(required=False)


class MoveInput(serializers.Serializer):
    to_location_id = serializers.IntegerField(min_value=1)


class ChatInput(serializers.Serializer):
    channel = serializers.ChoiceField(choices=["global", "party", "faction"])
    message = serializers.CharField(max_length=CHAT_MAX_LENGTH)


class WhisperInput(serializers.Serializer):
    to = serializers.CharField(max_length=40)
    message = serializers.CharField(max_length=CHAT_MAX_LENGTH)


class ShardCaptureInput(serializers.Serializer):
    shard_id = serializers.IntegerField(min_value=1)


class AnnouncementInput(serializers.Serializer):
    message = serializers.CharField(max_length=CHAT_MAX_LENGTH)


def protocol_version(scope) -> int:
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    raw = (query.get("v") or ["1"])[-1]
    try:
        version = int(raw)
    except ValueError:
        raise UnsupportedVersion() from None
    if not PROTOCOL_VERSIONS[0] <= version <= PROTOCOL_VERSIONS[1]:
        raise UnsupportedVersion()
    return version


class WorldConsumer(PartyFrames, CombatFrames, TradeFrames, BaseConsumer):
    """``/ws/world/`` (and ``/ws``): the user's selected character in the persistent world.

    4403 ``no_character`` without a selected character; one world socket per user (4409);
    ``?v=N`` names the protocol version (4400 with ``unsupported_version`` otherwise).
    The socket plays the character selected when it opened: deleting that character closes it
    4404 (``error character_deleted`` first), selecting another one closes it 4409 (``error
    character_replaced``); the character then leaves its area, trades and fights at once.
    """

    server_frames = {
        "welcome": "`{protocol_version, character, location, nearby, world: {current_reality, shards}}`: on connect.",
        "player_joined_area": "`{character}`: a character entered my area.",
        "player_left_area": "`{character_id}`: a character left my area (moved, disconnected, or its process died).",
        "location_update": "`{character_id, from_location_id, to_location_id}`: a move, to everyone involved.",
        "nearby": "`{location_id, characters}`: who is in my area, after my move.",
        "position_update": "`{character_id, position, velocity}`: at most 10 per second per character, newest wins.",
        "chat": "`{channel, sender: {character_id, name, faction}, message, created_at}`: global, party or faction.",
        "whisper": "`{from, to, message, created_at}`: to the whisper's two characters only.",
        "world_announcement": "`{message, ...}`: from staff, to every world socket.",
        "character_update": "`{character}`: my character's level, health or location changed.",
        "party_update": "`{party}` (or `{party: null, party_id}` after leaving): on every party change.",
        "shard_captured": "`{shard, faction, character}`: a faction took a shard, to everyone.",
        "shard_status": "`{shard}`: a shard changed.",
        "reality_shift": "`{reality, event_id}`: the current reality changed for everyone.",
        "aetherfall": "`{location_id, ..., event_id}`: an aetherfall event at a location.",
        "combat_start": "`{combat}`: a fight began in my area.",
        "combat_state": "`{combat}`: the fight's state.",
        "combat_damage": "`{combat_id, source_id, target_id, amount, target_health, ...}`: the server's damage.",
        "combat_heal": "`{combat_id, source_id, target_id, amount, target_health}`: healing computed by the server.",
        "combat_end": "`{combat_id, winner, loot}`: the fight is over; loot is granted once.",
        "trade_request": "`{trade}`: a trade was proposed, to both sides.",
        "trade_update": "`{trade}`: an offer or a confirmation changed, to both sides.",
        "trade_declined": "`{trade}`: the other side declined.",
        "trade_complete": "`{trade}`: both confirmed; items and gold moved in one transaction.",
        "trade_cancelled": "`{trade, reason}`: cancelled, or a side disconnected or left the area.",
    }
    client_types = (
        frozenset({"move", "position_update", "chat", "whisper", "world_announcement", "shard_capture"})
        | PartyFrames.party_frame_types
        | CombatFrames.combat_frame_types
        | TradeFrames.trade_frame_types
    )
    character = None
    replaced = False  # closed because a newer world socket of the same user took over this character
    left_world = False  # the character already left its area, trades and fights (deleted or deselected)

    async def on_connect(self) -> None:
        self.version = protocol_version(self.scope)
        entry = await db.run(selectors.world_entry, user_id=self.user_id)
        if entry is None:
            raise NoCharacter()
        self.entry = entry
        self.character = entry["character"]
        self.location_id = self.character.location_id
        self.position: dict | None = None
        self._position_sent_at = 0.0
        self._position_pending: dict | None = None
        self._position_timer: asyncio.TimerHandle | None = None
        for group in (
            world_group(),
            world_user_group(self.user_id),
            area_group(self.location_id),
            faction_group(self.character.faction_id),
        ):
            await self.join_group(group)

    def presence_places(self) -> tuple[str, ...]:
        return areas.places_for(self.location_id)

    async def on_accepted(self) -> None:
        # One world socket per user: an older one, on any process, closes with 4409.
        await agroup_signal(
            world_user_group(self.user_id), "replaced", connection_id=self.conn_id, character_id=self.character.pk
        )
        nearby = await db.run(selectors.nearby_characters, location_id=self.location_id, except_user_id=self.user_id)
        entry = self.entry
        await self.send_frame(
            events.welcome(
                version=self.version,
                character=self.character,
                location=entry["location"],
                nearby=nearby,
                reality=entry["reality"],
                shards=entry["shards"],
            )
        )
        del self.entry
        # In the socket's ordered work: a party signal that arrives meanwhile (a leave committed
        # just after the party was read) is handled after the socket has joined that party's group.
        self.then_in_order(self.parties_connected)

    async def on_signal(self, signal: str, data: dict) -> None:
        playing = self.character.pk
        if signal == "replaced" and data.get("connection_id") != self.conn_id:
            # The newer socket takes over the character's trades and fights only if it plays it.
            self.replaced = data.get("character_id", playing) == playing
            await self.end(CLOSE_REPLACED, "replaced", "A newer world socket of yours took this one's place.")
        elif signal == services.CHARACTER_DELETED and data.get("character_id") == playing:
            await self.character_gone(
                CLOSE_NOT_FOUND, "character_deleted", "Your character was deleted.", character_id=playing
            )
        elif signal == services.CHARACTER_SELECTED and data.get("character_id") != playing:
            await self.character_gone(
                CLOSE_REPLACED,
                "character_replaced",
                "Another character was selected: reconnect to play it.",
                character_id=data.get("character_id"),
            )

    async def character_gone(self, close_code: int, code: str, message: str, **extra) -> None:
        """The character this socket plays was deleted, or the user selected another: say so, close."""
        try:
            await self.send_error(code, message, **extra)
        except CLIENT_GONE:  # the client went away meanwhile
            pass
        await self.close(code=close_code)
        # Now, not when the client answers the close; and off the hub's delivery loop, which
        # waits for each socket it delivers to.
        self.left_world = True
        self._leaving = asyncio.ensure_future(self._leave_world())

    async def _leave_world(self) -> None:
        """The character leaves its area, trades and fights, as on a disconnect.

        The area hears ``player_left_area`` from here: the presence announcer names the user's
        selected character, which is another one now, or none.
        """
        try:
            await self.trades_disconnected()
            await self.combat_disconnected()
            left = events.player_left_area(self.character.pk)
            await agroup_send(area_group(self.location_id), left, skip_user=self.user_id)
            await self.leave_presence()
        except Exception:
            logger.exception("leaving the world failed")

    async def on_disconnect(self, code) -> None:
        if self._position_timer is not None:
            self._position_timer.cancel()
        if not self.replaced and not self.left_world:
            # A socket replaced by the user's newer one leaves the character's trades and
            # fights to it: the character has not left, only changed sockets.
            await self.trades_disconnected()
            await self.combat_disconnected()
        await self.parties_disconnected()
        if self.position is not None:
            await db.run_always(
                services.character_position_save, character_id=self.character.pk, position=self.position
            )

    # --- movement ------------------------------------------------------------------------

    @receives(MoveInput, errors=("character_not_found", "illegal_move", "trade_not_found"))
    async def handle_move(self, frame: dict) -> None:
        """`{to_location_id}`: walk to a neighbouring location (one move per second; `illegal_move` otherwise)."""
        data = self.validate(MoveInput, frame)
        move = {"character_id": self.character.pk, "to_location_id": data["to_location_id"]}
        # A refused move spends nothing: legality is read first, then the budget, then the move.
        await db.run(services.character_move_check, **move)
        await services.MOVE_RATE.aspend(self.character.pk)
        here, there = await db.run(services.character_move, **move)
        await self.relocate(here, there)

    async def relocate(self, here: int, there: int) -> None:
        """The character stands in another area now (a move, a respawn): the socket follows it.

        Both areas hear ``location_update`` first, then the old one ``player_left_area`` and
        the new one ``player_joined_area`` (the kit's presence decides those, once, across
        processes); trades and fights there end; the character gets the new ``nearby``.
        """
        update = events.location_update(self.character.pk, here, there)
        await self.leave_group(area_group(here))
        await self.join_group(area_group(there))
        self.location_id = self.character.location_id = there
        await asyncio.gather(agroup_send(area_group(here), update), agroup_send(area_group(there), update))
        await self.move_presence()
        await self.trades_moved(here, there)
        await self.combat_moved(here, there)
        nearby = await db.run(selectors.nearby_characters, location_id=there, except_user_id=self.user_id)
        await self.send_frame(events.nearby(there, nearby))

    @receives(PositionInput)
    async def handle_position_update(self, frame: dict) -> None:
        """`{position: {x, y, z}, velocity: {x, y, z}}`: relayed to the area, at most 10 per second."""
        data = self.validate(PositionInput, frame)
        position = dict(data["position"])
        velocity = dict(data.get("velocity") or {"x": 0.0, "y": 0.0, "z": 0.0})
        self.position = position
        self._position_pending = events.position_update(self.character.pk, position, velocity)
        if self._position_timer is not None:
            return  # a relay is already due: it will carry this newest one
        wait = self._position_sent_at + POSITION_INTERVAL - time.monotonic()
        if wait <= 0:
            await self._relay_position()
        else:
            self._position_timer = asyncio.get_running_loop().call_later(wait, self._relay_position_later)

    def _relay_position_later(self) -> None:
        self._position_timer = None
        asyncio.ensure_future(self._relay_position())

    async def _relay_position(self) -> None:
        frame, self._position_pending = self._position_pending, None
        if frame is None or self.closing:
            return
        self._position_sent_at = time.monotonic()
        await agroup_send(area_group(self.location_id), frame, skip_user=self.user_id)

    # --- chat --------------------------------------------------------------------------

    @receives(ChatInput, errors=("muted", "not_in_party"))
    async def handle_chat(self, frame: dict) -> None:
        """`{channel, message}`: chat to `global`, `party` or `faction` (3 messages per 2 s, as every chat)."""
        data = self.validate(ChatInput, frame)
        channel = data["channel"]
        group = {
            "global": world_group(),
            "faction": faction_group(self.character.faction_id),
            "party": self.party_chat_group(),
        }[channel]
        if group is None:
            raise ApplicationError("You are not in a party.", code="not_in_party")
        text = await speech.asaid(self.user_id, data["message"])
        await CHAT_RATE.aspend(self.user_id)  # the chat rule, shared with the lobbies
        message = events.chat(channel, self.character, text, timezone.now().isoformat())
        await agroup_send(group, message)

    @receives(WhisperInput, errors=("character_not_found", "forbidden", "muted"))
    async def handle_whisper(self, frame: dict) -> None:
        """`{to, message}`: to one character by name; `forbidden` when either side blocks the other."""
        data = self.validate(WhisperInput, frame)
        target = await db.run(services.whisper_target, sender_user_id=self.user_id, name=data["to"])
        text = await speech.asaid(self.user_id, data["message"])
        await CHAT_RATE.aspend(self.user_id)
        message = events.whisper(self.character, target, text, timezone.now().isoformat())
        await agroup_send(world_user_group(target.user_id), message)
        if target.user_id != self.user_id:
            await agroup_send(world_user_group(self.user_id), message)

    @receives(AnnouncementInput, errors=("forbidden", "permission_denied"))
    async def handle_world_announcement(self, frame: dict) -> None:
        """`{message}`: staff in the role `liveops` or `admin` (`forbidden` for players,
        `permission_denied` for staff without the role): to every world socket."""
        data = self.validate(AnnouncementInput, frame)
        await db.run(services.announcement_post, user=self.user, message=data["message"])

    # --- shards ------------------------------------------------------------------------------

    @receives(
        ShardCaptureInput,
        errors=("already_owned", "character_not_found", "not_at_shard", "shard_defended", "shard_not_found"),
    )
    async def handle_shard_capture(self, frame: dict) -> None:
        """`{shard_id}`: capture a shard at my location when no one of its faction is there."""
        data = self.validate(ShardCaptureInput, frame)
        await db.run(services.shard_capture, character_id=self.character.pk, shard_id=data["shard_id"])

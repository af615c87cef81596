"""Chat rooms: what every members-only room with stored messages shares (lobbies, player groups).

An app describes its kind of room once, as a subclass of ``ChatRoom`` (its noun, presence
place kind, message and membership models, message length, chat budget, channel and member
check), and the pieces here do the rest the same way for every kind:

- the tables: a room's memberships and messages are concrete subclasses of the abstract
  ``RoomMembership`` and ``RoomMessage`` (``gameplatform.chatmodels``, which the apps' models
  import: it imports nothing of the kit);
- the frames: ``chat_message``, ``member_joined`` / ``member_left``, ``role_changed``,
  ``presence_join`` / ``presence_leave``, and the payloads in them (REST answers too);
- posting a message (``ChatRoom.message_post``): trimmed, counted against the budget,
  stored only for a member in one statement, then broadcast after commit;
- a member's removal (``ChatRoom.member_removed_on_commit``): the room hears ``member_left``
  and the member's sockets on that room close (1000 for leaving, 4403 for a kick or ban);
- presence at the room's place (``<kind>:<id>``) and its announcer;
- the socket (``ChatRoomConsumer``): membership checked on connect and again on
  acceptance, the room's state first, closing on removal.

The kit knows no app: each app's subclass names its models and member check, its consumer
the room's state frame. The specifics are class attributes and methods (not values passed
in) so that the test that reads the source for error codes (``gameplatform/tests/error_walk.py``)
still follows a REST view through ``ROOM.message_post`` to the app's member check and budget,
and checks that the view declares their codes.
"""

import asyncio
from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, models
from django.utils import timezone
from rest_framework.fields import DateTimeField

from gameplatform import db, presence, rawsql, speech
from gameplatform.consumers import CLOSE_FORBIDDEN, BaseConsumer
from gameplatform.errors import ApplicationError, Forbidden
from gameplatform.ratelimit import Budget
from gameplatform.realtime import broadcast_on_commit, signal_on_commit

# Signal asking a user's sockets on one room to close (on every process), with the close code.
MEMBER_REMOVED = "member_removed"
CLOSE_LEFT = 1000
CLOSE_REMOVED = 4403


# --- payloads and frames -------------------------------------------------------------

_datetime = DateTimeField()


def timestamp(value) -> str | None:
    """The same ISO 8601 text the REST serializers write, so both channels agree to the microsecond."""
    return _datetime.to_representation(value) if value is not None else None


def user_brief(user) -> dict:
    return {"id": user.pk, "username": user.username, "is_premium": user.is_premium}


def message_payload(message) -> dict:
    return {
        "id": message.pk,
        "content": message.content,
        "sender": user_brief(message.sender),
        "created_at": timestamp(message.created_at),
    }


def member_payload(membership) -> dict:
    return {"user": user_brief(membership.user), "role": membership.role, "joined_at": timestamp(membership.joined_at)}


def chat_message(message) -> dict:
    return {"type": "chat_message", "message": message_payload(message)}


def member_joined(membership) -> dict:
    return {"type": "member_joined", "member": member_payload(membership)}


def member_left(user_id: int, username: str) -> dict:
    return {"type": "member_left", "user_id": user_id, "username": username}


def role_changed(user, role: str) -> dict:
    return {"type": "role_changed", "user_id": user.pk, "username": user.username, "role": role}


def presence_join(user) -> dict:
    return {"type": "presence_join", "user_id": user.pk, "username": user.username, "is_premium": user.is_premium}


def presence_leave(user_id: int, username: str) -> dict:
    return {"type": "presence_leave", "user_id": user_id, "username": username}


# --- messages and removals (services) ------------------------------------------------


def chat_budget(name: str) -> Budget:
    """The chat rule for one budget ``name``: ``CHAT_RATE_LIMIT`` messages per ``CHAT_RATE_WINDOW``
    seconds per user (3 per 2 s by default, the settings read at each message), on every process."""
    return Budget(
        name, limit=3, window=2.0, what="messages", limit_setting="CHAT_RATE_LIMIT", window_setting="CHAT_RATE_WINDOW"
    )


def message_clean(content, *, max_length: int) -> str:
    text = content.strip() if isinstance(content, str) else ""
    if not 1 <= len(text) <= max_length:
        message = f"A message has 1 to {max_length} characters (after trimming)."
        raise ApplicationError(message, code="invalid", extra={"fields": {"content": [message]}})
    return text


class ChatRoom:
    """One kind of chat room; an app subclasses it once and keeps one instance (``ROOM``)."""

    noun: str  # "lobby": in refusals ("You are not a member of this lobby.")
    place_kind: str  # the presence place kind: sockets stand at "<place_kind>:<id>"
    message_model: type[models.Model]
    membership_model: type[models.Model]
    room_field: str  # the foreign key naming the room on both models ("lobby")
    message_max_length: int
    budget: Budget  # messages per user, REST and socket alike

    def channel(self, room_id: int) -> str:
        """The room's channel-layer group (``gameplatform.groups``)."""
        raise NotImplementedError

    def require_member(self, room_id: int, user_id: int) -> None:
        """404 for an unknown room, 403 ``not_member`` for everyone but members."""
        raise NotImplementedError

    def message_post(self, *, room_id: int, user, content: str, budget_spent: bool = False):
        """Store a member's message and broadcast it; REST and the socket both come here.

        Checks run cheapest-first and nothing is spent on a refused message: an
        invalid text or a non-member does not use up the rate-limit budget. The
        socket spends the budget itself when the frame arrives (``budget_spent``).
        """
        text = speech.said(
            user.pk,
            message_clean(content, max_length=self.message_max_length),
            where={f"{self.place_kind}_id": room_id},
        )
        if not budget_spent:
            self.require_member(room_id, user.pk)
            self.budget.spend(user.pk)
        message = self._message_insert_if_member(room_id=room_id, user=user, text=text)
        if message is None:  # not (or no longer) a member: say why
            self.require_member(room_id, user.pk)
            raise Forbidden(f"You are not a member of this {self.noun}.", code="not_member")
        broadcast_on_commit(self.channel(room_id), chat_message(message))
        return message

    def _message_insert_if_member(self, *, room_id: int, user, text: str):
        """Store the message only if ``user`` is a member, in one statement: the chat's hot path.

        ``INSERT ... SELECT ... WHERE EXISTS (membership)`` checks and writes in one round
        trip and one implicit transaction, where the ORM takes a membership query plus
        BEGIN, INSERT and COMMIT. A kick committed before the statement always wins.
        """
        now = timezone.now()
        messages, memberships = self.message_model._meta, self.membership_model._meta
        room_column = rawsql.column(messages.get_field(self.room_field))
        member_room_column = rawsql.column(memberships.get_field(self.room_field))
        sql = (
            f'INSERT INTO "{messages.db_table}" ({room_column}, sender_id, content, created_at) '
            f"SELECT %s, %s, %s, %s WHERE EXISTS "
            f'(SELECT 1 FROM "{memberships.db_table}" WHERE {member_room_column} = %s AND user_id = %s) RETURNING id'
        )
        with connection.cursor() as cursor:
            created_at = messages.get_field("created_at").get_db_prep_value(now, connection)
            cursor.execute(sql, [room_id, user.pk, text, created_at, room_id, user.pk])
            row = cursor.fetchone()
        if row is None:
            return None
        room = {f"{self.room_field}_id": room_id}
        return self.message_model(pk=row[0], **room, sender=user, content=text, created_at=now)

    async def achat_budget_spend(self, *, user_id: int) -> None:
        """Spend one message of the user's chat budget from the event loop, when a frame arrives.

        A socket spends its budget on arrival, before any database work, so a sender who
        keeps to the limit is never refused because its frames waited behind others' work.
        """
        await self.budget.aspend(int(user_id))

    def member_removed_on_commit(self, *, room_id: int, membership, close_code: int) -> None:
        """After commit, the room hears ``member_left`` and the member's sockets on it close with ``close_code``."""
        channel = self.channel(room_id)
        broadcast_on_commit(channel, member_left(membership.user_id, membership.user.username))
        signal_on_commit(channel, MEMBER_REMOVED, user_id=membership.user_id, code=close_code)


# --- presence ------------------------------------------------------------------------


def place(kind: str, room_id: int) -> str:
    return f"{kind}:{int(room_id)}"


def presence_announcer(channel: Callable[[int], str]) -> presence.Announcer:
    """The announcer of one place kind: each room hears who came or went (one query for
    the names of everyone in the batch)."""

    def announce(changes: list[presence.Change]) -> None:
        users = (
            get_user_model()
            .objects.only("id", "username", "is_premium")
            .in_bulk({change.user_id for change in changes})
        )
        for change in changes:
            user = users.get(change.user_id)
            if user is None:  # the account was deleted meanwhile
                continue
            group = channel(int(change.place.split(":", 1)[1]))
            if change.status == presence.ONLINE:
                broadcast_on_commit(group, presence_join(user), skip_user=user.pk)
            else:
                broadcast_on_commit(group, presence_leave(user.pk, user.username))

    return announce


# --- the socket ----------------------------------------------------------------------


class ChatRoomConsumer(BaseConsumer):
    """A members-only room socket. Presence in the room is the kit's presence at
    ``<place_kind>:<id>``: this socket stands there from its acceptance to its close.
    A room's consumer names its ``room`` and route kwarg, reads the room's state for a
    member (``read_state``, in a worker thread; raises when no longer a member) and makes
    the first frame of it (``state_frame``)."""

    room: ChatRoom
    room_kwarg = ""  # the route's id kwarg ("lobby_id")

    def read_state(self) -> Any:
        raise NotImplementedError

    def state_frame(self, state: Any, online_user_ids: list[int]) -> dict:
        raise NotImplementedError

    async def on_connect(self) -> None:
        self.room_id = await self.room_id_of_route()
        self.channel = self.room.channel(self.room_id)
        # In the channel before the check: a kick committed after the check reaches us.
        await self.join_group(self.channel)
        await db.run(self.room.require_member, self.room_id, self.user_id)

    async def room_id_of_route(self) -> int:
        return int(self.scope["url_route"]["kwargs"][self.room_kwarg])

    def presence_places(self) -> tuple[str, ...]:
        return (place(self.room.place_kind, self.room_id),)

    async def on_accepted(self) -> None:
        try:
            # Checks membership again: a kick signalled before the socket was accepted was not delivered.
            state = await db.run(self.read_state)
        except ApplicationError as exc:  # removed (4403) or the room gone (4404) meanwhile
            await self.end(exc.close_code, exc.code, exc.message)
            return
        online = await asyncio.to_thread(presence.present_at, place(self.room.place_kind, self.room_id))
        await self.send_frame(self.state_frame(state, online))

    async def on_signal(self, signal: str, data: dict) -> None:
        if signal != MEMBER_REMOVED or data.get("user_id") != self.user_id:
            return
        code = data.get("code", CLOSE_FORBIDDEN)
        if code != CLOSE_LEFT:  # kicked or banned
            await self.end(code, "not_member", f"You were removed from this {self.room.noun}.")
            return
        await self.close(code=code)
        # Off the hub's delivery loop: it waits for each socket it delivers to.
        self._leaving = asyncio.get_running_loop().create_task(self.leave_presence())

    async def post_chat_message(self, text: str, *, ref=None) -> None:
        """Spend the budget on arrival, then store and broadcast in arrival order."""
        await self.room.achat_budget_spend(user_id=self.user_id)
        self.then_in_order(
            lambda: db.run(
                self.room.message_post, room_id=self.room_id, user=self.user, content=text, budget_spent=True
            ),
            ref=ref,
        )

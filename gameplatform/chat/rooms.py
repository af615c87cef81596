"""Chat rooms: what every members-only room with stored messages shares (lobbies, player groups).

An app describes its kind of room once, as a subclass of ``ChatRoom`` (its message and
membership models, whose ``room_field`` names the room, its member count column, message
length, chat budget, channel and member check), and the pieces here do the rest the same way
for every kind:

- the tables: a room's memberships and messages are concrete subclasses of the abstract
  ``RoomMembership`` and ``RoomMessage`` (``gameplatform.chat.models``, which the apps' models
  import: it imports nothing of the kit);
- the frames: ``chat_message``, ``member_joined`` / ``member_left``, ``role_changed``,
  ``presence_join`` / ``presence_leave``, and the payloads in them (REST answers too);
- posting a message: trimmed, stored only for a member in one statement, and counted
  against the budget: from REST (``ChatRoom.message_post``) the budget is spent first and
  the message broadcast after commit; from a socket (``message_store``, then
  ``amessage_broadcast``) the budget is spent as of the frame's arrival and the message
  broadcast in one Redis round trip, a refused message taken back;
- members (``ChatRoom.membership``, ``member_or_404``, ``heir``): who is in, who takes over;
  a member's arrival (``ChatRoom.member_add``): one seat more, the room hears ``member_joined``;
  a new role (``role_set``): the room hears ``role_changed``; a member's removal
  (``member_remove``): one seat fewer, the room hears ``member_left`` and the member's sockets
  on that room close (1000 for leaving, 4403 for a kick or ban); bans (``banned``,
  ``ban_add``) and kicks (``member_kick``), each heard as ``moderation_ban`` / ``moderation_kick``;
- the REST shapes of those payloads (``RoomUserSerializer``, ``RoomMessageSerializer``,
  ``RoomMemberSerializer``), a moderator's input naming a user (``TargetInput``) and the answer
  of an act on one user (``MemberActionOutput``, ``MemberActionApi``);
- the messages route (``RoomMessagesApi``): a member's page of messages (``ChatRoom.messages``), a message posted;
- presence at the room's place (``<kind>:<id>``: ``ChatRoom.presence_place``,
  ``online_user_ids``) and its announcer (``ChatRoom.announcer``, which the app registers);
- the socket (``ChatRoomConsumer``): membership checked on connect and again on
  acceptance, the room's state first, closing on removal.

The kit knows no app: each app's subclass names its models and member check, its consumer
the room's state frame. The specifics are class attributes and methods (not values passed
in) so that the test that reads the source for error codes (``gameplatform/tests/error_walk.py``)
still follows a REST view through ``ROOM.message_post`` to the app's member check and budget,
and checks that the view declares their codes.
"""

import asyncio
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, models
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.fields import DateTimeField
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from gameplatform.broadcast.realtime import agroup_send_spending, broadcast_on_commit, signal_on_commit
from gameplatform.chat import speech
from gameplatform.chat.models import RoomBan, RoomMembership, RoomMessage
from gameplatform.core.errors import ApplicationError, Conflict, Forbidden, NotFound
from gameplatform.data import db, rawsql
from gameplatform.data.ratelimit import Budget
from gameplatform.http import serializers
from gameplatform.http.openapi import error_codes
from gameplatform.http.pagination import MessageCursorPagination
from gameplatform.sockets import presence
from gameplatform.sockets.consumers import CLOSE_FORBIDDEN, BaseConsumer

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


def moderation(kind: str, target, **extra) -> dict:
    """``moderation_kick`` / ``moderation_ban``: who was removed (a lobby adds the ``reason``)."""
    return {"type": kind, "target_id": target.pk, "target_username": target.username, **extra}


def presence_join(user) -> dict:
    return {"type": "presence_join", "user_id": user.pk, "username": user.username, "is_premium": user.is_premium}


def presence_leave(user_id: int, username: str) -> dict:
    return {"type": "presence_leave", "user_id": user_id, "username": username}


# --- the payloads' REST shapes ----------------------------------------------------------
# (Comments, not docstrings: a serializer's docstring is its description in the API reference.)


# ``user_brief``: a sender, a member.
class RoomUserSerializer(serializers.UserReference):
    is_premium = serializers.BooleanField()


# ``message_payload``.
class RoomMessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    content = serializers.CharField()
    sender = RoomUserSerializer()
    created_at = serializers.DateTimeField()


# ``member_payload``; a room's subclass gives ``role`` its choices (an enum of its own).
class RoomMemberSerializer(serializers.Serializer):
    user = RoomUserSerializer()
    role = serializers.CharField()
    joined_at = serializers.DateTimeField()


# The user a moderator acts on.
class TargetInput(serializers.Serializer):
    user_id = serializers.IntegerField(min_value=1)


# What became of the user a moderator acted on: ``{"status": "kicked", "user_id": 7}``.
class MemberActionOutput(serializers.Serializer):
    status = serializers.CharField()
    user_id = serializers.IntegerField()


# --- messages and removals (services) ------------------------------------------------


def chat_budget(name: str) -> Budget:
    """The chat rule for one budget ``name``: ``CHAT_RATE_LIMIT`` messages per ``CHAT_RATE_WINDOW``
    seconds per user (3 per 2 s by default, the settings read at each message), on every process."""
    return Budget(
        name, limit=3, window=2.0, what="messages", limit_setting="CHAT_RATE_LIMIT", window_setting="CHAT_RATE_WINDOW"
    )


def invalid(field: str, message: str) -> ApplicationError:
    """400 ``invalid`` naming one field, as a serializer would."""
    return ApplicationError(message, code="invalid", extra={"fields": {field: [message]}})


def user_or_404(user_id: int):
    """The user a moderator names (to ban, unban...), or 404 ``user_not_found``."""
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        raise NotFound("No such user.", code="user_not_found")
    return user


def message_clean(content, *, max_length: int) -> str:
    text = content.strip() if isinstance(content, str) else ""
    if not 1 <= len(text) <= max_length:
        raise invalid("content", f"A message has 1 to {max_length} characters (after trimming).")
    return text


class ChatRoom:
    """One kind of chat room; an app subclasses it once and keeps one instance (``ROOM``).

    The room's name is its models' ``room_field`` ("lobby"): the foreign key naming the room on
    both models, the noun in refusals ("You are not a member of this lobby.") and the presence
    place kind (sockets stand at "lobby:<id>")."""

    message_model: type[RoomMessage]
    membership_model: type[RoomMembership]
    ban_model: type[RoomBan]
    count_field: str  # the room's column counting its members ("participant_count")
    message_max_length: int
    budget: Budget  # messages per user, REST and socket alike

    @property
    def room_field(self) -> str:
        return self.message_model.room_field

    @property
    def noun(self) -> str:
        return self.room_field

    @property
    def place_kind(self) -> str:
        return self.room_field

    def channel(self, room_id: int) -> str:
        """The room's channel-layer group (``gameplatform.broadcast.groups``)."""
        raise NotImplementedError

    def require_member(self, room_id: int, user_id: int) -> None:
        """404 for an unknown room, 403 ``not_member`` for everyone but members."""
        raise NotImplementedError

    def membership(self, room_id: int, user_id: int):
        """The user's membership of the room (with its user), or None."""
        memberships = self.membership_model.objects.select_related("user")
        return memberships.filter(**{f"{self.room_field}_id": room_id}, user_id=user_id).first()

    def messages(self, room_id: int, user) -> models.QuerySet:
        """The room's messages (with their senders), for a member only (``require_member``)."""
        self.require_member(room_id, user.pk)
        return self.message_model.objects.filter(**{f"{self.room_field}_id": room_id}).select_related("sender")

    def member_or_404(self, room_id: int, user_id: int):
        """The membership a moderator acts on, or 404 ``not_member``."""
        membership = self.membership(room_id, user_id)
        if membership is None:
            raise NotFound(f"That user is not a member of this {self.noun}.", code="not_member")
        return membership

    def heir(self, room_id: int, *, deputy: str):
        """Who takes over a room its head left: the longest-standing ``deputy``, else the
        longest-standing member; None when nobody is left. Called with the room row locked."""
        remaining = self.membership_model.objects.select_related("user").filter(**{f"{self.room_field}_id": room_id})
        heir = remaining.filter(role=deputy).order_by("joined_at", "id").first()
        return heir or remaining.order_by("joined_at", "id").first()

    def member_add(self, room, user, *, role: str):
        """Seat a member (the room row locked, its capacity checked): one seat more in the room's
        count, then after commit the room hears ``member_joined``."""
        membership = self.membership_model.objects.create(**{self.room_field: room}, user=user, role=role)
        type(room).objects.filter(pk=room.pk).update(**{self.count_field: models.F(self.count_field) + 1})
        setattr(room, self.count_field, getattr(room, self.count_field) + 1)
        broadcast_on_commit(self.channel(room.pk), member_joined(membership))
        return membership

    def role_set(self, room_id: int, membership, role: str) -> None:
        """A member's new role; after commit the room hears ``role_changed``."""
        membership.role = role
        membership.save(update_fields=["role"])
        broadcast_on_commit(self.channel(room_id), role_changed(membership.user, role))

    def banned(self, room_id: int, user_id: int) -> bool:
        return self.ban_model.objects.filter(**{f"{self.room_field}_id": room_id}, user_id=user_id).exists()

    def member_kick(self, room, membership, **frame) -> None:
        """A moderator removes a member (the room row locked, the moderator's right checked): the room hears
        ``moderation_kick`` (with ``frame``'s fields), then the removal (4403)."""
        broadcast_on_commit(self.channel(room.pk), moderation("moderation_kick", membership.user, **frame))
        self.member_remove(room, membership, close_code=CLOSE_REMOVED)

    def ban_add(self, room, user, *, by, membership=None, frame: dict | None = None, **fields):
        """A moderator bans ``user`` (the room row locked, the moderator's right checked), 409
        ``already_banned`` again: the room hears ``moderation_ban`` (with ``frame``'s fields) and
        a member (``membership``) is removed (4403). ``fields``: the ban row's own (a reason)."""
        if self.banned(room.pk, user.pk):
            raise Conflict("That user is already banned.", code="already_banned")
        ban = self.ban_model.objects.create(**{self.room_field: room}, user=user, banned_by=by, **fields)
        broadcast_on_commit(self.channel(room.pk), moderation("moderation_ban", user, **(frame or {})))
        if membership is not None:
            self.member_remove(room, membership, close_code=CLOSE_REMOVED)
        return ban

    def member_remove(self, room, membership, *, close_code: int) -> None:
        """Remove a member (the room row locked): one seat fewer in the room's count, then after
        commit ``member_left`` and the member's sockets on the room closed with ``close_code``."""
        membership.delete()
        type(room).objects.filter(pk=room.pk).update(**{self.count_field: models.F(self.count_field) - 1})
        setattr(room, self.count_field, getattr(room, self.count_field) - 1)
        self.member_removed_on_commit(room_id=room.pk, membership=membership, close_code=close_code)

    def message_post(self, *, room_id: int, user, content: str):
        """Store a member's message and broadcast it after commit: REST's way (a socket's is
        ``message_store``, then ``amessage_broadcast``).

        Checks run cheapest-first and nothing is spent on a refused message: an
        invalid text or a non-member does not use up the rate-limit budget.
        """
        message = self._store(room_id=room_id, user=user, content=content, spend=True)
        broadcast_on_commit(self.channel(room_id), chat_message(message))
        return message

    def message_store(self, *, room_id: int, user, content: str):
        """A socket's message, checked and stored for a member, not yet broadcast: the socket
        then spends the budget and broadcasts it in one Redis round trip (``amessage_broadcast``),
        and takes it back (``message_unstore``) when the budget refuses it."""
        return self._store(room_id=room_id, user=user, content=content, spend=False)

    def message_unstore(self, *, message_id: int) -> None:
        """A socket's stored message that the budget refused (or whose broadcast failed) is
        deleted: nobody heard of it, and its sender is told it was refused."""
        self.message_model.objects.filter(pk=message_id).delete()

    async def amessage_broadcast(self, message, *, age: float) -> None:
        """Spend one message of the sender's budget, counted as of ``age`` seconds ago (when the
        frame arrived), and when it fits broadcast ``message`` to the room: one Redis round trip
        (``agroup_send_spending``). ``RateLimited`` otherwise, nothing sent."""
        room_id = getattr(message, f"{self.room_field}_id")
        await agroup_send_spending(
            self.channel(room_id), chat_message(message), self.budget, int(message.sender_id), age=age
        )

    def _store(self, *, room_id: int, user, content: str, spend: bool):
        text = speech.said(
            user.pk,
            message_clean(content, max_length=self.message_max_length),
            where={f"{self.place_kind}_id": room_id},
        )
        if spend:
            self.require_member(room_id, user.pk)
            self.budget.spend(user.pk)
        message = self._message_insert_if_member(room_id=room_id, user=user, text=text)
        if message is None:  # not (or no longer) a member: say why
            self.require_member(room_id, user.pk)
            raise Forbidden(f"You are not a member of this {self.noun}.", code="not_member")
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

    def presence_place(self, room_id: int) -> str:
        """Where the room's sockets stand in the kit's presence: ``<place_kind>:<id>``."""
        return place(self.place_kind, room_id)

    def online_user_ids(self, room_id: int) -> list[int]:
        """Who has a socket open on the room, on any process."""
        return presence.present_at(self.presence_place(room_id))

    def announcer(self) -> presence.Announcer:
        """What the app registers for its place kind (``presence.announcers``): the room hears
        ``presence_join`` / ``presence_leave`` once per real change."""
        return presence_announcer(self.channel)

    def member_removed_on_commit(self, *, room_id: int, membership, close_code: int) -> None:
        """After commit, the room hears ``member_left`` and the member's sockets on it close with ``close_code``."""
        channel = self.channel(room_id)
        broadcast_on_commit(channel, member_left(membership.user_id, membership.user.username))
        signal_on_commit(channel, MEMBER_REMOVED, user_id=membership.user_id, code=close_code)


# --- the routes ------------------------------------------------------------------------


# A list route whose rows are written by ``payload`` (the function the frames use too, so REST
# and the socket say the same); ``serializer_class`` then only describes them in the schema.
class PayloadListApi(ListAPIView):
    def payload(self, row) -> dict:
        raise NotImplementedError

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([self.payload(row) for row in page])


# ``GET``/``POST`` a room's messages: a member reads them a page at a time (newest first, by
# cursor) and posts one, answered as the socket's ``chat_message`` carries it. A subclass names
# its ``room``, route kwarg, ``InputSerializer`` and the code of its room's 404 (``not_found``);
# the schema and error codes of both operations are made from them, on the subclass's own copy of
# each handler (drf-spectacular's ``extend_schema_view``), and tagged by the route's first segment
# (drf-spectacular's default: ``lobbies``, ``groups``). (No docstrings: a view's docstring is its
# operations' description in the API reference, a handler's their summary.)
class RoomMessagesApi(PayloadListApi):
    serializer_class = RoomMessageSerializer
    pagination_class = MessageCursorPagination
    room: ChatRoom
    room_kwarg = ""  # the route's id kwarg ("lobby_id")
    not_found = ""  # "lobby_not_found"
    InputSerializer: type[serializers.Serializer]

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        extend_schema_view(
            get=[
                extend_schema(responses={200: RoomMessageSerializer(many=True)}),
                error_codes({403: ("not_member",), 404: (cls.not_found,)}),
            ],
            post=[
                extend_schema(request=cls.InputSerializer, responses={201: RoomMessageSerializer}),
                error_codes(
                    {
                        403: ("age_required", "chat_restricted", "muted", "not_member"),
                        404: (cls.not_found,),
                        429: ("rate_limited",),
                    }
                ),
            ],
        )(cls)

    def room_id(self) -> int:
        return int(self.kwargs[self.room_kwarg])

    def get_queryset(self):
        return self.room.messages(self.room_id(), self.request.user)

    def payload(self, row) -> dict:
        return message_payload(row)

    def post(self, request, *args, **kwargs) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        content = data.validated_data["content"]
        message = self.room.message_post(room_id=self.room_id(), user=request.user, content=content)
        return Response(message_payload(message), status=status.HTTP_201_CREATED)


# ``POST`` a moderator's act on one user. Kick, ban, unban...: answered ``MemberActionOutput``,
# ``done`` saying what became of them. A new role (no ``done``): answered with the member as the
# act left them (``member_payload``, described by the app's ``member`` serializer, with its roles'
# enum). A subclass names its ``input`` serializer (one with ``user_id``), ``done``, the service it
# calls (``act = staticmethod(services.lobby_kick)``: called with the route's room id by name,
# ``actor`` and the input's fields) and the ``error_codes`` it answers (``{status: codes}``, as
# ``@error_codes`` takes them); the operation's schema is made from them as ``RoomMessagesApi``'s
# is. A subclass that needs a description gives it with ``@extend_schema`` on the class.
class MemberActionApi(APIView):
    input = TargetInput
    done = ""  # "kicked"
    member = RoomMemberSerializer
    act: Callable[..., Any]
    error_codes: dict[int, tuple[str, ...]]

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        answer = MemberActionOutput if cls.done else cls.member
        extend_schema_view(
            post=[extend_schema(request=cls.input, responses={200: answer}), error_codes(cls.error_codes)]
        )(cls)

    def post(self, request, **route) -> Response:
        data = self.input(data=request.data)
        data.is_valid(raise_exception=True)
        membership = self.act(**route, actor=request.user, **data.validated_data)
        if not self.done:
            return Response(member_payload(membership))
        return Response({"status": self.done, "user_id": data.validated_data["user_id"]})


# --- presence ------------------------------------------------------------------------


def place(kind: str, room_id: int) -> str:
    return f"{kind}:{int(room_id)}"


def presence_announcer(channel: Callable[[int], str]) -> presence.Announcer:
    """The announcer of one place kind (``ChatRoom.announcer``): each room hears who came or
    went (one query for the names of everyone in the batch)."""

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
        self._chat_sent: deque[float] = deque()  # arrivals of this socket's messages in the budget's window
        self.room_id = await self.room_id_of_route()
        self.channel = self.room.channel(self.room_id)
        # In the channel before the check: a kick committed after the check reaches us.
        await self.join_group(self.channel)
        await db.run(self.room.require_member, self.room_id, self.user_id)

    async def room_id_of_route(self) -> int:
        return int(self.scope["url_route"]["kwargs"][self.room_kwarg])

    def presence_places(self) -> tuple[str, ...]:
        return (self.room.presence_place(self.room_id),)

    async def on_accepted(self) -> None:
        try:
            # Checks membership again: a kick signalled before the socket was accepted was not delivered.
            state = await db.run(self.read_state)
        except ApplicationError as exc:  # removed (4403) or the room gone (4404) meanwhile
            await self.end(exc.close_code, exc.code, exc.message)
            return
        online = await asyncio.to_thread(self.room.online_user_ids, self.room_id)
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
        """Store, then spend the budget and broadcast in one Redis round trip, in arrival order.

        The budget counts the message as of its arrival, so a sender who keeps to the limit is
        never refused because its frames waited behind others' work. A message this socket's own
        recent ones already leave no room for is refused at once, with no I/O; one the shared
        budget refuses (the user's other sockets, REST, world chat spent it) is taken back."""
        arrived = time.monotonic()
        self._chat_admit(arrived)
        self.then_in_order(lambda: self._chat_post(text, arrived), ref=ref)

    def _chat_admit(self, now: float) -> None:
        budget, sent = self.room.budget, self._chat_sent
        window = budget.window
        while sent and sent[0] <= now - window:
            sent.popleft()
        if len(sent) >= budget.limit:
            raise budget.refusal(sent[0] + window - now)
        sent.append(now)  # at most ``limit`` arrivals: allowed, or waiting for their turn

    async def _chat_post(self, text: str, arrived: float) -> None:
        try:
            message = await db.run(self.room.message_store, room_id=self.room_id, user=self.user, content=text)
        except BaseException:
            self._chat_forget(arrived)
            raise
        try:
            await self.room.amessage_broadcast(message, age=time.monotonic() - arrived)
        except Exception:  # refused or unsent: taken back, and the sender told why
            self._chat_forget(arrived)
            await db.run_always(self.room.message_unstore, message_id=message.pk)
            raise

    def _chat_forget(self, arrived: float) -> None:
        if arrived in self._chat_sent:
            self._chat_sent.remove(arrived)

"""The evidence a report keeps: what the context held when it was filed, and the target's past.

Taken by the server at filing time, never sent by the reporter, and kept in the report, so a
message deleted later (or a game whose room has gone) still shows. Bounded: the context's last
``MESSAGES`` messages, a game's last ``INPUTS`` inputs (a finished game's from its replay, a
running game's from its room as the room store holds it now: ``game.replays.game_log``), the
target's last ``HISTORY`` reports and sanctions.

Only from a context the reporter was in (``context_require_reporter_in``: 403 ``not_in_context``),
so a report cannot copy a private lobby's or a closed group's chat into the queue. A lobby's
messages deleted before the report (by their author or a moderator) are among its messages for
``APPEAL_DAYS`` after their deletion, marked ``deleted`` (the lobby's moderation log keeps them:
``chat.lobbies.selectors.lobby_deleted_messages``); players never see them again.
"""

from datetime import timedelta

from django.utils import timezone

from accounts.models import User
from chat.dms.selectors import dm_thread_exists
from chat.lobbies.selectors import lobby_deleted_messages, lobby_was_member
from chat.models import DirectMessage, Lobby, LobbyMessage
from game.models import Game
from game.replays import PLAYER_OPS, game_log
from game.selectors import game_was_player
from gameplatform.chat.rooms import timestamp
from gameplatform.core.errors import ApplicationError, Forbidden
from groups.models import Group, GroupMessage
from groups.selectors import group_was_member
from safety.models import Report, Sanction
from safety.sanctions import APPEAL_DAYS

MESSAGES = 50
INPUTS = 500
STEPS_READ = 4 * INPUTS  # a game's newest steps read for its inputs (the platform's own steps among them)
HISTORY = 10
CONTEXT_KINDS = ("lobby_id", "game_id", "group_id", "dm_user_id")
_CONTEXT_MODELS = {"lobby_id": Lobby, "group_id": Group, "game_id": Game}


def _invalid(message: str) -> ApplicationError:
    return ApplicationError(message, code="invalid", extra={"fields": {"context": [message]}})


def context_clean(context) -> dict:
    """``{}`` or one of ``{lobby_id}``, ``{game_id}``, ``{group_id}``, ``{dm_user_id}`` with an integer id."""
    if context in (None, {}):
        return {}
    if not isinstance(context, dict) or len(context) != 1:
        raise _invalid(f"One of {', '.join('{' + k + '}' for k in CONTEXT_KINDS)}, or none.")
    ((kind, value),) = context.items()
    if kind not in CONTEXT_KINDS or isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _invalid(f"One of {', '.join('{' + k + '}' for k in CONTEXT_KINDS)} with a positive integer id.")
    return {kind: value}


def context_require_reporter_in(*, reporter_id: int | None, context: dict) -> None:
    """403 ``not_in_context`` unless the reporter was in the (cleaned) context: a member of the
    lobby or group now or before, a player of the game, one side of a conversation with the user
    named. The platform's own flag (``reporter_id`` None) is in every context."""
    if reporter_id is None or not context:
        return
    ((kind, value),) = context.items()
    was_in = {
        "lobby_id": lambda: lobby_was_member(lobby_id=value, user_id=reporter_id),
        "group_id": lambda: group_was_member(group_id=value, user_id=reporter_id),
        "game_id": lambda: game_was_player(game_id=value, user_id=reporter_id),
        "dm_user_id": lambda: dm_thread_exists(user_id=reporter_id, peer_id=value),
    }[kind]
    if was_in():
        return
    if kind != "dm_user_id" and not _CONTEXT_MODELS[kind].objects.filter(pk=value).exists():
        raise _invalid(f"No such {kind.removesuffix('_id')}.")  # a context that names nothing: 400, as before
    raise Forbidden(
        "Report from a lobby or group you were in, a game you played or a conversation you had.",
        code="not_in_context",
    )


def _messages(rows) -> list[dict]:
    return [
        {
            "id": m.pk,
            "sender_id": m.sender_id,
            "sender": m.sender.username,
            "content": m.content,
            "created_at": timestamp(m.created_at),
        }
        for m in reversed(rows)
    ]


def _room(room_model, message_model, room_id: int) -> dict:
    """A lobby's or a group's name and its last messages."""
    kind = message_model.room_field
    room = room_model.objects.filter(pk=room_id).first()
    if room is None:
        raise _invalid(f"No such {kind}.")
    messages = message_model.objects.filter(**{f"{kind}_id": room_id}).select_related("sender")
    return {kind: {"id": room.pk, "name": room.name}, "messages": _messages(list(messages.order_by("-id")[:MESSAGES]))}


def _deleted(lobby_id: int) -> list[dict]:
    """The lobby's messages deleted within the appeal window, as evidence rows marked ``deleted``."""
    since = timezone.now() - timedelta(days=APPEAL_DAYS)
    rows = lobby_deleted_messages(lobby_id=lobby_id, since=since, most=MESSAGES)
    names = dict(User.objects.filter(pk__in={r["sender_id"] for r in rows}).values_list("pk", "username"))
    return [
        {
            "id": r["id"],
            "sender_id": r["sender_id"],
            "sender": names.get(r["sender_id"]),
            "content": r["content"],
            "created_at": r["created_at"],
            "deleted": {"at": timestamp(r["deleted_at"]), "by_author": r["deleted_by_author"]},
        }
        for r in rows
    ]


def _lobby(lobby_id: int) -> dict:
    """A lobby's name and its last messages, those deleted within the appeal window among them."""
    taken = _room(Lobby, LobbyMessage, lobby_id)
    merged = sorted(taken["messages"] + _deleted(lobby_id), key=lambda m: m["id"] or 0)
    return {**taken, "messages": merged[-MESSAGES:]}


def _dm(reporter_id: int | None, peer_id: int) -> dict:
    between = DirectMessage.objects.filter(sender_id=reporter_id, recipient_id=peer_id) | DirectMessage.objects.filter(
        sender_id=peer_id, recipient_id=reporter_id
    )
    rows = list(between.select_related("sender").order_by("-id")[:MESSAGES])
    return {"dm": {"between": [reporter_id, peer_id]}, "messages": _messages(rows)}


def _game(game_id: int) -> dict:
    game = Game.objects.filter(pk=game_id).first()
    if game is None:
        raise _invalid("No such game.")
    seats = game.players.select_related("user").order_by("seat")
    steps = game_log(game_id=game_id, most=STEPS_READ)
    inputs = [step for step in steps if len(step) > 2 and step[2] in PLAYER_OPS]
    return {
        "game": {"id": game.pk, "mode": game.mode, "state": game.state, "moves": game.move_count},
        "players": [{"user_id": s.user_id, "username": s.user.username, "seat": s.seat} for s in seats],
        "inputs": inputs[-INPUTS:],
    }


def _history(user_id: int) -> dict:
    reports = Report.objects.filter(user_id=user_id).order_by("-id")[:HISTORY]
    sanctions = Sanction.objects.filter(user_id=user_id).order_by("-id")[:HISTORY]
    return {
        "reports": [
            {"id": r.pk, "reason": r.reason, "status": r.status, "created_at": timestamp(r.created_at)} for r in reports
        ],
        "sanctions": [
            {
                "id": s.pk,
                "action": s.action,
                "starts_at": timestamp(s.starts_at),
                "ends_at": timestamp(s.ends_at),
                "lifted": s.lifted_at is not None,
            }
            for s in sanctions
        ],
    }


def evidence_take(*, reporter_id: int | None, user_id: int, context: dict) -> dict:
    """The evidence of a report about ``user_id`` in ``context`` (cleaned), as it is now."""
    taken: dict = {}
    if "lobby_id" in context:
        taken = _lobby(context["lobby_id"])
    elif "group_id" in context:
        taken = _room(Group, GroupMessage, context["group_id"])
    elif "dm_user_id" in context:  # the reporter's conversation; the platform's flag: the reported player's
        taken = _dm(reporter_id if reporter_id is not None else user_id, context["dm_user_id"])
    elif "game_id" in context:
        taken = _game(context["game_id"])
    return {**taken, "history": _history(user_id)}

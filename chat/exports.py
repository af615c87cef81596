"""This app's part of the player's data export (``accounts.exports``)."""

from accounts.exports import ExportPart, rows
from chat.models import DirectMessage, Lobby, LobbyBan, LobbyEvent, LobbyMessage, Membership


def messages_part(user) -> dict:
    """The messages the player wrote (what others wrote to them is the others' data)."""
    return {
        "lobby_messages": rows(LobbyMessage.objects.filter(sender=user)),
        "direct_messages": rows(DirectMessage.objects.filter(sender=user)),
    }


def lobbies_part(user) -> dict:
    return {
        "owned": rows(Lobby.objects.filter(owner=user)),
        "memberships": rows(Membership.objects.filter(user=user)),
        "bans": rows(LobbyBan.objects.filter(user=user), leave_out=("banned_by_id",)),
        "events": rows(LobbyEvent.objects.filter(actor=user) | LobbyEvent.objects.filter(target=user)),
    }


PARTS = {
    "messages": ExportPart(
        messages_part,
        covers=(
            "chat.LobbyMessage.sender",
            "chat.DirectMessage.sender",
            # Received direct messages are their senders' words (exported to them).
            "chat.DirectMessage.recipient",
        ),
    ),
    "lobbies": ExportPart(
        lobbies_part,
        covers=(
            "chat.Lobby.owner",
            "chat.Membership.user",
            "chat.LobbyBan.user",
            "chat.LobbyBan.banned_by",
            "chat.LobbyEvent.actor",
            "chat.LobbyEvent.target",
        ),
    ),
}

"""This app's part of the player's data export (``accounts.exports``)."""

from accounts.exports import ExportPart, rows
from matchmaking.models import Invite, QueueEntry


def matchmaking_part(user) -> dict:
    return {
        "queue": rows(QueueEntry.objects.filter(user=user)),
        "invites_sent": rows(Invite.objects.filter(from_user=user)),
        "invites_received": rows(Invite.objects.filter(to_user=user)),
    }


PARTS = {
    "matchmaking": ExportPart(
        matchmaking_part,
        covers=("matchmaking.QueueEntry.user", "matchmaking.Invite.from_user", "matchmaking.Invite.to_user"),
    )
}

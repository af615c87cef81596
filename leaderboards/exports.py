"""This app's part of the player's data export (``accounts.exports``)."""

from accounts.exports import ExportPart, rows
from leaderboards.models import Entry, Payout, Record


def leaderboards_part(user) -> dict:
    return {
        "records": rows(Record.objects.filter(user=user)),
        "entries": rows(Entry.objects.filter(user=user)),
        "payouts": rows(Payout.objects.filter(user=user)),
    }


PARTS = {
    "leaderboards": ExportPart(
        leaderboards_part, covers=("leaderboards.Record.user", "leaderboards.Entry.user", "leaderboards.Payout.user")
    )
}

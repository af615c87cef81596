"""This app's part of the player's data export (``accounts.exports``)."""

from accounts.exports import ExportPart, rows
from wordfilter.models import FilterWord


def filter_words_part(user) -> list[dict]:
    """The filter words a staff member added (empty for players)."""
    return rows(FilterWord.objects.filter(created_by=user))


PARTS = {"filter_words": ExportPart(filter_words_part, covers=("wordfilter.FilterWord.created_by",))}

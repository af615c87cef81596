"""This app's part of the player's data export (``accounts.exports``)."""

from accounts.exports import ExportPart, rows
from identities.models import Identity


def identities_part(user) -> list[dict]:
    return rows(Identity.objects.filter(user=user))


PARTS = {"identities": ExportPart(identities_part, covers=("identities.Identity.user",))}

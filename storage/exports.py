"""This app's part of the player's data export (``accounts.exports``)."""

from accounts.exports import ExportPart, rows
from storage.models import StorageObject


def storage_part(user) -> list[dict]:
    return rows(StorageObject.objects.filter(user=user))


PARTS = {"storage": ExportPart(storage_part, covers=("storage.StorageObject.user",))}

"""This app's part of the player's data export (``accounts.exports``)."""

from accounts.exports import ExportPart, rows
from world.models import Character


def world_part(user) -> dict:
    return {"characters": rows(Character.objects.filter(user=user))}


PARTS = {"world": ExportPart(world_part, covers=("world.Character.user",))}

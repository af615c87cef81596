"""This app's part of the player's data export (``accounts.exports``)."""

from django.db.models import Q

from accounts.exports import ExportPart, rows
from game.models import Game, GamePlayer, Rating


def games_part(user) -> dict:
    return {
        "games": rows(Game.objects.filter(Q(players__user=user) | Q(winner=user) | Q(turn=user)).distinct()),
        "seats": rows(GamePlayer.objects.filter(user=user)),
        "ratings": rows(Rating.objects.filter(user=user)),
    }


PARTS = {
    "games": ExportPart(
        games_part, covers=("game.GamePlayer.user", "game.Rating.user", "game.Game.winner", "game.Game.turn")
    )
}

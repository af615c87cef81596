"""What the game app lets higher apps react to, without knowing them.

Apps above the game (the matchmaking queue, lobbies) register their reactions in
their ``AppConfig.ready``; the game calls them inside the transaction that made the
change, so a reaction commits or rolls back with it.

- ``on_game_created(user_ids)``: these players got a game (whoever made it), e.g. the
  queue drops their entries so nobody is matched into a second game.
- ``on_lobby_game_over(lobby_id)``: the game a lobby started is over, e.g. the lobby
  opens again.
"""

from collections.abc import Callable

GameCreated = Callable[[list[int]], None]
LobbyGameOver = Callable[[int], None]

_game_created: list[GameCreated] = []
_lobby_game_over: list[LobbyGameOver] = []


def on_game_created(reaction: GameCreated) -> None:
    if reaction not in _game_created:
        _game_created.append(reaction)


def on_lobby_game_over(reaction: LobbyGameOver) -> None:
    if reaction not in _lobby_game_over:
        _lobby_game_over.append(reaction)


def game_created(user_ids: list[int]) -> None:
    for reaction in _game_created:
        reaction(user_ids)


def lobby_game_over(lobby_id: int) -> None:
    for reaction in _lobby_game_over:
        reaction(lobby_id)

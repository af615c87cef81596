"""What the game app lets higher apps react to, without knowing them (``gameplatform.hooks``).

Apps above the game (the matchmaking queue, lobbies) register their reactions in
their ``AppConfig.ready``; the game calls them inside the transaction that made the
change, so a reaction commits or rolls back with it.

- ``game_created(user_ids)``: these players got a game (whoever made it), e.g. the
  queue drops their entries so nobody is matched into a second game.
- ``lobby_game_over(lobby_id)``: the game a lobby started is over, e.g. the lobby
  opens again.
"""

from gameplatform.hooks import Hook

game_created: Hook[[list[int]]] = Hook("game_created")
lobby_game_over: Hook[[int]] = Hook("lobby_game_over")

on_game_created = game_created.register
on_lobby_game_over = lobby_game_over.register

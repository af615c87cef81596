"""What the game app lets higher apps react to, without knowing them (``gameplatform.core.hooks``).

Apps above the game (the matchmaking queue, lobbies) register their reactions in
their ``AppConfig.ready``; the game calls them inside the transaction that made the
change, so a reaction commits or rolls back with it.

- ``game_created(user_ids)``: these players got a game (whoever made it), e.g. the
  queue drops their entries so nobody is matched into a second game.
- ``lobby_game_over(lobby_id)``: the game a lobby started is over, e.g. the lobby
  opens again.
- ``game_result_recorded(game_id=, mode=, winner=, scores=, user_ids=, flags=)``: a game ended
  with a result (not abandoned): ``scores`` by player id as the mode reported them,
  ``user_ids`` the seated players, ``flags`` the flags the game fixed when its room was made
  (``Game.flags``), e.g. leaderboards write the mode's board (the XP is the game's own step:
  ``game.rewards``).
- ``game_called_off(game_id=, mode=, stayed=)``: a game's room ended it ``abandoned`` before
  it started (a player never came, or left) while others were still in it: ``stayed``, as
  ``(user id, queued_at)`` pairs (``queued_at``: when a queue match's player began to wait,
  else None), e.g. the queue takes its players back at the front.
- ``players_rewarded(rewards)``: the players of a result batch got the XP of their games, once
  for the batch: ``rewards`` a list of ``{game_id, mode, user_id, outcome, xp}`` (``outcome``:
  ``win`` / ``draw`` / ``loss``; ``xp`` after the multiplier, 0 when it gave none), each game and
  player once, e.g. liveops records the goal events ``game_finished`` that experiments are read by
  (one statement for the batch).
"""

from gameplatform.core.hooks import Hook

game_created: Hook[[list[int]], None] = Hook("game_created")
lobby_game_over: Hook[[int], None] = Hook("lobby_game_over")
game_result_recorded: Hook[..., None] = Hook("game_result_recorded")
game_called_off: Hook[..., None] = Hook("game_called_off")
players_rewarded: Hook[[list[dict]], None] = Hook("players_rewarded")

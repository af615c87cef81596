"""A game's phases (the contract's ``state`` of a game), and the id its spectators' frames go to."""

WAITING_FOR_PLAYERS = "waiting_for_players"
WAITING_FOR_READY = "waiting_for_ready"
ACTIVE = "active"
FINISHED = "finished"
ABANDONED = "abandoned"
ABORTED = "aborted"  # the reason of a game whose mode kept failing (its phase is ``abandoned``)
OVER = frozenset({FINISHED, ABANDONED})
# The recipient id of the frames for the game's spectators (``Room.watched``): their ``game_state``
# and patches of ``Mode.spectator_view``. Frames for everyone (id 0) reach them too.
SPECTATORS = -1

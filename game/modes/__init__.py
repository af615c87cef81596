"""Game modes: the built-in ones are in ``builtin`` (each written on ``gameplatform.modes``);
the modes a server runs are the setting ``GAME_MODES`` (``game.registry``)."""

"""A hook: how a lower app lets higher apps react to something, without knowing them.

The lower app names the hook and calls it where the thing happens; higher apps
register their reactions in their ``AppConfig.ready``::

    game_created: Hook[[list[int]]] = Hook("game_created")   # in game/hooks.py
    game_created.register(lambda user_ids: ...)               # in MatchmakingConfig.ready
    game_created(user_ids)                                    # in game/services.py

Reactions run in registration order, in the caller's thread and transaction, so
they commit or roll back with the change; an exception in one propagates to the
caller (the change is undone), as a plain function call would.
"""

from collections.abc import Callable
from typing import Generic, ParamSpec

P = ParamSpec("P")


class Hook(Generic[P]):
    def __init__(self, name: str) -> None:
        self.name = name
        self.reactions: list[Callable[P, None]] = []

    def register(self, reaction: Callable[P, None]) -> None:
        if reaction not in self.reactions:
            self.reactions.append(reaction)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> None:
        for reaction in self.reactions:
            reaction(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<Hook {self.name}: {len(self.reactions)} reaction(s)>"

"""Hooks: the project's one way for a lower app to let higher apps react or answer, unknown to it.

The lower app names the hook and calls it where the thing happens; higher apps register their
functions in their ``AppConfig.ready``, once at start-up. No Django signal carries a rule of the
platform (docs/concepts.md).

``Hook``: reactions, run in registration order by calling the hook::

    game_created: Hook[[list[int]], None] = Hook("game_created")   # in game/hooks.py
    game_created.register(lambda user_ids: ...)                     # in MatchmakingConfig.ready
    game_created(user_ids)                                          # in game/services.py

A hook with one provider (the kit's user lookups, which accounts registers) is called through
``hook.one()``: its single function, or ``ImproperlyConfigured`` naming the hook when no app (or
more than one) registered.

``KeyedHook``: one function per key (a presence kind, an invite kind, an entry of the badge),
registered by the app that owns the key::

    badge_count: KeyedHook[..., int] = KeyedHook("badge_count")    # in notifications/hooks.py
    badge_count.register("unread_dms", unread_dm_count)             # in ChatConfig.ready
    badge_count.answers(user_id=7)        # {"unread_dms": 2, ...}: every function's answer by key
    badge_count.get("unread_dms")         # that key's function, None when nobody registered it

A second, different function for a key is a mistake and raises ``ImproperlyConfigured``.

Functions run in the caller's thread and transaction, so what they write commits or rolls back
with the change; an exception in one propagates to the caller (the change is undone), as a plain
function call would. Registering the same function again adds nothing. Calling a hook or
``get`` allocates nothing (``get`` is one dictionary lookup): hooks sit on hot paths (presence
announcers run on every presence change).
"""

from collections.abc import Callable
from typing import Generic, ParamSpec, TypeVar

from django.core.exceptions import ImproperlyConfigured

P = ParamSpec("P")
R = TypeVar("R")


class Hook(Generic[P, R]):
    def __init__(self, name: str) -> None:
        self.name = name
        self.reactions: list[Callable[P, R]] = []

    def register(self, reaction: Callable[P, R]) -> None:
        if reaction not in self.reactions:
            self.reactions.append(reaction)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> None:
        for reaction in self.reactions:
            reaction(*args, **kwargs)

    def one(self) -> Callable[P, R]:
        """The function of a hook with exactly one provider."""
        if len(self.reactions) != 1:
            raise ImproperlyConfigured(
                f"Hook {self.name!r} needs exactly one registered function, it has {len(self.reactions)}."
            )
        return self.reactions[0]

    def __repr__(self) -> str:
        return f"<Hook {self.name}: {len(self.reactions)} reaction(s)>"


class KeyedHook(Generic[P, R]):
    def __init__(self, name: str) -> None:
        self.name = name
        self.functions: dict[str, Callable[P, R]] = {}

    def register(self, key: str, function: Callable[P, R]) -> None:
        held = self.functions.get(key)
        if held is not None and held != function:
            raise ImproperlyConfigured(f"Hook {self.name!r} already has a function for {key!r}: {held!r}.")
        self.functions[key] = function

    def get(self, key: str) -> Callable[P, R] | None:
        return self.functions.get(key)

    def answers(self, *args: P.args, **kwargs: P.kwargs) -> dict[str, R]:
        return {key: function(*args, **kwargs) for key, function in self.functions.items()}

    def __repr__(self) -> str:
        return f"<KeyedHook {self.name}: {sorted(self.functions)}>"

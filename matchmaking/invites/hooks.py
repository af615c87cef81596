"""Invite kinds that higher apps add to the invites lifecycle, without matchmaking knowing them.

The ``game`` and ``lobby`` kinds are matchmaking's own. Another kind (the world's ``party``) is
registered by its app in ``AppConfig.ready``::

    invite_kinds.register("party", InviteKind(check=..., accept=...))   # in WorldConfig.ready

- ``check(sender, target_id)`` runs when an invite of that kind is created: it raises an
  ``ApplicationError`` when the sender may not invite to that target.
- ``accept(invite) -> dict`` runs inside the accepting transaction (after the invite row was
  claimed): it applies the invite (e.g. joins the party) and returns the extra fields of the
  ``invite_accepted`` event; an exception undoes the accept, the invite stays pending.
- ``needs_friendship``: whether sender and receiver must be friends (a block always refuses).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class InviteKind:
    check: Callable[[Any, int], None]
    accept: Callable[[Any], dict]
    needs_friendship: bool = False


class InviteKinds:
    def __init__(self) -> None:
        self.kinds: dict[str, InviteKind] = {}

    def register(self, name: str, kind: InviteKind) -> None:
        self.kinds[name] = kind

    def get(self, name: str) -> InviteKind | None:
        return self.kinds.get(name)

    def __repr__(self) -> str:
        return f"<InviteKinds {sorted(self.kinds)}>"


invite_kinds = InviteKinds()

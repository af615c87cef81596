"""Invite kinds that higher apps add to the invites lifecycle, without matchmaking knowing them
(``gameplatform.core.hooks``).

The ``game`` and ``lobby`` kinds are matchmaking's own. Another kind (the world's ``party``) is
registered by its app in ``AppConfig.ready``, on both hooks under the kind's name::

    invite_kind_check.register("party", party_invite_check)     # in WorldConfig.ready
    invite_kind_accept.register("party", party_invite_accept)

- ``invite_kind_check``: ``check(sender, target_id)`` runs when an invite of that kind is created:
  it raises an ``ApplicationError`` when the sender may not invite to that target.
- ``invite_kind_accept``: ``accept(invite) -> dict`` runs inside the accepting transaction (after
  the invite row was claimed): it applies the invite (e.g. joins the party) and returns the extra
  fields of the ``invite_accepted`` event; an exception undoes the accept, the invite stays pending.

A registered kind needs no friendship between sender and receiver; a block always refuses.
"""

from typing import Any

from gameplatform.core.hooks import KeyedHook

invite_kind_check: KeyedHook[[Any, int], None] = KeyedHook("invite_kind_check")
invite_kind_accept: KeyedHook[[Any], dict] = KeyedHook("invite_kind_accept")

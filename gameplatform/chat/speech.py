"""Speech: what every text other players see passes, whatever way it takes.

Every chat way (lobbies, groups, direct messages, the world's global, faction and party chat
and whispers, battle chat) hands a message's text to ``said`` (or ``asaid`` on the event loop)
once it is valid and before it is stored or sent; every name other players see (usernames,
display names, lobby and group names) goes through ``name_checked``. The rules themselves are
a higher app's (``safety``: mutes and the word filter), registered on the hooks below in its
``AppConfig.ready``; the kit knows no app. Without a provider a text passes as it is.

- ``said(user_id, text)``: a ``speaker_refusal`` provider's refusal (403 ``chat_restricted``,
  ``age_required``), ``Muted`` (403 ``muted``, with ``until``) while the user is muted,
  else the text with every filtered word masked by ``*``;
- ``name_checked(text)``: ``TextRefused`` (400 ``text_refused``) for a name with a filtered word.

The providers answer from a per-process cache (a mute or a list change reaches every process
within a second), so a message costs no database read here.
"""

import logging
from collections.abc import Callable
from datetime import datetime

from gameplatform.core.errors import ApplicationError, Forbidden
from gameplatform.core.hooks import Hook
from gameplatform.data import db

logger = logging.getLogger(__name__)

# Why the user may not speak at all (an Exception to raise, None: they may), asked before the mute:
# any number of providers (accounts: an under-13 account without a parent's consent).
speaker_refusal: Hook[[int], Exception | None] = Hook("speaker_refusal")
# When the user's mute ends (None: not muted): one provider.
muted_until: Hook[[int], datetime | None] = Hook("muted_until")
# The text with every filtered word masked, and whether a name holds one: one provider.
masked: Hook[[str], str] = Hook("masked")
refused: Hook[[str], bool] = Hook("refused")
# Every message that passed, as the others get it: ``(user_id, text, where)``, ``where`` naming the
# room as a report's context does (``{"lobby_id": 3}``, ``{"group_id": 5}``, ``{"dm_user_id": 7}``,
# or ``{}``). For a slower classifier that only flags messages into the moderation queue: a
# reaction hands the text to its own worker and returns at once; one that raises is logged and
# the message goes on (it never holds a message back). Any number of reactions.
heard: Hook[[int, str, dict], None] = Hook("heard")


class Muted(Forbidden):
    def __init__(self, until: datetime) -> None:
        super().__init__(
            "You are muted: your messages are not delivered until the mute ends.",
            code="muted",
            extra={"until": until.isoformat().replace("+00:00", "Z")},
        )


class TextRefused(ApplicationError):
    def __init__(self, field: str) -> None:
        super().__init__(f"This {field} holds a word that is not allowed.", code="text_refused", extra={"field": field})


def _provider(hook: Hook) -> Callable | None:
    return hook.reactions[0] if hook.reactions else None


def said(user_id: int, text: str, *, where: dict | None = None) -> str:
    """``text`` as other players get it from ``user_id``, or ``Muted`` while they are muted
    (or the refusal a ``speaker_refusal`` provider gives)."""
    for refuses in speaker_refusal.reactions:
        refusal = refuses(user_id)
        if refusal is not None:
            raise refusal
    until = _provider(muted_until)
    if until is not None:
        ends = until(user_id)
        if ends is not None:
            raise Muted(ends)
    mask = _provider(masked)
    text = mask(text) if mask is not None else text
    for reaction in heard.reactions:
        try:
            reaction(user_id, text, where or {})
        except Exception:
            logger.exception("a reaction to a message heard failed; the message goes on")
    return text


async def asaid(user_id: int, text: str, *, where: dict | None = None) -> str:
    """``said`` from the event loop (its cache may read the database once a second)."""
    return await db.run(said, user_id, text, where=where)


def name_checked(text: str, *, field: str = "name") -> str:
    """``text`` unchanged, or ``TextRefused`` when it holds a filtered word."""
    refuses = _provider(refused)
    if refuses is not None and text and refuses(text):
        raise TextRefused(field)
    return text

"""The public mode API: write a game's server-side rules as a ``Mode`` (see ``api``).

    from gameplatform.modes import Mode, Reject, message
    from gameplatform.modes.schema import Int, Obj

Everything importable from here, ``gameplatform.modes.schema`` and ``gameplatform.modes.testing``
is the stable API a studio builds on; the rest of the platform may change under it.

The room that runs a mode (``gameplatform.rooms``) is the platform's runtime, not part of this API.
"""

from gameplatform.modes.api import Context, Message, Mode, Player, Reject, Result, message
from gameplatform.modes.schema import Invalid

__all__ = ["Context", "Invalid", "Message", "Mode", "Player", "Reject", "Result", "message"]

"""The public mode API: write a game's server-side rules as a ``Mode`` (see ``api``).

    from gameplatform.modes import Mode, Reject
    from gameplatform.modes.schema import Int, Obj

Everything importable from here, ``gameplatform.modes.schema`` and ``gameplatform.modes.testing``
is the stable API a studio builds on; the rest of the platform may change under it.
"""

from gameplatform.modes.api import Context, Mode, Player, Reject, Result
from gameplatform.modes.room import Grace, Room
from gameplatform.modes.schema import Invalid

__all__ = ["Context", "Grace", "Invalid", "Mode", "Player", "Reject", "Result", "Room"]

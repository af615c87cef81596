"""The public mode API: write a game's server-side rules as a ``Mode`` (see ``api``).

    from gameplatform.modes import Mode, Reject, message
    from gameplatform.modes.schema import Int, Obj

Everything importable from here, ``gameplatform.modes.schema`` and ``gameplatform.modes.testing``
is the stable API a studio builds on; the rest of the platform may change under it.

The package is standard library only and imports nothing outside it: a studio's mode and its
tests need nothing else. ``room`` is the game itself (phases, seats, clocks, steps, frames) that
the test kit drives and the platform's runtime (``gameplatform.rooms``) runs; the runtime around it
(sockets, leases, takeover, the store) is not part of this API.
"""

from gameplatform.modes.api import Context, Message, Mode, Player, Reject, Result, message
from gameplatform.modes.schema import Invalid

__all__ = ["Context", "Invalid", "Message", "Mode", "Player", "Reject", "Result", "message"]

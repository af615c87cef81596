"""The close codes of the sockets' contract, and the code each one goes out as.

Every close of a socket passes through ``BaseConsumer.close``, which sends ``close_code_sent(code)``:
the contract's code itself, or with ``WS_PRIVATE_CLOSE_CODES`` (daphne, whose autobahn refuses to
send 1001-2999) a standard code 1001-1999 as that code + 3000 (1008 -> 4008, 1009 -> 4009, 1013 -> 4013).
"""

from django.conf import settings

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_REPLACED = 4409
CLOSE_TOO_LARGE = 1009
CLOSE_FLOODING = 1008
CLOSE_ABNORMAL = 1006  # no close frame: what a client cut off for not reading sees
# Under WS_PRIVATE_CLOSE_CODES a standard code in this range goes out as code + PRIVATE_OFFSET.
STANDARD_CODES = range(1001, 2000)
PRIVATE_OFFSET = 3000


def close_code_sent(code: int | None) -> int | None:
    """The close code that goes out for the contract's ``code``: itself, or with
    ``WS_PRIVATE_CLOSE_CODES`` a standard one (1001-1999) + 3000 (autobahn, daphne's WebSocket
    library, refuses to send 1001-2999 for the application: django/daphne#374)."""
    if code is not None and settings.WS_PRIVATE_CLOSE_CODES and code in STANDARD_CODES:
        return code + PRIVATE_OFFSET
    return code

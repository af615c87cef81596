"""Presence: who has at least one authenticated socket open, on any process.

The foundation only exposes the count used by ``/api/status/``; the social
layer (friends app) owns the real bookkeeping and replaces this module's body.
"""


def online_count() -> int:
    return 0

"""Path converters of every route, REST and WebSocket: ids that fit the database.

Django's ``int`` converter matches any run of digits, so ``/api/lobbies/<10**24>/bans/``
reached the view and its query failed (``OverflowError`` on SQLite, out of range on
PostgreSQL): a 500. Here ``int`` matches at most 18 digits (below 2**63, a ``bigint``):
a longer id matches no route, so it is the contract's JSON 404 on ``/api/`` and a 4404
close on ``/ws/``, like any other unknown path.

``install`` replaces the built-in ``int`` once, from ``GameplatformConfig.ready``, before
any urls or routing module builds its patterns (they compile their converters then). The
apps keep writing ``<int:...>``, and the OpenAPI schema still says ``integer``.
"""

import warnings

from django.urls import converters, register_converter

MAX_ID_DIGITS = 18


class IdConverter(converters.IntConverter):
    """A non-negative integer of at most 18 digits (fits a signed 64-bit column)."""

    regex = f"[0-9]{{1,{MAX_ID_DIGITS}}}"


def install() -> None:
    if isinstance(converters.get_converters()["int"], IdConverter):
        return
    with warnings.catch_warnings():
        # Django 5.x warns that overriding a built-in converter ends in 6.0 (then an ``id``
        # converter and ``<id:...>`` in every route replace this).
        warnings.filterwarnings("ignore", message="Converter 'int' is already registered")
        register_converter(IdConverter, "int")

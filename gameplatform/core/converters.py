"""Path converters of every route, REST and WebSocket: ids that fit the database.

Django's ``int`` converter matches any run of digits, so ``/api/lobbies/<10**24>/bans/``
reached the view and its query failed (``OverflowError`` on SQLite, out of range on
PostgreSQL): a 500. Every route writes its ids as ``<id:...>`` instead: at most 18 digits
(below 2**63, a ``bigint``). A longer id matches no route, so it is the contract's JSON 404
on ``/api/`` and a 4404 close on ``/ws/``, like any other unknown path.

``id`` is registered once, when this module is first imported: ``GameplatformConfig.ready``
imports it, before any urls or routing module builds its patterns (they look their converters
up then). Django refuses a second registration of a name, and any registration of a built-in
one (``int``) from 6.0 on. The OpenAPI schema says ``integer`` for it
(``PATH_CONVERTER_OVERRIDES`` in the settings), the AsyncAPI document too.
"""

from django.urls import converters, register_converter

MAX_ID_DIGITS = 18


class IdConverter(converters.IntConverter):
    """A non-negative integer of at most 18 digits (fits a signed 64-bit column)."""

    regex = f"[0-9]{{1,{MAX_ID_DIGITS}}}"


register_converter(IdConverter, "id")

"""The room engine: every running game of a server process, in one place.

- ``server_room``: ``Room``, the mode API's room (``gameplatform.modes.room``: one game with no I/O, what the
  test kit drives too) writing its frames with orjson; ``flags``: the flags a mode reads, by a hook;
- ``host``: ``RoomHost``, the rooms a process owns (one ``Running`` record each), a facade over
  its parts, one job each: ``driver``, ``seats``, ``forwarding``, ``steps_out``, ``outbox``,
  ``takeover``, ``leases``, ``spectators``, ``matchlist`` (``records`` holds what they share,
  ``parts`` what they use of the host, which they never import); the app gives it its game's
  records as ``Hooks`` (seating, start, result, grace);
- ``store``: ``RoomStore``, where leases, snapshots, seat numbers and the processes' load reports
  live (Redis, or this process's memory in the embedded setup);
- ``placement``: ``Placement``, where a new room runs (the least-loaded live process, never one
  that is leaving), each host's part, started at the server's start (``serve_at_start``);
- ``wire``: ``Delivery``, what a room's step sends its game's sockets, and ``Wire``, how it goes
  (over the process's hub unless a test gives its own);
- ``sockets``: ``RoomSocket``, the mixin of a game's socket that writes it its frames of each delivery.

The kit knows no app: the game app (``game.rooms``) gives the host its database records, and its
socket mixes in ``RoomSocket``; the deliveries are the kit's own.
"""

import importlib

# Where each name lives (a module of this package, or the mode API's room for the names it owns).
# Imported when first asked for: the test kit imports ``server_room`` alone, with no Django settings,
# Redis or hub behind it.
_HOMES = {
    "Hooks": ".records",
    "RoomHost": ".host",
    "Running": ".records",
    "Seating": ".records",
    "Grace": "..modes.room",
    "HookFailed": "..modes.room",
    "Room": ".server_room",
    "MemoryRoomStore": ".store",
    "RedisRoomStore": ".store",
    "RoomStore": ".store",
    "room_store": ".store",
    "Delivery": ".wire",
    "Wire": ".wire",
    "RoomSocket": ".sockets",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name], __name__), name)

"""What the notification socket and the badge let higher apps plug in, without knowing them.

Notifications sit low: friends, direct messages and invites send through them. So
the counts behind the ``badge`` frame and the group signals the per-user socket
turns into frames are registered by the apps that own them, in their
``AppConfig.ready``:

- ``add_badge_count(name, count)``: ``count(user_id=...)`` gives one entry of the
  badge (``unread_dms``, ``pending_invites``, ``pending_friend_requests``);
- ``add_signal(name, make_reader)``: a group signal ``name`` reaching a user's
  notification socket is read by the reader ``make_reader()`` made for that socket
  (it may keep state, such as the newest presence version seen) and returns the
  frame to send, or None to drop it.
"""

from collections.abc import Callable

BadgeCount = Callable[..., int]
SignalReader = Callable[[dict], dict | None]

badge_counters: dict[str, BadgeCount] = {}
signal_readers: dict[str, Callable[[], SignalReader]] = {}


def add_badge_count(name: str, count: BadgeCount) -> None:
    badge_counters[name] = count


def add_signal(name: str, make_reader: Callable[[], SignalReader]) -> None:
    signal_readers[name] = make_reader

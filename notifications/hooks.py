"""What the notification socket and the badge let higher apps plug in, without knowing them
(``gameplatform.core.hooks``).

Notifications sit low: friends, direct messages and invites send through them. So the counts
behind the ``badge`` frame and the group signals the per-user socket turns into frames are
registered by the apps that own them, in their ``AppConfig.ready``, one function per name:

- ``badge_count.register(name, count)``: ``count(user_id=...)`` gives one entry of the badge
  (``unread_dms``, ``pending_invites``, ``pending_friend_requests``);
- ``signal_reader.register(name, make_reader)``: a group signal ``name`` reaching a user's
  notification socket is read by the reader ``make_reader()`` made for that socket (it may keep
  state, such as the newest presence version seen) and returns the frame to send, or None to
  drop it.
"""

from collections.abc import Callable

from gameplatform.core.hooks import KeyedHook

SignalReader = Callable[[dict], dict | None]

badge_count: KeyedHook[..., int] = KeyedHook("badge_count")
signal_reader: KeyedHook[[], SignalReader] = KeyedHook("signal_reader")

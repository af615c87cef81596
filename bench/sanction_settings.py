"""Settings for bench/sanctions.py's servers: ours, with the chat budget raised.

The muted player of the bench sends a lobby message every 50 ms on each of its lobby sockets.
Under the default budget (3 messages per 2 s per user, spent when a frame arrives, before the
mute is asked) almost every frame would be refused ``rate_limited`` instead of ``muted``, and
ten such refusals in 10 s close the socket 1008: the bench would time the rate limit, not the mute.
"""

from gameplatform.settings import *  # noqa: F403

CHAT_RATE_LIMIT = 1_000_000
CHAT_RATE_WINDOW = 2.0

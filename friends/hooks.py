"""What the friend graph lets higher apps react to, without knowing them (``gameplatform.core.hooks``).

Apps above friends (direct messages, invites) register their reactions in their
``AppConfig.ready``; the friend services call them inside the transaction that made
the change, so a reaction commits or rolls back with it.

- ``friendship_ended(user_a_id, user_b_id)``: two users are no longer friends
  (unfriended, or one blocked the other), e.g. their DM sockets close.
- ``block_started(blocker_id, blocked_id)``: one user blocked another, e.g. the
  pending invites between them are cancelled.
"""

from gameplatform.core.hooks import Hook

friendship_ended: Hook[[int, int], None] = Hook("friendship_ended")
block_started: Hook[[int, int], None] = Hook("block_started")

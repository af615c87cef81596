"""Invite expiry: ``python manage.py run_timers`` (started by ``make run``) runs this every 0.25 s.

Each due invite is expired by a conditional update, so with several runners
exactly one emits ``invite_expired`` for it.
"""

from gameplatform.timers import periodic
from matchmaking.invites.services import invites_expire_due


@periodic("invites.expire", every=0.25)
def expire_due_invites() -> int:
    return invites_expire_due()

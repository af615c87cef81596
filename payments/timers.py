"""Payments' timers: a subscription whose grace ended silently is ``past_due``
(``subscriptions.graces_end``)."""

from gameplatform.operations.timers import periodic
from payments.subscriptions import graces_end


@periodic("payments.graces_end", every=60)
def grace_over() -> int:
    """Subscriptions in grace past its end, with no word from their store, move to ``past_due``."""
    return graces_end()

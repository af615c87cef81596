"""Payments' timers: a subscription whose grace ended silently is ``past_due``
(``subscriptions.graces_end``), and refund requests' answers whose send failed are sent again
(``refunds.refund_answers_due``)."""

from gameplatform.operations.timers import periodic
from payments.refunds import refund_answers_due
from payments.subscriptions import graces_end


@periodic("payments.graces_end", every=60)
def grace_over() -> int:
    """Subscriptions in grace past its end, with no word from their store, move to ``past_due``."""
    return graces_end()


@periodic("payments.refund_answers_due", every=30)
def refund_answers() -> int:
    """Refund requests' answers whose send failed are sent again, within the store's window."""
    return refund_answers_due()

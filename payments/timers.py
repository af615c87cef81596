from gameplatform.operations.timers import periodic
from payments.refunds import refund_answers_due


@periodic("payments.refund_answers_due", every=30)
def refund_answers() -> int:
    """Refund requests' answers whose send failed are sent again, within the store's window."""
    return refund_answers_due()

"""Appeals: once per sanction, within 180 days of it, also from a player who cannot log in
(the appeal token); staff other than whoever imposed the sanction decide (409 ``same_moderator``:
EU DSA Art. 20 asks for a review by appropriately qualified staff, not solely by automated means,
and a review by the one who decided is no review), and a reversal lifts the sanction at once,
with the other running sanctions of the same case (``sanctions.sanction_reverse``)."""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from gameplatform.core.errors import ApplicationError, Conflict, NotFound
from notifications.services import notify
from safety.models import Appeal, Sanction
from safety.sanctions import APPEAL_DAYS, payload, player_lock, sanction_reverse
from staff import audit

DECISIONS = (Appeal.Status.UPHELD, Appeal.Status.REVERSED)


def appeal_file(*, sanction: Sanction, text: str) -> Appeal:
    text = (text or "").strip()
    if not 1 <= len(text) <= 2000:
        raise ApplicationError(
            "An appeal has 1 to 2000 characters.", code="invalid", extra={"fields": {"text": ["1 to 2000 characters."]}}
        )
    if timezone.now() > sanction.starts_at + timedelta(days=APPEAL_DAYS):
        raise Conflict(f"Appeals are open for {APPEAL_DAYS} days after a sanction.", code="appeal_window_closed")
    try:
        with transaction.atomic():
            return Appeal.objects.create(sanction=sanction, text=text)
    except IntegrityError:  # one appeal per sanction, decided by the database
        raise Conflict("This sanction has been appealed already.", code="appeal_exists") from None


@transaction.atomic
def appeal_decide(*, staff, appeal_id: int, decision: str, statement: str) -> Appeal:
    if decision not in DECISIONS:
        raise ApplicationError(
            "Unknown decision.", code="invalid", extra={"fields": {"decision": ["upheld or reversed."]}}
        )
    statement = (statement or "").strip()
    if not statement:
        raise ApplicationError(
            "Say why.", code="invalid", extra={"fields": {"statement": ["The player reads this statement."]}}
        )
    # The player's row first, as every write of their sanctions locks it (``player_lock``), then
    # the appeal's and its sanction's: a reversal and a staff lift of the sanction take turns.
    user_id = Appeal.objects.filter(pk=appeal_id).values_list("sanction__user_id", flat=True).first()
    if user_id is None:  # no such appeal, or its player deleted their account: nobody to decide for
        raise NotFound("No such appeal.", code="appeal_not_found")
    player_lock(user_id)
    appeal = Appeal.objects.select_for_update().select_related("sanction").filter(pk=appeal_id).first()
    if appeal is None:
        raise NotFound("No such appeal.", code="appeal_not_found")
    if appeal.status != Appeal.Status.OPEN:
        raise Conflict("This appeal is decided already.", code="appeal_decided")
    if appeal.sanction.created_by_id is not None and appeal.sanction.created_by_id == staff.pk:
        # DSA Art. 20: a complaint is reviewed afresh, so not by whoever made the decision.
        raise Conflict("Another moderator decides an appeal of a sanction you imposed.", code="same_moderator")
    appeal.status, appeal.statement = decision, statement
    appeal.decided_at, appeal.decided_by = timezone.now(), staff
    appeal.save(update_fields=["status", "statement", "decided_at", "decided_by"])
    sanction = appeal.sanction
    if decision == Appeal.Status.REVERSED:
        sanction_reverse(staff=staff, sanction=sanction, statement=statement, appeal_id=appeal.pk)
        sanction.appeal = appeal
    notify(
        user_id=sanction.user_id, kind="sanction", payload={"event": "appeal_decided", "sanction": payload(sanction)}
    )
    audit.record_on(
        sanction, staff=staff, action=f"appeal.{decision}", target_type="sanction", detail={"appeal_id": appeal.pk}
    )
    return appeal

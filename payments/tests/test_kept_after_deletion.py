"""Records the law keeps outlive the player's account without naming them: a store purchase (and
the ledger's rows of what it granted), a sanction; a refund that comes after the deletion is
recorded, with nothing left to take back; the deleted player's open appeal leaves the queue."""

import pytest
from django.db import transaction

from accounts.services import user_delete
from payments.models import Purchase
from payments.services import purchase_grant, purchase_revoke
from progression.models import LedgerEntry
from safety.models import Appeal, Sanction
from safety.sanctions import sanction_impose
from safety.selectors import appeal_queue

pytestmark = pytest.mark.django_db


def test_a_deleted_players_purchase_ledger_and_sanction_are_kept_without_them(products, alice, make_staff):
    moderator = make_staff("mona", "moderator")
    with transaction.atomic():
        purchase, _ = purchase_grant(
            user_id=alice.pk, product=products["gems-100"], store="stripe", transaction_id="cs_kept",
            payment_id="pi_kept", amount=199, currency="usd",
        )  # fmt: skip
    sanction = sanction_impose(staff=moderator, user_id=alice.pk, action="mute", duration_hours=1, statement="Spam.")
    Appeal.objects.create(sanction=sanction, text="Not spam.")
    entries = LedgerEntry.objects.filter(player_id=alice.pk).count()
    assert entries >= 1

    user_delete(user=alice)

    kept = Purchase.objects.get(pk=purchase.pk)
    assert (kept.user_id, kept.amount, kept.status) == (None, 199, "granted")
    assert Sanction.objects.get(pk=sanction.pk).user_id is None
    assert LedgerEntry.objects.filter(reference=f"purchase:{purchase.pk}", player__isnull=True).count() >= 1
    assert not appeal_queue().exists()  # nobody to decide for

    with transaction.atomic():
        assert purchase_revoke(purchase_id=purchase.pk)
    refunded = Purchase.objects.get(pk=purchase.pk)
    assert (refunded.status, refunded.unrecovered_gems) == ("refunded", 100)

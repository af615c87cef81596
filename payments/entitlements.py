"""The one entitlement the platform asks: what a user holds by name (``premium``), whichever
source holds it: one-time grants (a ``premium-30d`` purchase) and subscriptions in any store.

``premium`` is mirrored onto the account (``is_premium``, ``premium_until``), which the rest of
the platform already reads and the timer ``accounts.expire_premium`` ends by itself: every change
here recomputes the entitlement and writes that mirror in the same transaction.

Locks, in this order (after the store's event, payment, purchase or subscription rows): the
entitlement's row, then the user's row. The subscriptions are read after the entitlement's row is
locked, so two subscriptions of one user changing at once are summed up in turn, the second
seeing the first committed.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from accounts.services import user_premium_follow
from payments.models import Entitlement, Subscription

PREMIUM = "premium"


def _entitlement_lock(*, user_id: int, name: str) -> Entitlement:
    Entitlement.objects.bulk_create([Entitlement(user_id=user_id, name=name)], ignore_conflicts=True)
    return Entitlement.objects.select_for_update().get(user_id=user_id, name=name)


def _subscribed_until(*, user_id: int, name: str) -> datetime | None:
    """The latest end among the user's subscriptions that hold ``name``: active ones until their
    period's end, ones in grace until the grace's end."""
    holding = Subscription.objects.filter(user_id=user_id, product__entitlement=name).filter(
        Q(status=Subscription.Status.ACTIVE) | Q(status=Subscription.Status.GRACE)
    )
    ends = [s.grace_until if s.status == Subscription.Status.GRACE else s.current_period_end for s in holding]
    return max(ends, default=None)


def _save_and_mirror(entitlement: Entitlement) -> Entitlement:
    entitlement.save(update_fields=["granted_until", "subscribed_until", "updated_at"])
    if entitlement.name == PREMIUM:
        user_premium_follow(user_id=entitlement.user_id, until=entitlement.until)
    return entitlement


def _fold_outside_grant(entitlement: Entitlement) -> None:
    """Premium an operator extended on the account directly (``grant_premium --days``, the admin)
    runs past what the entitlement knew: kept as a one-time grant, so no recount cuts it."""
    if entitlement.name != PREMIUM:
        return
    user = User.objects.only("is_premium", "premium_until").get(pk=entitlement.user_id)
    known = entitlement.until
    if user.is_premium and user.premium_until and (known is None or user.premium_until > known):
        entitlement.granted_until = user.premium_until


@transaction.atomic
def entitlement_refresh(*, user_id: int, name: str) -> Entitlement:
    """Recount what the user's subscriptions hold of ``name`` (after one of them changed)."""
    entitlement = _entitlement_lock(user_id=user_id, name=name)
    _fold_outside_grant(entitlement)
    entitlement.subscribed_until = _subscribed_until(user_id=user_id, name=name)
    return _save_and_mirror(entitlement)


@transaction.atomic
def entitlement_grant(*, user_id: int, name: str, days: int) -> Entitlement:
    """A one-time grant of ``days``, from the later of now and the one-time grants' current end
    (a second pass bought before the first ends loses nothing)."""
    entitlement = _entitlement_lock(user_id=user_id, name=name)
    _fold_outside_grant(entitlement)
    now = timezone.now()
    start = max(now, entitlement.granted_until) if entitlement.granted_until else now
    entitlement.granted_until = start + timedelta(days=days)
    return _save_and_mirror(entitlement)


@transaction.atomic
def entitlement_shorten(*, user_id: int, name: str, days: int) -> Entitlement:
    """Take ``days`` of one-time grant back (a refunded purchase); a grant whose days were all that
    was left ends now."""
    entitlement = _entitlement_lock(user_id=user_id, name=name)
    _fold_outside_grant(entitlement)
    if entitlement.granted_until is not None:
        until = entitlement.granted_until - timedelta(days=days)
        entitlement.granted_until = until if until > timezone.now() else None
    return _save_and_mirror(entitlement)

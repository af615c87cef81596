"""The shop: one transaction per purchase, and ``Idempotency-Key`` replays."""

import hashlib
import json
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

from accounts import policy
from accounts.models import User
from gameplatform.core.errors import ApplicationError, Conflict, Forbidden, NotFound
from progression import clock, hooks
from progression.models import BoxDraw, BoxOutcome, IdempotencyKey, Purchase, ShopItem
from progression.services.items import egg_grant, inventory_grant
from progression.services.players import balance_change, player_lock


def lootbox_allowed(*, user: User, country: str) -> None:
    """403 where ``LOOTBOX_RULES`` forbids paid random boxes: ``not_allowed_in_country`` (rule
    ``none``), ``not_allowed_for_age`` (rule ``adults`` and the player's age band is not ``adult``:
    an ``unknown`` band counts as a minor). ``country``: the balancer's header, else "" (then the
    player's own ``country`` attribute decides)."""
    country = (country or hooks.ask(hooks.player_country, user.pk, default="") or "").strip().upper()
    if policy.may_buy_random_rewards(user, country, settings.LOOTBOX_RULES):
        return
    if settings.LOOTBOX_RULES.get(country, "all") == "none":
        raise Forbidden("Paid random boxes are not sold in your country.", code="not_allowed_in_country")
    raise Forbidden("Paid random boxes are sold to adults only in your country.", code="not_allowed_for_age")


def box_outcomes(*, shop_item: ShopItem) -> list[BoxOutcome]:
    """A random box's declared outcomes with their items, read once for all of a purchase's draws."""
    outcomes = list(shop_item.outcomes.select_related("item"))
    if not outcomes:
        raise ApplicationError("This box has no outcomes.", code="not_for_sale")
    return outcomes


def box_draw(outcomes: list[BoxOutcome]) -> BoxOutcome:
    """One outcome of a random box, drawn by the declared weights with the operating system's
    secure random source (``secrets``): nobody can predict or replay a draw."""
    point = secrets.randbelow(sum(outcome.weight for outcome in outcomes))
    for outcome in outcomes:
        if point < outcome.weight:
            return outcome
        point -= outcome.weight
    raise AssertionError("unreachable")  # pragma: no cover


@transaction.atomic
def shop_purchase(
    *, user: User, shop_item_id: int, quantity: int = 1, pay_with: str | None = None, country: str = ""
) -> Purchase:
    """Check and debit funds, take stock, grant the goods and write the ledger, all or nothing.

    An item priced in both currencies is paid in gold unless ``pay_with="gems"``. With
    ``AGE_REQUIRED`` an account without an age band is refused 403 ``age_required``. A random box
    is refused where ``LOOTBOX_RULES`` says (``lootbox_allowed``); each unit's draw is kept as a
    ``BoxDraw`` of the purchase, in the transaction of its ledger rows.
    """
    policy.require(user, "shop")
    shop_item = ShopItem.objects.select_related("item", "egg_species").filter(pk=shop_item_id, is_active=True).first()
    if shop_item is None:
        raise NotFound("No such shop item.")
    if shop_item.box_name:
        lootbox_allowed(user=user, country=country)
    currency = pay_with or ("gold" if shop_item.price_gold is not None else "gems")
    unit_price = shop_item.price_gold if currency == "gold" else shop_item.price_gems
    if unit_price is None:
        raise ApplicationError(f"This item cannot be bought with {currency}.", code="not_for_sale_in_currency")
    player = player_lock(user_id=user.pk)
    if shop_item.stock is not None:
        # Guarded decrement: of concurrent buyers of the last unit only one gets it.
        taken = ShopItem.objects.filter(pk=shop_item.pk, stock__gte=quantity).update(stock=F("stock") - quantity)
        if not taken:
            raise ApplicationError("Not enough of this item left in the shop.", code="out_of_stock")
        shop_item.refresh_from_db(fields=["stock"])
    total = unit_price * quantity
    purchase = Purchase.objects.create(
        player=player, shop_item=shop_item, quantity=quantity, currency=currency, total_price=total
    )
    if total:
        balance_change(player=player, reason="purchase", reference=f"purchase:{purchase.pk}", **{currency: -total})
    if shop_item.box_name:
        outcomes = box_outcomes(shop_item=shop_item)
        for _ in range(quantity):
            outcome = box_draw(outcomes)
            BoxDraw.objects.create(purchase=purchase, outcome=outcome)
            inventory_grant(player=player, template=outcome.item, quantity=outcome.quantity)
    elif shop_item.item_id:
        inventory_grant(player=player, template=shop_item.item, quantity=quantity)
    else:
        egg_grant(player=player, species=shop_item.egg_species, quantity=quantity, source="shop")
    return purchase


IDEMPOTENCY_KEY_TTL = timedelta(hours=24)


def idempotency_keys_expire() -> int:
    """Forget answers older than a day (deleting is harmless to repeat, so any runner may)."""
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=clock.now() - IDEMPOTENCY_KEY_TTL).delete()
    return deleted


IDEMPOTENCY_KEY_STORED_LENGTH = 128  # IdempotencyKey.key's max_length
_HASHED_KEY_PREFIX = "sha256:"


def idempotency_key_stored(key: str) -> str:
    """The column value for a client's key: the whole key always counts.

    A key that fits is stored as sent; a longer one (or one that looks like a stored
    hash) is stored as ``sha256:<hex of the whole key>``, so two long keys sharing a
    prefix stay two keys (the column once held only the first 128 characters).
    """
    if len(key) <= IDEMPOTENCY_KEY_STORED_LENGTH and not key.startswith(_HASHED_KEY_PREFIX):
        return key
    return _HASHED_KEY_PREFIX + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def request_fingerprint(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def idempotent(*, user: User, key: str | None, payload: dict, run) -> tuple[int, dict]:
    """Run ``run() -> (status, body)`` once per (user, key) and replay its first answer.

    The key row is inserted in the same transaction as the work. A concurrent
    request with the same key blocks on the unique index until the first
    commits, then fails to insert and reads the stored answer; if the first
    rolled back (an error such as ``insufficient_funds``), nothing was stored
    and the retry runs for real. Errors are not replayed.
    """
    if not key:
        return run()
    key = idempotency_key_stored(key)
    fingerprint = request_fingerprint(payload)
    stored = _stored_answer(user=user, key=key, fingerprint=fingerprint)
    if stored is not None:
        return stored
    try:
        with transaction.atomic():
            record = IdempotencyKey.objects.create(user=user, key=key, fingerprint=fingerprint)
            status_code, body = run()
            record.status_code, record.response = status_code, body
            record.save(update_fields=["status_code", "response"])
            return status_code, body
    except IntegrityError:
        stored = _stored_answer(user=user, key=key, fingerprint=fingerprint)
        if stored is None:
            raise
        return stored


def _stored_answer(*, user: User, key: str, fingerprint: str) -> tuple[int, dict] | None:
    record = IdempotencyKey.objects.filter(user=user, key=key).first()
    if record is None:
        return None
    if record.fingerprint != fingerprint:
        raise Conflict("This Idempotency-Key was used for a different request.", code="idempotency_key_reused")
    return record.status_code, record.response

"""Player profiles, balances with their ledger, stamina regeneration, stats and XP."""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

from accounts.models import User
from gameplatform.core.errors import ApplicationError
from progression import clock, rules
from progression.models import STAT_NAMES, XP, Currency, LedgerEntry, Player


def player_ensure(*, user_id: int) -> None:
    """Create the profile on first use, with its starting balances in the ledger."""
    if Player.objects.filter(pk=user_id).exists():
        return
    try:
        with transaction.atomic():
            player = Player.objects.create(
                user_id=user_id,
                gold=rules.STARTING_GOLD,
                gems=rules.STARTING_GEMS,
                stamina=rules.STARTING_STAMINA,
                max_stamina=rules.STARTING_STAMINA,
                stamina_updated_at=clock.now(),
            )
            LedgerEntry.objects.bulk_create(
                LedgerEntry(player=player, currency=currency, amount=amount, balance_after=amount, reason="start")
                for currency, amount in (
                    (Currency.GOLD, rules.STARTING_GOLD),
                    (Currency.GEMS, rules.STARTING_GEMS),
                    (Currency.STAMINA, rules.STARTING_STAMINA),
                )
                if amount
            )
    except IntegrityError:
        pass  # a concurrent first request created it


def player_lock(*, user_id: int) -> Player:
    """The player's row, locked for this transaction, with stamina regenerated up to now."""
    player = Player.objects.select_for_update().filter(pk=user_id).first()
    if player is None:
        player_ensure(user_id=user_id)
        player = Player.objects.select_for_update().get(pk=user_id)
    _regenerate(player)
    return player


def _regenerate(player: Player) -> None:
    """Stamina grows by a share of max stamina per elapsed interval; no background job.

    Partial intervals carry over (the timestamp moves by whole intervals only);
    while stamina is full the clock does not accrue.
    """
    now = clock.now()
    interval = settings.STAMINA_REGEN_INTERVAL
    if player.stamina >= player.max_stamina:
        if now - player.stamina_updated_at >= timedelta(seconds=interval):
            Player.objects.filter(pk=player.pk).update(stamina_updated_at=now)
            player.stamina_updated_at = now
        return
    ticks = int((now - player.stamina_updated_at).total_seconds() // interval)
    if ticks <= 0:
        return
    per_tick = rules.stamina_per_tick(max_stamina=player.max_stamina, percent=settings.STAMINA_REGEN_PERCENT)
    gained = min(player.max_stamina - player.stamina, ticks * per_tick)
    full = player.stamina + gained >= player.max_stamina
    player.stamina_updated_at = now if full else player.stamina_updated_at + timedelta(seconds=ticks * interval)
    Player.objects.filter(pk=player.pk).update(stamina_updated_at=player.stamina_updated_at)
    if gained:
        balance_change(player=player, stamina=gained, reason="regen")


def player_sync(*, user_id: int) -> Player:
    """Read path: create on first use and bring stamina up to date (writes only when it grew)."""
    player_ensure(user_id=user_id)
    player = Player.objects.get(pk=user_id)
    if _regen_due(player):
        with transaction.atomic():
            player = player_lock(user_id=user_id)
    return player


def _regen_due(player: Player) -> bool:
    elapsed = (clock.now() - player.stamina_updated_at).total_seconds()
    return elapsed >= settings.STAMINA_REGEN_INTERVAL


def balance_change(
    *, player: Player, reason: str, reference: str = "", gold: int = 0, gems: int = 0, stamina: int = 0
) -> Player:
    """Move balances with one guarded ``F()`` update and write one ledger row per currency.

    Must run inside a transaction. A debit larger than the balance raises
    ``insufficient_funds`` / ``not_enough_stamina`` and changes nothing; the
    CheckConstraints stop any path that skipped this function.
    """
    deltas = {Currency.GOLD: gold, Currency.GEMS: gems, Currency.STAMINA: stamina}
    deltas = {currency: amount for currency, amount in deltas.items() if amount}
    if not deltas:
        return player
    guard = {f"{currency}__gte": -amount for currency, amount in deltas.items() if amount < 0}
    updated = Player.objects.filter(pk=player.pk, **guard).update(
        **{currency: F(currency) + amount for currency, amount in deltas.items()}
    )
    if not updated:
        short = next(c for c, a in deltas.items() if a < 0 and getattr(player, c) < -a) if guard else None
        short = short or next(iter(deltas))
        if short == Currency.STAMINA:
            raise ApplicationError("Not enough stamina.", code="not_enough_stamina")
        raise ApplicationError(f"Not enough {short}.", code="insufficient_funds")
    player.refresh_from_db(fields=list(deltas))
    LedgerEntry.objects.bulk_create(
        LedgerEntry(
            player_id=player.pk,
            currency=currency,
            amount=amount,
            balance_after=getattr(player, currency),
            reason=reason,
            reference=reference,
        )
        for currency, amount in deltas.items()
    )
    return player


@transaction.atomic
def player_grant(*, user: User, reason: str, reference: str = "", gold: int = 0, gems: int = 0) -> Player:
    """Give (or, with negative amounts, take) gold and gems: admin actions, demo data, other apps."""
    player = player_lock(user_id=user.pk)
    return balance_change(player=player, reason=reason, reference=reference, gold=gold, gems=gems)


@transaction.atomic
def player_allocate_stats(*, user: User, **points: int) -> Player:
    """Spend stat points, all or nothing (400 ``not_enough_stat_points``)."""
    points = {name: int(points.get(name) or 0) for name in STAT_NAMES}
    total = sum(points.values())
    if total <= 0 or any(value < 0 for value in points.values()):
        raise ApplicationError("Allocate at least one point; no negative values.", code="invalid")
    player = player_lock(user_id=user.pk)
    updated = Player.objects.filter(pk=player.pk, stat_points__gte=total).update(
        stat_points=F("stat_points") - total,
        **{name: F(name) + value for name, value in points.items() if value},
    )
    if not updated:
        raise ApplicationError(
            f"You have {player.stat_points} stat points; {total} asked for.", code="not_enough_stat_points"
        )
    player.refresh_from_db()
    return player


@transaction.atomic
def player_regenerate_stamina(*, user: User) -> Player:
    return player_lock(user_id=user.pk)


XP_FIELDS = ["level", "xp", "stamina_updated_at", "stat_points", "max_stamina"]  # what XP changes


def _add_xp(player: Player, xp: int) -> list[str]:
    """Add XP to a locked player, unsaved; level-ups grant stat points and max stamina. Returns the
    fields it changed."""
    level, remaining, gained = rules.apply_xp(level=player.level, xp=player.xp, gained=xp)
    player.level, player.xp = level, remaining
    fields = ["level", "xp"]
    if gained:
        if player.stamina >= player.max_stamina:
            # A full bar banked no time: regeneration towards the new max starts now.
            player.stamina_updated_at = clock.now()
            fields.append("stamina_updated_at")
        player.stat_points += gained * rules.STAT_POINTS_PER_LEVEL
        player.max_stamina += gained * rules.MAX_STAMINA_PER_LEVEL
        fields += ["stat_points", "max_stamina"]
    return fields


def player_add_xp(*, player: Player, xp: int) -> int:
    """Add XP to a locked player; level-ups grant stat points and max stamina. Returns levels gained."""
    level = player.level
    player.save(update_fields=_add_xp(player, xp))
    return player.level - level


@transaction.atomic
def players_xp_grant(*, grants: list[tuple[int, int, str]], reason: str) -> set[tuple[int, str]]:
    """Give players XP, in the ledger (a row of currency ``xp`` each, its ``balance_after`` the
    player's XP in all), for a ``reason`` the ledger takes once per reference (``ONCE_REASONS``: the
    XP of the games a result transaction ends): ``grants`` are ``(user id, xp, reference)``; answers
    the ``(user id, reference)`` granted now (not those granted before, nor an ``xp`` not above 0).

    The same statements for one grant or a hundred: the players' rows locked in id order (so two
    batches sharing players wait, never in a cycle), the references they were granted before read
    under those locks (every grant of a player locks their row first), the new ledger rows in one
    insert (the constraint still refuses a second one), the players' XP in one update."""
    grants = [(user_id, xp, reference) for user_id, xp, reference in grants if xp > 0]
    if not grants:
        return set()
    user_ids = sorted({user_id for user_id, _, _ in grants})
    players = _players_locked(user_ids)
    granted = set(
        LedgerEntry.objects.filter(
            player_id__in=user_ids, currency=XP, reason=reason, reference__in={ref for _, _, ref in grants}
        ).values_list("player_id", "reference")
    )
    rows, changed = [], {}
    for user_id, xp, reference in grants:
        if (user_id, reference) in granted:
            continue
        granted.add((user_id, reference))
        player = players[user_id]
        _add_xp(player, xp)
        changed[user_id] = player
        balance = rules.total_xp(level=player.level, xp=player.xp)
        rows.append(
            LedgerEntry(
                player_id=user_id, currency=XP, amount=xp, balance_after=balance, reason=reason, reference=reference
            )
        )
    if not rows:
        return set()
    LedgerEntry.objects.bulk_create(rows)
    Player.objects.bulk_update(list(changed.values()), XP_FIELDS)
    return {(row.player_id, row.reference) for row in rows}


def _players_locked(user_ids: list[int]) -> dict[int, Player]:
    """The players' rows of ``user_ids`` (in id order), locked, made on first use, stamina regenerated."""
    players = {p.pk: p for p in Player.objects.select_for_update().filter(pk__in=user_ids).order_by("pk")}
    missing = [user_id for user_id in user_ids if user_id not in players]
    for user_id in missing:  # (a player's first game: rare)
        player_ensure(user_id=user_id)
    if missing:
        players |= {p.pk: p for p in Player.objects.select_for_update().filter(pk__in=missing).order_by("pk")}
    for player in players.values():
        _regenerate(player)
    return players

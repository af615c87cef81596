"""Combat in the world: a character against an enemy of its area (PvE) or against a character of
another faction in a contested area (PvP).

Every number is the server's: damage and healing come from the actor's level and its equipped
items (``progression.selectors.player_combat_stats``), never from the frame. Health changes are
single conditional ``UPDATE``s (``health > 0``, floored at 0), so a target reaches 0 exactly once
whatever the concurrency: only the update that took the last point sees 0, and the defeat is
then claimed once more by a conditional update (an enemy's ``respawn_at`` set from NULL; a
character's health put back to full at home). Combats finish by a conditional update on their
status, and only the claimer of a defeat grants loot, in the same transaction.

Lock order: the enemy row, then character rows, then combat rows, then the progression player.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest, Least
from django.utils import timezone

from gameplatform.broadcast.groups import area_group, world_user_group
from gameplatform.broadcast.realtime import broadcast_on_commit, signal_on_commit
from gameplatform.core.errors import ApplicationError, Conflict, Forbidden, NotFound
from gameplatform.data.ratelimit import Budget
from progression.models import Player
from progression.selectors import player_combat_stats
from progression.services.players import player_grant
from world.areas import users_in_area
from world.combat import events
from world.events import character_update
from world.models import Character, Combat, Enemy

ACTION_TYPES = ("attack", "spell", "item")

# One action of each type per cooldown, per character, on every socket and process.
COOLDOWNS = {
    "attack": Budget(
        "world:combat:attack", limit=1, window=1.0, what="attacks", window_setting="WORLD_COMBAT_ATTACK_COOLDOWN"
    ),
    "spell": Budget(
        "world:combat:spell", limit=1, window=3.0, what="spells", window_setting="WORLD_COMBAT_SPELL_COOLDOWN"
    ),
    "item": Budget("world:combat:item", limit=1, window=5.0, what="items", window_setting="WORLD_COMBAT_ITEM_COOLDOWN"),
}

LOOT_REASON = "world_loot"
XP_PER_LEVEL = 100  # a character's level is 1 + xp // 100


# --- the rules ------------------------------------------------------------------------------


def equipment_bonus(user_id: int) -> dict[str, int]:
    """What the user's equipped items add to each stat (zero without a progression profile)."""
    player = Player.objects.filter(pk=user_id).first()
    if player is None:
        return {}
    stats, _ = player_combat_stats(user_id=user_id, player=player)
    return {name: value - getattr(player, name) for name, value in stats.items()}


def action_amount(character: Character, action_type: str) -> int:
    """attack 6 + 4·level + strength of items; spell 10 + 6·level + intelligence of items;
    item (healing draught) 15 + 5·level + vitality of items."""
    bonus = equipment_bonus(character.user_id)
    level = character.level
    if action_type == "attack":
        return 6 + 4 * level + bonus.get("strength", 0)
    if action_type == "spell":
        return 10 + 6 * level + bonus.get("intelligence", 0)
    return 15 + 5 * level + bonus.get("vitality", 0)


def counter_damage(enemy: Enemy) -> int:
    """An enemy hits back after every attack or spell on it that leaves it standing."""
    return 2 + 3 * enemy.level


def enemy_loot(enemy: Enemy) -> dict:
    return {"gold": 5 + 5 * enemy.level, "xp": 10 * enemy.level}


def pvp_loot(defeated: Character) -> dict:
    return {"xp": 15 * defeated.level}


# --- helpers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    amount: int
    health: int  # after the hit
    defeated_now: bool  # this hit took the last point


def _combat_locked_view(combat_id: int) -> Combat:
    return Combat.objects.select_related("attacker__faction", "defender__faction", "enemy").get(pk=combat_id)


def _hit(model: type[Enemy] | type[Character], pk: int, amount: int, **standing) -> Hit | None:
    """Take ``amount`` off the health of row ``pk`` (down to 0), if it is alive and ``standing``
    still holds (in the area); None when it is not."""
    updated = model.objects.filter(pk=pk, health__gt=0, **standing).update(health=Greatest(F("health") - amount, 0))
    if not updated:
        return None
    health = model.objects.values_list("health", flat=True).get(pk=pk)
    return Hit(amount, health, health == 0)


def _hit_enemy(enemy_id: int, amount: int, location_id: int) -> Hit | None:
    return _hit(Enemy, enemy_id, amount, location_id=location_id, respawn_at__isnull=True)


def _hit_character(character_id: int, amount: int, location_id: int) -> Hit | None:
    return _hit(Character, character_id, amount, location_id=location_id)


def _character_defeated(character_id: int) -> bool:
    """Claim a character's defeat (once): it respawns at its faction's home with full health."""
    character = Character.objects.select_related("faction").get(pk=character_id)
    home = character.faction.home_location_id
    claimed = Character.objects.filter(pk=character_id, health=0).update(health=F("max_health"), location_id=home)
    if claimed != 1:
        return False
    # Whatever else it was fighting is over too.
    for combat_id in Combat.objects.filter(
        Q(attacker_id=character_id) | Q(defender_id=character_id), status=Combat.Status.ACTIVE
    ).values_list("pk", flat=True):
        _finish(combat_id, winner="", loot={}, reason="defeated")
    was_at = character.location_id
    character.refresh_from_db()
    signal_on_commit(
        world_user_group(character.user_id), "combat_respawn", from_location_id=was_at, to_location_id=home
    )
    broadcast_on_commit(world_user_group(character.user_id), character_update(character))
    return True


def _finish(combat_id: int, *, winner: str, loot: dict, reason: str, also_user: int | None = None) -> bool:
    """Finish an active combat (a conditional update: once) and tell its area (and ``also_user``,
    a participant who has just left the area)."""
    finished = Combat.objects.filter(pk=combat_id, status=Combat.Status.ACTIVE).update(
        status=Combat.Status.FINISHED, winner=winner, loot=loot, ended_at=timezone.now()
    )
    if finished != 1:
        return False
    combat = _combat_locked_view(combat_id)
    frame = events.combat_end(combat, reason=reason)
    broadcast_on_commit(area_group(combat.location_id), frame, skip_user=also_user)
    if also_user is not None:
        broadcast_on_commit(world_user_group(also_user), frame)
    return True


def _tell_character(character_id: int) -> None:
    """``character_update`` to the character's own world socket: its health changed."""
    character = Character.objects.select_related("faction").get(pk=character_id)
    broadcast_on_commit(world_user_group(character.user_id), character_update(character))


def _add_xp(character_id: int, xp: int) -> None:
    Character.objects.filter(pk=character_id).update(xp=F("xp") + xp)
    character = Character.objects.select_related("faction").get(pk=character_id)
    level = 1 + character.xp // XP_PER_LEVEL
    if level > character.level:
        Character.objects.filter(pk=character_id).update(level=level)
        character.level = level
    broadcast_on_commit(world_user_group(character.user_id), character_update(character))


# --- services ----------------------------------------------------------------------------


@transaction.atomic
def combat_start(*, character_id: int, kind: str, target_id: int) -> Combat:
    """Start a fight with an enemy alive in my area, or (contested areas only) with a character of
    another faction whose world socket is in the area; ``combat_start`` goes to the area."""
    actor = Character.objects.select_for_update().filter(pk=character_id).first()
    if actor is None:
        raise NotFound("No such character.", code="character_not_found")
    if Combat.objects.filter(attacker=actor, status=Combat.Status.ACTIVE).exists():
        raise Conflict("Finish your current fight first.", code="already_in_combat")
    here = actor.location_id
    if kind == "enemy":
        enemy = Enemy.objects.filter(pk=target_id, location_id=here, health__gt=0, respawn_at__isnull=True).first()
        if enemy is None:
            raise NotFound("No such enemy alive here.", code="target_not_found")
        combat = Combat.objects.create(kind=Combat.Kind.PVE, location_id=here, attacker=actor, enemy=enemy)
    elif kind == "character":
        target = Character.objects.select_related("location").filter(pk=target_id, selected=True).first()
        if (
            target is None
            or target.pk == actor.pk
            or target.location_id != here
            or target.user_id not in users_in_area(here)
        ):
            raise NotFound("No such character here.", code="target_not_found")
        if not target.location.contested:
            raise Forbidden("Characters fight each other only in contested areas.", code="not_contested")
        if target.faction_id == actor.faction_id:
            raise Forbidden("You cannot fight your own faction.", code="forbidden")
        combat = Combat.objects.create(kind=Combat.Kind.PVP, location_id=here, attacker=actor, defender=target)
    else:
        raise ApplicationError("Target kind is enemy or character.", code="invalid")
    combat = _combat_locked_view(combat.pk)
    broadcast_on_commit(area_group(here), events.combat_start(combat))
    return combat


class _Over(Exception):
    """A strike found its fight over: the finish it wrote is committed, then ``error`` is raised."""

    def __init__(self, error: ApplicationError) -> None:
        self.error = error


def combat_action(*, character_id: int, combat_id: int, action_type: str, target_id: int | None = None) -> Combat:
    """One action in a running combat; every amount is computed here (see ``action_amount``)."""
    with transaction.atomic():
        try:
            return _combat_action(
                character_id=character_id, combat_id=combat_id, action_type=action_type, target_id=target_id
            )
        except _Over as over:
            error = over.error
    raise error


def _combat_action(*, character_id: int, combat_id: int, action_type: str, target_id: int | None) -> Combat:
    if action_type not in ACTION_TYPES:
        raise ApplicationError("action_type is attack, spell or item.", code="invalid")
    combat = Combat.objects.filter(pk=combat_id).first()
    if combat is None or character_id not in (combat.attacker_id, combat.defender_id):
        raise NotFound("No such combat of yours.", code="combat_not_found")
    # The fighters' rows first, in id order: two strikes of one PvP fight (each writing the
    # other's health, then its own xp) otherwise lock them in opposite orders and deadlock.
    fighters = sorted(pk for pk in (combat.attacker_id, combat.defender_id) if pk is not None)
    list(Character.objects.select_for_update().filter(pk__in=fighters).order_by("pk").values_list("pk", flat=True))
    combat.refresh_from_db(fields=["status"])  # as it is now that the fighters are ours
    if combat.status != Combat.Status.ACTIVE:
        raise Conflict("This combat is over.", code="combat_over")
    actor = Character.objects.get(pk=character_id)
    if actor.location_id != combat.location_id or actor.health == 0:
        raise Conflict("You are out of this combat.", code="combat_over")
    group = area_group(combat.location_id)
    amount = action_amount(actor, action_type)

    if action_type == "item":  # a healing draught, on oneself
        Character.objects.filter(pk=actor.pk, health__gt=0).update(health=Least(F("health") + amount, F("max_health")))
        health = Character.objects.values_list("health", flat=True).get(pk=actor.pk)
        broadcast_on_commit(group, events.combat_heal(combat, actor.pk, actor.pk, amount, health))
        _tell_character(actor.pk)
    elif combat.kind == Combat.Kind.PVE:
        _pve_strike(combat, actor, amount, target_id)
    else:
        _pvp_strike(combat, actor, amount, target_id)

    combat = _combat_locked_view(combat.pk)
    if combat.status == Combat.Status.ACTIVE:
        broadcast_on_commit(group, events.combat_state(combat))
    return combat


def _pve_strike(combat: Combat, actor: Character, amount: int, target_id: int | None) -> None:
    if target_id is not None and target_id != combat.enemy_id:
        raise ApplicationError("Strike the enemy you are fighting.", code="invalid_target")
    group = area_group(combat.location_id)
    hit = _hit_enemy(combat.enemy_id, amount, combat.location_id)
    if hit is None:  # someone else defeated it a moment ago
        _finish(combat.pk, winner="", loot={}, reason="target_defeated")
        raise _Over(Conflict("The enemy is already defeated.", code="target_defeated"))
    broadcast_on_commit(group, events.combat_damage(combat, actor.pk, "character", combat.enemy_id, "enemy", hit))
    if hit.defeated_now:
        enemy = Enemy.objects.get(pk=combat.enemy_id)
        claimed = Enemy.objects.filter(pk=enemy.pk, health=0, respawn_at__isnull=True).update(
            respawn_at=timezone.now() + timedelta(seconds=enemy.respawn_seconds)
        )
        if claimed != 1:
            return
        winner = f"character:{actor.pk}"
        loot = enemy_loot(enemy)
        if _finish(combat.pk, winner=winner, loot=loot, reason="victory"):
            _add_xp(actor.pk, loot["xp"])
            user = Character.objects.select_related("user").get(pk=actor.pk).user
            player_grant(user=user, reason=LOOT_REASON, reference=f"combat:{combat.pk}", gold=loot["gold"])
        # The others fighting it: over, won by the final blow, no loot of theirs.
        for other in Combat.objects.filter(enemy_id=enemy.pk, status=Combat.Status.ACTIVE).values_list("pk", flat=True):
            _finish(other, winner=winner, loot={}, reason="target_defeated")
        return
    # The enemy hits back.
    enemy = Enemy.objects.get(pk=combat.enemy_id)
    back = _hit_character(actor.pk, counter_damage(enemy), combat.location_id)
    if back is None:
        return
    broadcast_on_commit(group, events.combat_damage(combat, enemy.pk, "enemy", actor.pk, "character", back))
    if back.defeated_now:
        _finish(combat.pk, winner=f"enemy:{enemy.pk}", loot={}, reason="defeated")
        _character_defeated(actor.pk)  # tells the character it is home with full health
    else:
        _tell_character(actor.pk)


def _pvp_strike(combat: Combat, actor: Character, amount: int, target_id: int | None) -> None:
    opponent_id = combat.defender_id if actor.pk == combat.attacker_id else combat.attacker_id
    if target_id is not None and target_id != opponent_id:
        raise ApplicationError("Strike the character you are fighting.", code="invalid_target")
    hit = _hit_character(opponent_id, amount, combat.location_id)
    if hit is None:
        _finish(combat.pk, winner="", loot={}, reason="target_gone")
        raise _Over(Conflict("Your opponent is no longer here.", code="combat_over"))
    broadcast_on_commit(
        area_group(combat.location_id),
        events.combat_damage(combat, actor.pk, "character", opponent_id, "character", hit),
    )
    if hit.defeated_now:
        defeated = Character.objects.get(pk=opponent_id)
        loot = pvp_loot(defeated)
        if _finish(combat.pk, winner=f"character:{actor.pk}", loot=loot, reason="victory"):
            _add_xp(actor.pk, loot["xp"])
        _character_defeated(opponent_id)  # tells the character it is home with full health
    else:
        _tell_character(opponent_id)


@transaction.atomic
def combats_end_for(*, character_id: int, reason: str) -> int:
    """The character moved away or its socket closed: its running combats end, nobody wins."""
    ended = 0
    user_id = Character.objects.filter(pk=character_id).values_list("user_id", flat=True).first()
    if user_id is None:
        return 0
    for combat_id in Combat.objects.filter(
        Q(attacker_id=character_id) | Q(defender_id=character_id), status=Combat.Status.ACTIVE
    ).values_list("pk", flat=True):
        ended += _finish(combat_id, winner="", loot={}, reason=reason, also_user=user_id)
    return ended

"""Cooperative battles: join for stamina, server-computed attacks, one defeat, loot once each.

Lock order, everywhere: the battle row, then participant rows, then player rows
in id order. Attacks lock the battle row, so concurrent attacks on one battle
are serialised: HP never goes below zero and only the attack that takes the
last HP defeats the enemy.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction

from accounts.models import User
from gameplatform.broadcast.groups import battle_group
from gameplatform.broadcast.realtime import agroup_send, broadcast_on_commit
from gameplatform.chat import speech
from gameplatform.core.errors import ApplicationError, Conflict, Forbidden, NotFound
from gameplatform.data.ratelimit import Budget
from progression import clock, events, rules
from progression.models import Battle, BattleParticipant, EnemyTemplate, LootEntry, Player
from progression.selectors import player_combat_stats
from progression.services.items import egg_grant, inventory_grant
from progression.services.players import balance_change, player_add_xp, player_lock

# Battle chat: at most 3 messages in any 2 s per user (its own budget, apart from lobby chat).
CHAT_RATE = Budget("battle_chat:user", limit=3, window=2.0, what="messages")


@dataclass(frozen=True)
class AttackResult:
    battle_id: int
    user_id: int
    damage: int
    enemy_hp: int
    defeated: bool


def battle_create(*, enemy: EnemyTemplate) -> Battle:
    return Battle.objects.create(
        enemy=enemy,
        hp=enemy.max_hp,
        max_hp=enemy.max_hp,
        stamina_cost=enemy.stamina_cost,
        max_participants=enemy.max_participants,
    )


def battles_reopen() -> int:
    """Open a battle for every ``keep_open`` enemy that has none open; returns how many were opened.

    Each enemy row is locked while it is checked, so two timer runners never
    open two battles for the same enemy.
    """
    opened = 0
    for enemy_id in EnemyTemplate.objects.filter(keep_open=True).values_list("pk", flat=True):
        with transaction.atomic():
            enemy = EnemyTemplate.objects.select_for_update().get(pk=enemy_id)
            if not Battle.objects.filter(enemy=enemy, status=Battle.Status.OPEN).exists():
                battle_create(enemy=enemy)
                opened += 1
    return opened


def _battle_locked(battle_id: int) -> Battle:
    battle = Battle.objects.select_for_update().filter(pk=battle_id).first()
    if battle is None:
        raise NotFound("No such battle.")
    return battle


@transaction.atomic
def battle_join(*, user: User, battle_id: int) -> BattleParticipant:
    """Join an open battle for its stamina cost (400 ``not_enough_stamina``)."""
    battle = _battle_locked(battle_id)
    if battle.status != Battle.Status.OPEN:
        raise Conflict("This battle is over.", code="battle_over")
    if BattleParticipant.objects.filter(battle=battle, player_id=user.pk).exists():
        raise Conflict("You are already in this battle.", code="already_joined")
    if BattleParticipant.objects.filter(battle=battle).count() >= battle.max_participants:
        raise Conflict("This battle is full.", code="battle_full")
    player = player_lock(user_id=user.pk)
    if battle.stamina_cost:
        balance_change(
            player=player, stamina=-battle.stamina_cost, reason="battle_join", reference=f"battle:{battle.pk}"
        )
    participant = BattleParticipant.objects.create(battle=battle, player=player)
    broadcast_on_commit(battle_group(battle.pk), events.participant_joined(user=user, battle=battle))
    return participant


def _participant_locked(battle: Battle, user_id: int) -> BattleParticipant:
    participant = BattleParticipant.objects.select_for_update().filter(battle=battle, player_id=user_id).first()
    if participant is None:
        raise Forbidden("Join the battle first.", code="not_participant")
    return participant


@transaction.atomic
def battle_attack(*, user: User, battle_id: int) -> AttackResult:
    """One attack; damage comes from the attacker's stats, items, pets and a bounded roll.

    One attack per ``ATTACK_COOLDOWN_SECONDS`` per player and battle (429
    ``attack_cooldown`` with ``retry_after``).
    """
    battle = _battle_locked(battle_id)
    participant = _participant_locked(battle, user.pk)
    if battle.status != Battle.Status.OPEN:
        raise Conflict("The enemy is already defeated.", code="battle_over")
    now = clock.now()
    if participant.last_attack_at is not None:
        ready_at = participant.last_attack_at + timedelta(seconds=rules.ATTACK_COOLDOWN_SECONDS)
        if now < ready_at:
            wait = (ready_at - now).total_seconds()
            raise ApplicationError(
                "You attacked too recently.",
                code="attack_cooldown",
                status_code=429,
                extra={"retry_after": round(wait, 3)},
            )
    stats, pet_power = player_combat_stats(user_id=user.pk)
    rolled = rules.roll_damage(stats=stats, pet_power_total=pet_power)
    damage = min(rolled, battle.hp)
    battle.hp -= damage
    fields = ["hp"]
    if battle.hp == 0:
        battle.status, battle.defeated_at = Battle.Status.DEFEATED, now
        fields += ["status", "defeated_at"]
    battle.save(update_fields=fields)
    participant.damage_dealt += damage
    participant.attacks += 1
    participant.last_attack_at = now
    participant.save(update_fields=["damage_dealt", "attacks", "last_attack_at"])
    group = battle_group(battle.pk)
    broadcast_on_commit(group, events.attack(user_id=user.pk, damage=damage, enemy_hp=battle.hp))
    if battle.hp == 0:
        _award_victory(battle)
    return AttackResult(battle.pk, user.pk, damage, battle.hp, battle.hp == 0)


def _award_victory(battle: Battle) -> None:
    """Runs once: only the attack that took the last HP gets here (the battle row is locked)."""
    xp = battle.enemy.xp_reward
    participants = list(BattleParticipant.objects.filter(battle=battle).order_by("player_id"))
    players = Player.objects.select_for_update().filter(pk__in=[p.player_id for p in participants]).order_by("pk")
    for player in players:
        player_add_xp(player=player, xp=xp)
    BattleParticipant.objects.filter(battle=battle).update(xp_awarded=xp)
    broadcast_on_commit(battle_group(battle.pk), events.enemy_defeated(battle=battle, participants=participants, xp=xp))


def battle_require_participant(*, battle_id: int, user_id: int) -> None:
    """Socket access: 4404 for an unknown battle, 4403 for someone who has not joined."""
    if not Battle.objects.filter(pk=battle_id).exists():
        raise NotFound("No such battle.")
    if not BattleParticipant.objects.filter(battle_id=battle_id, player_id=user_id).exists():
        raise Forbidden("Join the battle first.", code="not_participant")


@transaction.atomic
def battle_claim_loot(*, user: User, battle_id: int) -> BattleParticipant:
    """Roll the enemy's loot table for this participant, once (409 ``already_claimed``)."""
    battle = Battle.objects.select_related("enemy").filter(pk=battle_id).first()
    if battle is None:
        raise NotFound("No such battle.")
    participant = BattleParticipant.objects.select_for_update().filter(battle=battle, player_id=user.pk).first()
    if participant is None:
        raise Forbidden("Only participants get loot.", code="not_participant")
    if battle.status != Battle.Status.DEFEATED:
        raise Conflict("The enemy is not defeated yet.", code="battle_not_over")
    if participant.loot_claimed_at is not None:
        raise Conflict("You already claimed this loot.", code="already_claimed")
    player = player_lock(user_id=user.pk)
    participant.loot = [_grant_loot(player, entry, battle) for entry in _rolled_loot(battle)]
    participant.loot_claimed_at = clock.now()
    participant.save(update_fields=["loot", "loot_claimed_at"])
    return participant


def _rolled_loot(battle: Battle) -> list[LootEntry]:
    entries = LootEntry.objects.filter(enemy_id=battle.enemy_id).select_related("item", "egg_species")
    return [entry for entry in entries if entry.chance >= 100 or clock.roll(0, 100) < entry.chance]


def _grant_loot(player: Player, entry: LootEntry, battle: Battle) -> dict:
    if entry.kind == LootEntry.Kind.GOLD:
        balance_change(player=player, gold=entry.amount, reason="loot", reference=f"battle:{battle.pk}")
        return {"kind": "gold", "amount": entry.amount}
    if entry.kind == LootEntry.Kind.ITEM:
        inventory_grant(player=player, template=entry.item, quantity=entry.amount)
        return {"kind": "item", "amount": entry.amount, "item_id": entry.item_id, "name": entry.item.name}
    egg_grant(player=player, species=entry.egg_species, quantity=entry.amount, source="loot")
    return {"kind": "egg", "amount": entry.amount, "species_id": entry.egg_species_id, "name": entry.egg_species.name}


async def abattle_chat_post(*, battle_id: int, user: User, message: str) -> None:
    """Battle chat from a participant's socket: at most 3 messages in any 2 s per user (sliding
    window, shared store), counted on arrival; not stored, so no database work and no thread hop."""
    message = await speech.asaid(user.pk, message)
    await CHAT_RATE.aspend(user.pk)
    await agroup_send(battle_group(battle_id), events.chat(user=user, message=message))

"""The combat frames of the world socket (one function per frame type)."""

from world.events import character_brief


def _fighter(character) -> dict | None:
    if character is None:
        return None
    return {**character_brief(character), "health": character.health, "max_health": character.max_health}


def combat_payload(combat) -> dict:
    enemy = combat.enemy
    return {
        "id": combat.pk,
        "kind": combat.kind,
        "status": combat.status,
        "location_id": combat.location_id,
        "attacker": _fighter(combat.attacker),
        "defender": _fighter(combat.defender),
        "enemy": (
            None
            if enemy is None
            else {
                "id": enemy.pk,
                "name": enemy.name,
                "level": enemy.level,
                "health": enemy.health,
                "max_health": enemy.max_health,
            }
        ),
        "winner": combat.winner or None,
        "loot": combat.loot,
        "started_at": combat.started_at.isoformat(),
        "ended_at": combat.ended_at.isoformat() if combat.ended_at else None,
    }


def combat_start(combat) -> dict:
    return {"type": "combat_start", "combat": combat_payload(combat)}


def combat_state(combat) -> dict:
    return {"type": "combat_state", "combat": combat_payload(combat)}


def combat_damage(combat, source_id: int, source_kind: str, target_id: int, target_kind: str, hit) -> dict:
    return {
        "type": "combat_damage",
        "combat_id": combat.pk,
        "source_id": source_id,
        "source_kind": source_kind,
        "target_id": target_id,
        "target_kind": target_kind,
        "amount": hit.amount,
        "target_health": hit.health,
    }


def combat_heal(combat, source_id: int, target_id: int, amount: int, target_health: int) -> dict:
    return {
        "type": "combat_heal",
        "combat_id": combat.pk,
        "source_id": source_id,
        "target_id": target_id,
        "amount": amount,
        "target_health": target_health,
    }


def combat_end(combat, *, reason: str) -> dict:
    return {
        "type": "combat_end",
        "combat_id": combat.pk,
        "winner": combat.winner or None,
        "loot": combat.loot,
        "reason": reason,
    }

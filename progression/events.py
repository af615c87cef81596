"""Payload builders for battle socket frames (pure functions)."""


def attack(*, user_id: int, damage: int, enemy_hp: int) -> dict:
    return {"type": "attack", "user_id": user_id, "damage": damage, "enemy_hp": enemy_hp}


def enemy_defeated(*, battle, participants, xp: int) -> dict:
    return {
        "type": "enemy_defeated",
        "battle_id": battle.pk,
        "enemy": battle.enemy.name,
        "xp": xp,
        "participants": [{"user_id": p.player_id, "damage": p.damage_dealt} for p in participants],
    }


def participant_joined(*, user, battle) -> dict:
    return {"type": "participant_joined", "battle_id": battle.pk, "user_id": user.pk, "username": user.username}


def presence(kind: str, *, user) -> dict:
    return {"type": kind, "user_id": user.pk, "username": user.username}


def chat(*, user, message: str) -> dict:
    return {"type": "chat", "user_id": user.pk, "username": user.username, "message": message}

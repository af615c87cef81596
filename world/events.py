"""The world's frames, as the contract writes them (one function per frame type).

The combat and trading frames are beside their services (``world.combat.events``,
``world.trading.events``)."""

from world.models import Character, WorldEvent


def character_payload(character: Character) -> dict:
    return {
        "id": character.pk,
        "name": character.name,
        "faction": character.faction.name,
        "level": character.level,
        "xp": character.xp,
        "health": character.health,
        "max_health": character.max_health,
        "location_id": character.location_id,
        "selected": character.selected,
        "created_at": character.created_at.isoformat(),
    }


def world_announcement(event: WorldEvent) -> dict:
    return {
        "type": "world_announcement",
        "message": event.payload["message"],
        "event_id": event.pk,
        "created_at": event.created_at.isoformat(),
    }


def character_brief(character: Character) -> dict:
    """A character as other players see it: in an area's list, or fighting in a combat."""
    return {
        "character_id": character.pk,
        "name": character.name,
        "faction": character.faction.name,
        "level": character.level,
    }


def nearby_payload(character: Character) -> dict:
    return {**character_brief(character), "position": character.position}


def location_payload(location) -> dict:
    shard = getattr(location, "shard", None)
    return {
        "id": location.pk,
        "name": location.name,
        "neighbours": sorted(n.pk for n in location.neighbours.all()),
        "contested": location.contested,
        "shard_id": shard.pk if shard is not None else None,
        "enemies": [
            {"id": e.pk, "name": e.name, "level": e.level, "health": e.health, "max_health": e.max_health}
            for e in location.alive_enemies
        ],
    }


def shard_payload(shard) -> dict:
    return {
        "id": shard.pk,
        "name": shard.name,
        "location_id": shard.location_id,
        "owner_faction": shard.owner_faction.name if shard.owner_faction else None,
        "captured_at": shard.captured_at.isoformat() if shard.captured_at else None,
    }


def welcome(*, version: int, character, location, nearby, reality: str, shards) -> dict:
    return {
        "type": "welcome",
        "protocol_version": version,
        "character": character_payload(character),
        "location": location_payload(location),
        "nearby": [nearby_payload(c) for c in nearby],
        "world": {"current_reality": reality, "shards": [shard_payload(s) for s in shards]},
    }


def player_joined_area(character: Character) -> dict:
    return {"type": "player_joined_area", "character": nearby_payload(character)}


def player_left_area(character_id: int) -> dict:
    return {"type": "player_left_area", "character_id": character_id}


def location_update(character_id: int, from_id: int, to_id: int) -> dict:
    return {
        "type": "location_update",
        "character_id": character_id,
        "from_location_id": from_id,
        "to_location_id": to_id,
    }


def nearby(location_id: int, characters) -> dict:
    return {"type": "nearby", "location_id": location_id, "characters": [nearby_payload(c) for c in characters]}


def position_update(character_id: int, position: dict, velocity: dict) -> dict:
    return {"type": "position_update", "character_id": character_id, "position": position, "velocity": velocity}


def chat(channel: str, sender: Character, message: str, at: str) -> dict:
    return {
        "type": "chat",
        "channel": channel,
        "sender": {"character_id": sender.pk, "name": sender.name, "faction": sender.faction.name},
        "message": message,
        "created_at": at,
    }


def whisper(sender: Character, target: Character, message: str, at: str) -> dict:
    return {
        "type": "whisper",
        "from": {"character_id": sender.pk, "name": sender.name},
        "to": {"character_id": target.pk, "name": target.name},
        "message": message,
        "created_at": at,
    }


def shard_captured_payload(shard, character: Character) -> dict:
    return {
        "shard_id": shard.pk,
        "shard_name": shard.name,
        "faction": character.faction.name,
        "character_id": character.pk,
        "character_name": character.name,
    }


def shard_captured(shard, character: Character) -> dict:
    return {
        "type": "shard_captured",
        "shard": shard_payload(shard),
        "faction": character.faction.name,
        "character": {"character_id": character.pk, "name": character.name},
    }


def shard_status(shard) -> dict:
    return {"type": "shard_status", "shard": shard_payload(shard)}


def reality_shift(event: WorldEvent) -> dict:
    return {"type": "reality_shift", "reality": event.payload["reality"], "event_id": event.pk}


def aetherfall(event: WorldEvent) -> dict:
    return {"type": "aetherfall", **event.payload, "event_id": event.pk}


def character_update(character) -> dict:
    return {"type": "character_update", "character": character_payload(character)}

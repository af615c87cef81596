"""The trading frames of the world socket (one function per frame type); ``trade_payload`` is
also the shape of ``GET /api/trades/``."""

from world.models import Character


def trade_payload(trade) -> dict:
    """``{id, from_character, to_character, status, offers, created_at, completed_at}``."""

    def side(character: Character) -> dict:
        return {"id": character.pk, "name": character.name}

    return {
        "id": trade.pk,
        "from_character": side(trade.from_character),
        "to_character": side(trade.to_character),
        "status": trade.status,
        "offers": [
            {
                "character_id": offer.character_id,
                "items": [
                    {key: entry[key] for key in ("inventory_id", "quantity", "template_id", "name") if key in entry}
                    for entry in offer.items
                ],
                "gold": offer.gold,
                "confirmed": offer.confirmed,
            }
            for offer in trade.offers.all()
        ],
        "created_at": trade.created_at.isoformat(),
        "completed_at": trade.completed_at.isoformat() if trade.completed_at else None,
    }


def trade_request(trade) -> dict:
    return {"type": "trade_request", "trade": trade_payload(trade)}


def trade_update(trade) -> dict:
    return {"type": "trade_update", "trade": trade_payload(trade)}


def trade_declined(trade) -> dict:
    return {"type": "trade_declined", "trade": trade_payload(trade)}


def trade_complete(trade) -> dict:
    return {"type": "trade_complete", "trade": trade_payload(trade)}


def trade_cancelled(trade, reason: str) -> dict:
    return {"type": "trade_cancelled", "trade": trade_payload(trade), "reason": reason}

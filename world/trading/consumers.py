"""The trading frames of the world socket (a mixin of ``world.consumers.WorldConsumer``).

The work is ``world.trading.services``'; its frames reach both sides' world sockets after commit.
"""

from gameplatform.data import db
from gameplatform.http import serializers
from gameplatform.sockets.consumers import receives
from world.trading import services

MAX_GOLD = 10**12


class TradeRequestInput(serializers.Serializer):
    to_character_id = serializers.IntegerField(min_value=1)


class TradeIdInput(serializers.Serializer):
    trade_id = serializers.IntegerField(min_value=1)


class OfferItemInput(serializers.Serializer):
    inventory_id = serializers.IntegerField(min_value=1)
    quantity = serializers.IntegerField(min_value=1, max_value=1_000_000, default=1)


class TradeUpdateInput(TradeIdInput):
    items = OfferItemInput(many=True, required=False, default=list, max_length=services.MAX_OFFER_ITEMS)
    gold = serializers.IntegerField(min_value=0, max_value=MAX_GOLD, default=0)


class TradeFrames:
    trade_frame_types: frozenset[str] = frozenset(
        {"trade_request", "trade_accept", "trade_decline", "trade_update", "trade_confirm", "trade_cancel"}
    )

    @receives(
        TradeRequestInput, errors=("character_not_found", "forbidden", "invalid_target", "not_in_area", "trade_exists")
    )
    async def handle_trade_request(self, frame: dict) -> None:
        """`{to_character_id}`: propose a trade to a character in my area."""
        data = self.validate(TradeRequestInput, frame)
        await db.run(services.trade_request, character_id=self.character.pk, **data)

    @receives(TradeIdInput, errors=("forbidden", "trade_not_found", "trade_not_requested"))
    async def handle_trade_accept(self, frame: dict) -> None:
        """`{trade_id}`: accept a proposed trade."""
        data = self.validate(TradeIdInput, frame)
        await db.run(services.trade_accept, character_id=self.character.pk, **data)

    @receives(TradeIdInput, errors=("forbidden", "trade_not_found", "trade_not_requested"))
    async def handle_trade_decline(self, frame: dict) -> None:
        """`{trade_id}`: decline a proposed trade."""
        data = self.validate(TradeIdInput, frame)
        await db.run(services.trade_decline, character_id=self.character.pk, **data)

    @receives(TradeUpdateInput, errors=("trade_not_found", "trade_not_open"))
    async def handle_trade_update(self, frame: dict) -> None:
        """`{trade_id, items: [{inventory_id, quantity}], gold}`: set my offer (clears both confirmations)."""
        data = self.validate(TradeUpdateInput, frame)
        items = [dict(entry) for entry in data["items"]]
        await db.run(
            services.trade_update,
            character_id=self.character.pk,
            trade_id=data["trade_id"],
            items=items,
            gold=data["gold"],
        )

    @receives(
        TradeIdInput,
        errors=("insufficient_funds", "not_enough_stamina", "offer_unavailable", "trade_not_found", "trade_not_open"),
    )
    async def handle_trade_confirm(self, frame: dict) -> None:
        """`{trade_id}`: confirm; when both have, the swap happens."""
        data = self.validate(TradeIdInput, frame)
        await db.run(services.trade_confirm, character_id=self.character.pk, **data)

    @receives(TradeIdInput, errors=("trade_not_active", "trade_not_found"))
    async def handle_trade_cancel(self, frame: dict) -> None:
        """`{trade_id}`: cancel the trade."""
        data = self.validate(TradeIdInput, frame)
        await db.run(services.trade_cancel, character_id=self.character.pk, **data)

    async def trades_moved(self, from_location_id: int, to_location_id: int) -> None:
        """The character moved to another area (its open trades are cancelled)."""
        await db.run_always(services.trades_cancel_for, character_id=self.character.pk, reason="left_area")

    async def trades_disconnected(self) -> None:
        """The world socket closed (its open trades are cancelled)."""
        if self.character is not None:
            await db.run_always(services.trades_cancel_for, character_id=self.character.pk, reason="disconnected")

"""REST routes of trading: ``GET /api/trades/`` (a trade runs on the world socket)."""

from drf_spectacular.utils import extend_schema
from rest_framework.generics import ListAPIView

from gameplatform.http import serializers
from world.trading.events import trade_payload
from world.trading.services import trade_list

TAGS = ["world"]


class TradeSideSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class TradeOfferItemSerializer(serializers.Serializer):
    inventory_id = serializers.IntegerField()
    quantity = serializers.IntegerField()
    template_id = serializers.IntegerField()
    name = serializers.CharField()


class TradeOfferSerializer(serializers.Serializer):
    character_id = serializers.IntegerField()
    items = TradeOfferItemSerializer(many=True)
    gold = serializers.IntegerField()
    confirmed = serializers.BooleanField()


class TradeSerializer(serializers.Serializer):
    """A trade as the world socket's trade frames carry it."""

    id = serializers.IntegerField()
    from_character = TradeSideSerializer()
    to_character = TradeSideSerializer()
    status = serializers.CharField()
    offers = TradeOfferSerializer(many=True)
    created_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, instance):
        return trade_payload(instance)


@extend_schema(tags=TAGS)
class TradeListApi(ListAPIView):
    """My trades (of any of my characters), newest first."""

    serializer_class = TradeSerializer

    def get_queryset(self):
        return trade_list(user_id=self.request.user.pk)

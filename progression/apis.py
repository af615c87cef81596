"""REST views: one per operation, thin: parse, call a service or selector, answer."""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from gameplatform.data.ratelimit import Budget, SlidingWindowThrottle
from gameplatform.http import serializers
from gameplatform.http.openapi import error_codes
from progression import selectors, services
from progression.models import Player
from progression.serializers import (
    BattleHistorySerializer,
    BattleSerializer,
    EggSerializer,
    InventoryItemSerializer,
    LedgerEntrySerializer,
    LootLineSerializer,
    PetSerializer,
    PlayerProfileSerializer,
    PurchaseSerializer,
    ShopItemSerializer,
)


class ProgressionWriteThrottle(SlidingWindowThrottle):
    """Writes of this area: 120 per minute per user, on top of the per-operation rules."""

    budget = Budget("progression_write", limit=120, window=60.0, what="writes")


class WriteApi(APIView):
    throttle_classes = [ProgressionWriteThrottle]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # The profile exists before the operation's transaction, so a refused
        # first purchase does not roll the new profile back with it.
        services.player_ensure(user_id=request.user.pk)


def _profile(user_id: int) -> dict:
    player = services.player_sync(user_id=user_id)
    return PlayerProfileSerializer(selectors.player_profile(player=player)).data


# --- player -----------------------------------------------------------------


class PlayerMeApi(APIView):
    @extend_schema(responses={200: PlayerProfileSerializer}, tags=["player"])
    def get(self, request):
        return Response(_profile(request.user.pk))


class PlayerAllocateStatsApi(WriteApi):
    class InputSerializer(serializers.Serializer):
        strength = serializers.IntegerField(min_value=0, max_value=1000, required=False, default=0)
        agility = serializers.IntegerField(min_value=0, max_value=1000, required=False, default=0)
        intelligence = serializers.IntegerField(min_value=0, max_value=1000, required=False, default=0)
        vitality = serializers.IntegerField(min_value=0, max_value=1000, required=False, default=0)

        def validate(self, attrs):
            if not sum(attrs.values()):
                raise serializers.ValidationError({"non_field_errors": ["Allocate at least one point."]})
            return attrs

    @extend_schema(request=InputSerializer, responses={200: PlayerProfileSerializer}, tags=["player"])
    @error_codes({400: ("not_enough_stat_points",)})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.player_allocate_stats(user=request.user, **data.validated_data)
        return Response(_profile(request.user.pk))


class PlayerRegenerateStaminaApi(WriteApi):
    class OutputSerializer(serializers.Serializer):
        stamina = serializers.IntegerField()
        max_stamina = serializers.IntegerField()
        stamina_updated_at = serializers.DateTimeField()

    @extend_schema(request=None, responses={200: OutputSerializer}, tags=["player"])
    def post(self, request):
        player = services.player_regenerate_stamina(user=request.user)
        return Response(self.OutputSerializer(player).data)


class PlayerLedgerApi(ListAPIView):
    serializer_class = LedgerEntrySerializer

    def get_queryset(self):
        return selectors.ledger_for(user=self.request.user)

    @extend_schema(tags=["player"])
    def get(self, request, *args, **kwargs):
        services.player_sync(user_id=request.user.pk)  # first use creates the profile and its ledger
        return super().get(request, *args, **kwargs)


# --- inventory --------------------------------------------------------------


@extend_schema(tags=["inventory"])
class InventoryListApi(ListAPIView):
    serializer_class = InventoryItemSerializer

    def get_queryset(self):
        return selectors.inventory_for(user=self.request.user)


class InventoryEquipApi(WriteApi):
    @extend_schema(request=None, responses={200: InventoryItemSerializer}, tags=["inventory"])
    def post(self, request, inventory_id: int):
        item = services.inventory_equip(user=request.user, inventory_id=inventory_id)
        return Response(InventoryItemSerializer(item).data)


class InventoryUnequipApi(WriteApi):
    @extend_schema(request=None, responses={200: InventoryItemSerializer}, tags=["inventory"])
    @error_codes({400: ("invalid_slot",), 404: ("not_equipped",)})
    def post(self, request, slot: str):
        item = services.inventory_unequip(user=request.user, slot=slot)
        return Response(InventoryItemSerializer(item).data)


# --- pets -------------------------------------------------------------------


class PetListApi(ListAPIView):
    """A page of pets (``results``) with every egg beside it (``eggs``)."""

    serializer_class = PetSerializer

    class OutputSerializer(serializers.Serializer):
        count = serializers.IntegerField()
        next = serializers.URLField(allow_null=True)
        previous = serializers.URLField(allow_null=True)
        results = PetSerializer(many=True)
        eggs = EggSerializer(many=True)
        equipped_max = serializers.IntegerField()

    def get_queryset(self):
        return selectors.pets_for(user=self.request.user)

    @extend_schema(responses={200: OutputSerializer}, tags=["pets"])
    def get(self, request, *args, **kwargs):
        from progression.rules import PETS_EQUIPPED_MAX

        response = super().get(request, *args, **kwargs)
        response.data["eggs"] = EggSerializer(selectors.eggs_for(user=request.user), many=True).data
        response.data["equipped_max"] = PETS_EQUIPPED_MAX
        return response


class PetHatchApi(WriteApi):
    @extend_schema(request=None, responses={201: PetSerializer}, tags=["pets"])
    def post(self, request, egg_id: int):
        pet = services.egg_hatch(user=request.user, egg_id=egg_id)
        return Response(PetSerializer(pet).data, status=status.HTTP_201_CREATED)


class PetFeedApi(WriteApi):
    class OutputSerializer(serializers.Serializer):
        pet = PetSerializer()
        gold = serializers.IntegerField()

    @extend_schema(request=None, responses={200: OutputSerializer}, tags=["pets"])
    @error_codes({400: ("insufficient_funds",), 409: ("pet_max_level",)})
    def post(self, request, pet_id: int):
        pet = services.pet_feed(user=request.user, pet_id=pet_id)
        gold = Player.objects.values_list("gold", flat=True).get(pk=request.user.pk)
        return Response({"pet": PetSerializer(pet).data, "gold": gold})


class PetEquipApi(WriteApi):
    @extend_schema(request=None, responses={200: PetSerializer}, tags=["pets"])
    @error_codes({409: ("too_many_pets",)})
    def post(self, request, pet_id: int):
        return Response(PetSerializer(services.pet_equip(user=request.user, pet_id=pet_id)).data)


class PetUnequipApi(WriteApi):
    @extend_schema(request=None, responses={200: PetSerializer}, tags=["pets"])
    def post(self, request, pet_id: int):
        return Response(PetSerializer(services.pet_unequip(user=request.user, pet_id=pet_id)).data)


# --- shop -------------------------------------------------------------------


@extend_schema(tags=["shop"])
class ShopItemListApi(ListAPIView):
    serializer_class = ShopItemSerializer

    def get_queryset(self):
        return selectors.shop_catalog()

    shop_context: dict = {}

    def list(self, request, *args, **kwargs):
        services.player_ensure(user_id=request.user.pk)  # a new player's starting gems count
        gems = Player.objects.values_list("gems", flat=True).get(pk=request.user.pk)
        self.shop_context = {"gem_packs": selectors.gem_packs_by_value(), "gems": gems}
        return super().list(request, *args, **kwargs)

    def get_serializer_context(self):
        # Filled by a request (``list``); the API document's generator asks without one.
        return {**super().get_serializer_context(), **self.shop_context}


class ShopPurchaseApi(WriteApi):
    class InputSerializer(serializers.Serializer):
        shop_item_id = serializers.IntegerField()
        quantity = serializers.IntegerField(min_value=1, max_value=99, default=1)
        pay_with = serializers.ChoiceField(
            choices=["gold", "gems"], required=False, help_text="For items priced in both; gold by default."
        )

    class OutputSerializer(serializers.Serializer):
        purchase = PurchaseSerializer()
        gold = serializers.IntegerField()
        gems = serializers.IntegerField()

    @extend_schema(
        request=InputSerializer,
        responses={201: OutputSerializer},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=False,
                description=(
                    "A retried purchase with the same key returns the first answer and charges once. "
                    "Any length; the whole key counts."
                ),
            )
        ],
        tags=["shop"],
    )
    @error_codes(
        {
            400: ("insufficient_funds", "not_for_sale", "not_for_sale_in_currency", "out_of_stock"),
            403: ("age_required", "not_allowed_in_country", "not_allowed_for_age"),
            404: ("not_found",),
            409: ("idempotency_key_reused",),
        }
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        args = dict(data.validated_data)
        key = request.headers.get("Idempotency-Key", "").strip() or None  # any length: the whole key counts
        header = settings.GEO_COUNTRY_HEADER
        country = request.headers.get(header, "")[:8] if header else ""

        def run():
            purchase = services.shop_purchase(user=request.user, country=country, **args)
            balances = Player.objects.values("gold", "gems").get(pk=request.user.pk)
            body = {"purchase": purchase, **balances}
            return status.HTTP_201_CREATED, self.OutputSerializer(body).data

        status_code, body = services.idempotent(user=request.user, key=key, payload=args, run=run)
        return Response(body, status=status_code)


# --- battles ----------------------------------------------------------------


@extend_schema(tags=["battles"])
class BattleAvailableApi(ListAPIView):
    serializer_class = BattleSerializer

    def get_queryset(self):
        return selectors.battles_available()


class BattleDetailApi(APIView):
    @extend_schema(responses={200: BattleSerializer}, tags=["battles"])
    def get(self, request, battle_id: int):
        return Response(BattleSerializer(selectors.battle_get(battle_id=battle_id)).data)


class BattleJoinApi(WriteApi):
    @extend_schema(request=None, responses={200: BattleSerializer}, tags=["battles"])
    @error_codes({400: ("not_enough_stamina",), 409: ("already_joined", "battle_full", "battle_over")})
    def post(self, request, battle_id: int):
        services.battle_join(user=request.user, battle_id=battle_id)
        return Response(BattleSerializer(selectors.battle_get(battle_id=battle_id)).data)


class BattleAttackApi(APIView):
    """No body is read: damage is the server's to compute (one attack per second per player)."""

    class OutputSerializer(serializers.Serializer):
        battle_id = serializers.IntegerField()
        user_id = serializers.IntegerField()
        damage = serializers.IntegerField()
        enemy_hp = serializers.IntegerField()
        defeated = serializers.BooleanField()

    @extend_schema(request=None, responses={200: OutputSerializer}, tags=["battles"])
    @error_codes({403: ("not_participant",), 409: ("battle_over",), 429: ("attack_cooldown",)})
    def post(self, request, battle_id: int):
        result = services.battle_attack(user=request.user, battle_id=battle_id)
        return Response(self.OutputSerializer(result).data)


class BattleClaimLootApi(WriteApi):
    class OutputSerializer(serializers.Serializer):
        battle_id = serializers.IntegerField()
        loot = LootLineSerializer(many=True)
        gold = serializers.IntegerField()

    @extend_schema(request=None, responses={200: OutputSerializer}, tags=["battles"])
    @error_codes({403: ("not_participant",), 409: ("already_claimed", "battle_not_over")})
    def post(self, request, battle_id: int):
        participant = services.battle_claim_loot(user=request.user, battle_id=battle_id)
        gold = Player.objects.values_list("gold", flat=True).get(pk=request.user.pk)
        return Response(self.OutputSerializer({"battle_id": battle_id, "loot": participant.loot, "gold": gold}).data)


@extend_schema(tags=["battles"])
class BattleHistoryApi(ListAPIView):
    serializer_class = BattleHistorySerializer

    def get_queryset(self):
        return selectors.battle_history(user=self.request.user)

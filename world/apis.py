"""REST routes of the world: characters, the world's state, locations, events, announcements."""

from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from gameplatform.core.errors import NotFound
from gameplatform.http import serializers
from gameplatform.http.openapi import error_codes
from world import selectors, services
from world.models import CHARACTER_NAME_MAX
from world.serializers import (
    CharacterSerializer,
    FactionSerializer,
    LocationSerializer,
    NearbyCharacterSerializer,
    ShardSerializer,
    WorldEventSerializer,
    WorldStateSerializer,
)

TAGS = ["world"]


@extend_schema(tags=TAGS)
class FactionListApi(ListAPIView):
    serializer_class = FactionSerializer

    def get_queryset(self):
        return selectors.faction_list()


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string"}]})
class FactionField(serializers.Field):
    """A faction's id or its name."""

    default_error_messages = {"invalid": "No such faction."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (int, str)):
            self.fail("invalid")
        faction = services.faction_named(data)
        if faction is None:
            self.fail("invalid")
        return faction

    def to_representation(self, value):
        return value.name


@extend_schema(tags=TAGS)
class CharactersApi(ListAPIView):
    serializer_class = CharacterSerializer

    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(
            max_length=CHARACTER_NAME_MAX,
            trim_whitespace=False,
            validators=[RegexValidator(services.NAME_PATTERN, services.NAME_RULE)],
        )
        faction = FactionField()

    def get_queryset(self):
        return selectors.character_list(user_id=self.request.user.pk)

    @extend_schema(
        request=InputSerializer,
        responses={201: CharacterSerializer},
        tags=TAGS,
    )
    @error_codes({400: ("text_refused",), 409: ("name_taken", "too_many_characters")})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        character = services.character_create(user=request.user, **data.validated_data)
        return Response(CharacterSerializer(character).data, status=status.HTTP_201_CREATED)


class CharacterSelectApi(APIView):
    class InputSerializer(serializers.Serializer):
        character_id = serializers.IntegerField(min_value=1)

    @extend_schema(
        request=InputSerializer,
        responses={200: CharacterSerializer},
        tags=TAGS,
    )
    @error_codes({404: ("character_not_found",)})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        character = services.character_select(user=request.user, **data.validated_data)
        return Response(CharacterSerializer(character).data)


class CharacterDetailApi(APIView):
    @extend_schema(responses={204: None}, tags=TAGS)
    @error_codes({404: ("character_not_found",), 409: ("character_busy",)})
    def delete(self, request, character_id: int):
        services.character_delete(user=request.user, character_id=character_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WorldStateApi(APIView):
    @extend_schema(responses={200: WorldStateSerializer}, tags=TAGS)
    def get(self, request):
        return Response(WorldStateSerializer(selectors.world_state_view()).data)


@extend_schema(tags=TAGS)
class ShardListApi(ListAPIView):
    serializer_class = ShardSerializer

    def get_queryset(self):
        return selectors.shard_list()


@extend_schema(tags=TAGS)
class EventListApi(ListAPIView):
    serializer_class = WorldEventSerializer

    def get_queryset(self):
        return selectors.event_list()


@extend_schema(tags=TAGS)
class LocationListApi(ListAPIView):
    serializer_class = LocationSerializer

    def get_queryset(self):
        return selectors.location_list()


@extend_schema(tags=TAGS)
class LocationPlayersApi(ListAPIView):
    """The characters in that area now ("nearby players")."""

    serializer_class = NearbyCharacterSerializer

    def get_queryset(self):
        location_id = self.kwargs["location_id"]
        if selectors.location_get(location_id=location_id) is None:
            raise NotFound("No such location.")
        return selectors.characters_in_area(location_id=location_id)


class AnnouncementApi(APIView):
    class InputSerializer(serializers.Serializer):
        message = serializers.CharField(max_length=500)

    @extend_schema(
        request=InputSerializer,
        responses={201: WorldEventSerializer},
        tags=TAGS,
        description="Staff in the role `liveops` or `admin` (audited `world.announcement`): players get 403 "
        "`forbidden`, staff without the role 403 `permission_denied`.",
    )
    @error_codes({403: ("forbidden", "permission_denied")})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        event = services.announcement_post(user=request.user, **data.validated_data)
        return Response(WorldEventSerializer(event).data, status=status.HTTP_201_CREATED)

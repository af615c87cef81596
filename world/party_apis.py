"""REST routes of parties: create, read, invite, leave, kick, disband (``world.parties``)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from matchmaking.invites.events import InviteSerializer
from world import parties

TAGS = ["parties"]


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(description=description)


class PartyMemberSerializer(serializers.Serializer):
    character_id = serializers.IntegerField()
    name = serializers.CharField()


class PartySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    leader = serializers.IntegerField(help_text="The leader's character id.")
    members = PartyMemberSerializer(many=True, help_text="Longest member first.")
    max_size = serializers.IntegerField()


class PartyAfterSerializer(serializers.Serializer):
    party = PartySerializer(allow_null=True, help_text="The party after the change; null when I am out of it.")


class CharacterInput(serializers.Serializer):
    character_id = serializers.IntegerField(min_value=1)


class PartyCreateApi(APIView):
    @extend_schema(
        request=None,
        responses={201: PartySerializer, 409: _error("already_in_party, no_character")},
        tags=TAGS,
    )
    def post(self, request):
        party = parties.party_create(user=request.user)
        return Response(parties.party_payload(party), status=status.HTTP_201_CREATED)


class PartyDetailApi(APIView):
    @extend_schema(
        responses={200: PartySerializer, 403: _error("not_member"), 404: _error("party_not_found")}, tags=TAGS
    )
    def get(self, request, party_id: int):
        return Response(parties.party_get(party_id=party_id, user=request.user))


class PartyInviteApi(APIView):
    @extend_schema(
        request=CharacterInput,
        responses={
            201: InviteSerializer,
            403: _error("not_leader, not_member, blocked"),
            404: _error("character_not_found"),
            409: _error("party_full, already_in_party, duplicate_invite, no_character"),
        },
        tags=TAGS,
    )
    def post(self, request):
        data = CharacterInput(data=request.data)
        data.is_valid(raise_exception=True)
        invite = parties.party_invite(user=request.user, character_id=data.validated_data["character_id"])
        return Response(InviteSerializer(invite).data, status=status.HTTP_201_CREATED)


class PartyLeaveApi(APIView):
    @extend_schema(request=None, responses={200: PartyAfterSerializer, 403: _error("not_member")}, tags=TAGS)
    def post(self, request):
        parties.party_leave(user=request.user)
        return Response({"party": None})


class PartyKickApi(APIView):
    @extend_schema(
        request=CharacterInput,
        responses={200: PartyAfterSerializer, 403: _error("not_leader, not_member"), 404: _error("member_not_found")},
        tags=TAGS,
    )
    def post(self, request):
        data = CharacterInput(data=request.data)
        data.is_valid(raise_exception=True)
        party = parties.party_kick(user=request.user, character_id=data.validated_data["character_id"])
        return Response({"party": parties.party_payload(party)})


class PartyDisbandApi(APIView):
    @extend_schema(
        request=None, responses={200: PartyAfterSerializer, 403: _error("not_leader, not_member")}, tags=TAGS
    )
    def post(self, request):
        parties.party_disband(user=request.user)
        return Response({"party": None})

"""REST routes of parties: create, read, invite, leave, kick, disband (``world.parties.services``)."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from gameplatform.http import serializers
from gameplatform.http.openapi import error_codes
from matchmaking.invites.events import InviteSerializer
from world.parties import services

TAGS = ["parties"]


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
        responses={201: PartySerializer},
        tags=TAGS,
    )
    @error_codes({409: ("already_in_party", "no_character")})
    def post(self, request):
        party = services.party_create(user=request.user)
        return Response(services.party_payload(party), status=status.HTTP_201_CREATED)


class PartyDetailApi(APIView):
    @extend_schema(responses={200: PartySerializer}, tags=TAGS)
    @error_codes({403: ("not_member",), 404: ("party_not_found",), 409: ("no_character",)})
    def get(self, request, party_id: int):
        return Response(services.party_get(party_id=party_id, user=request.user))


class PartyInviteApi(APIView):
    # The invites lifecycle checks blocks, duplicates and the party's room through the
    # ``party`` kind's hook (403 ``blocked``, 409 ``duplicate_invite``, ``party_full``).
    @extend_schema(
        request=CharacterInput,
        responses={201: InviteSerializer},
        tags=TAGS,
    )
    @error_codes(
        {
            403: ("blocked", "not_leader", "not_member"),
            404: ("character_not_found",),
            409: ("already_in_party", "duplicate_invite", "no_character", "party_full"),
        }
    )
    def post(self, request):
        data = CharacterInput(data=request.data)
        data.is_valid(raise_exception=True)
        invite = services.party_invite(user=request.user, character_id=data.validated_data["character_id"])
        return Response(InviteSerializer(invite).data, status=status.HTTP_201_CREATED)


class PartyLeaveApi(APIView):
    @extend_schema(request=None, responses={200: PartyAfterSerializer}, tags=TAGS)
    @error_codes({403: ("not_member",), 409: ("no_character",)})
    def post(self, request):
        services.party_leave(user=request.user)
        return Response({"party": None})


class PartyKickApi(APIView):
    @extend_schema(request=CharacterInput, responses={200: PartyAfterSerializer}, tags=TAGS)
    @error_codes(
        {403: ("not_leader", "not_member"), 404: ("member_not_found",), 409: ("cannot_kick_self", "no_character")}
    )
    def post(self, request):
        data = CharacterInput(data=request.data)
        data.is_valid(raise_exception=True)
        party = services.party_kick(user=request.user, character_id=data.validated_data["character_id"])
        return Response({"party": services.party_payload(party)})


class PartyDisbandApi(APIView):
    @extend_schema(request=None, responses={200: PartyAfterSerializer}, tags=TAGS)
    @error_codes({403: ("not_leader", "not_member"), 409: ("no_character",)})
    def post(self, request):
        services.party_disband(user=request.user)
        return Response({"party": None})

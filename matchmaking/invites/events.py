"""Payload builders for invite frames (pure functions)."""

from accounts.serializers import PublicUserSerializer
from gameplatform.http.serializers import ModelSerializer
from matchmaking.models import Invite


class InviteSerializer(ModelSerializer):
    from_user = PublicUserSerializer(read_only=True)
    to_user = PublicUserSerializer(read_only=True)

    class Meta:
        model = Invite
        fields = [
            "id",
            "from_user",
            "to_user",
            "kind",
            "mode",
            "lobby_id",
            "party_id",
            "status",
            "game_id",
            "created_at",
            "expires_at",
            "responded_at",
        ]
        read_only_fields = fields


def invite_data(invite: Invite) -> dict:
    return InviteSerializer(invite).data


def invite_event(event_type: str, invite: Invite, **extra) -> dict:
    return {"type": event_type, "invite": invite_data(invite), **extra}

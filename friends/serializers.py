"""Serializers shared by several friend routes (one schema component each)."""

from accounts.serializers import PublicUserSerializer
from gameplatform.http import serializers


class FriendRequestSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    from_user = PublicUserSerializer()
    to_user = PublicUserSerializer()
    # A plain string, not an enum: "pending", "accepted", "declined" or "cancelled".
    status = serializers.CharField(help_text="pending / accepted / declined / cancelled")
    created_at = serializers.DateTimeField()
    responded_at = serializers.DateTimeField(allow_null=True)


class UserIdInput(serializers.Serializer):
    user_id = serializers.IntegerField(min_value=1)

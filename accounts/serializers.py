from accounts.models import User
from gameplatform.http import serializers
from gameplatform.http.serializers import ModelSerializer


class PublicUserSerializer(ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "display_name", "is_premium"]
        read_only_fields = fields


class MeSerializer(ModelSerializer):
    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "email",
            "display_name",
            "is_premium",
            "premium_until",
            "is_guest",
            "date_joined",
            "email_verified",
            "delete_at",
            "age_band",
            "age_source",
        ]
        read_only_fields = [
            "id",
            "username",
            "is_premium",
            "premium_until",
            "is_guest",
            "date_joined",
            "email_verified",
            "delete_at",
            "age_band",
            "age_source",
        ]


def device_id_field(*, required: bool = True, help_text: str) -> serializers.CharField:
    """A client's device id: 16-128 characters it keeps (e.g. in localStorage)."""
    return serializers.CharField(
        min_length=16, max_length=128, trim_whitespace=False, required=required, help_text=help_text
    )


# What login, registration and provider sign-in take to note the device for the account: a
# device a suspended or banned account used makes no guest (POST /api/auth/device/ answers 403).
DEVICE_NOTED = "Optional: the id the client sends to POST /api/auth/device/, noted for this account."

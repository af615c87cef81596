from accounts import policy
from accounts.models import AgeBand, User
from gameplatform.http import serializers
from gameplatform.http.serializers import ModelSerializer

AGE_BAND_HELP = "under_13, 13_15, 16_17, adult or unknown: today's, from a declared birth date when one was given."


class AgeSerializer(serializers.Serializer):
    age_band = serializers.ChoiceField(choices=AgeBand.choices, help_text=AGE_BAND_HELP)
    age_source = serializers.CharField(help_text="declared, apple, google, staff, or empty (unknown).")


class PublicUserSerializer(ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "display_name", "is_premium"]
        read_only_fields = fields


class MeSerializer(ModelSerializer):
    age_band = serializers.SerializerMethodField(help_text=AGE_BAND_HELP)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "email",
            "email_verified",
            "display_name",
            "is_premium",
            "premium_until",
            "is_guest",
            "date_joined",
            "delete_at",
            "age_band",
            "age_source",
        ]
        read_only_fields = [
            "id",
            "username",
            "email_verified",
            "is_premium",
            "premium_until",
            "is_guest",
            "date_joined",
            "delete_at",
            "age_source",
        ]

    def get_age_band(self, user: User) -> str:
        return policy.band_of(user)


def device_id_field(*, required: bool = True, help_text: str) -> serializers.CharField:
    """A client's device id: 16-128 characters it keeps (e.g. in localStorage)."""
    return serializers.CharField(
        min_length=16, max_length=128, trim_whitespace=False, required=required, help_text=help_text
    )


# What login, registration and provider sign-in take to note the device for the account: a
# device a suspended or banned account used makes no guest (POST /api/auth/device/ answers 403).
DEVICE_NOTED = "Optional: the id the client sends to POST /api/auth/device/, noted for this account."

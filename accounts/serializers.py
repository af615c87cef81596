from accounts.models import User
from gameplatform.http.serializers import ModelSerializer


class PublicUserSerializer(ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "display_name", "is_premium"]
        read_only_fields = fields


class MeSerializer(ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "email", "display_name", "is_premium", "premium_until", "is_guest", "date_joined"]
        read_only_fields = ["id", "username", "is_premium", "premium_until", "is_guest", "date_joined"]

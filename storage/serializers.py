from gameplatform.http import serializers
from storage.models import StorageObject


class StorageObjectSerializer(serializers.ModelSerializer):
    value = serializers.JSONField()
    version = serializers.IntegerField(help_text="1 when created, one more at each write; the ETag is it quoted.")

    class Meta:
        model = StorageObject
        fields = ["collection", "key", "value", "version", "read", "updated_at"]
        read_only_fields = fields

"""ModelSerializers build their fields once per class (``gameplatform.serializers``): each
instance binds copies of its own, and nothing one instance binds reaches another."""

import pytest
from rest_framework import serializers

from accounts.models import User
from gameplatform.serializers import ModelSerializer


class Nested(serializers.Serializer):
    note = serializers.CharField()


class UserWithExtras(ModelSerializer):
    tags = serializers.ListField(child=serializers.CharField(max_length=5), required=False)
    extra = Nested(required=False)
    shout = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "email", "tags", "extra", "shout"]

    def get_shout(self, user) -> str:
        return user.username.upper() + self.context.get("suffix", "")


def test_each_instance_binds_its_own_fields_and_the_prototype_stays_unbound():
    first, second = UserWithExtras(), UserWithExtras()
    for name in ("username", "email", "tags", "extra", "shout"):
        assert first.fields[name] is not second.fields[name]
        assert first.fields[name].parent is first and second.fields[name].parent is second
    assert first.fields["tags"].child.parent is first.fields["tags"]  # a child binds to its own copy
    assert first.fields["extra"].fields["note"].parent is first.fields["extra"]
    assert all(field.parent is None for field in UserWithExtras._fields_prototype.values())


@pytest.mark.django_db
def test_output_and_validation_use_each_instances_own_context():
    user = User(id=7, username="ada", email="ada@example.com")
    assert UserWithExtras(user, context={"suffix": "!"}).data["shout"] == "ADA!"
    assert UserWithExtras(user).data["shout"] == "ADA"
    refused = UserWithExtras(data={"username": "x", "email": "x@example.com", "tags": ["far-too-long"]})
    assert not refused.is_valid()
    assert "tags" in refused.errors
    accepted = UserWithExtras(data={"username": "y", "email": "y@example.com", "tags": ["ok"]})
    accepted.is_valid()
    assert "tags" not in accepted.errors


class WithMutableDefault(ModelSerializer):
    settings = serializers.JSONField(default={"sound": True}, required=False)

    class Meta:
        model = User
        fields = ["id", "settings"]


def test_a_mutable_default_is_every_instances_own():
    first = WithMutableDefault(data={})
    assert first.is_valid(), first.errors
    first.validated_data["settings"]["sound"] = False  # a view changing what it was given
    second = WithMutableDefault(data={})
    assert second.is_valid(), second.errors
    assert second.validated_data["settings"] == {"sound": True}

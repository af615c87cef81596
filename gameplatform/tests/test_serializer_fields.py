"""The kit's serializers (``gameplatform.http.serializers``): strict string fields, 64-bit integer
fields, every serializer of the project built with them, and ModelSerializer fields built once
per class with each instance binding its own copies."""

import importlib
import pkgutil
import sysconfig
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from rest_framework import serializers as drf

from accounts.models import User
from gameplatform.http import serializers
from gameplatform.http.serializers import ModelSerializer

# --- strict strings and 64-bit integers ----------------------------------------------------


class Everything(serializers.Serializer):
    name = serializers.CharField()
    email = serializers.EmailField(required=False)
    slug = serializers.SlugField(required=False)
    url = serializers.URLField(required=False)
    code = serializers.RegexField(r"^[a-z]+$", required=False)
    ip = serializers.IPAddressField(required=False)
    count = serializers.IntegerField(required=False)
    big = serializers.BigIntegerField(required=False)


@pytest.mark.parametrize("field", ["name", "email", "slug", "url", "code", "ip"])
@pytest.mark.parametrize("value", [5, 1.5, True, ["x"], {"x": 1}])
def test_a_string_field_refuses_anything_but_a_string(field, value):
    data = {"name": "ok", field: value}
    serializer = Everything(data=data)
    assert not serializer.is_valid()
    assert serializer.errors == {field: [serializer.fields[field].error_messages["invalid"]]}


def test_string_fields_still_take_strings():
    data = {
        "name": "5",
        "email": "a@example.com",
        "slug": "a-b",
        "url": "https://example.com/",
        "code": "abc",
        "ip": "::ffff:10.0.0.1",
    }
    serializer = Everything(data=data)
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data == {**data, "ip": "10.0.0.1"}  # DRF's own unpacking, unchanged


@pytest.mark.parametrize("field", ["count", "big"])
@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, 10**24, str(10**24)])
def test_an_integer_beyond_64_bits_is_refused_naming_the_field(field, value):
    serializer = Everything(data={"name": "x", field: value})
    assert not serializer.is_valid()
    assert list(serializer.errors) == [field]


@pytest.mark.parametrize("field", ["count", "big"])
@pytest.mark.parametrize("value", [2**63 - 1, -(2**63), "42"])
def test_an_integer_within_64_bits_is_taken(field, value):
    serializer = Everything(data={"name": "x", field: value})
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data[field] == int(value)


class ModelSerializerForUser(ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "email"]


def test_model_built_fields_are_the_strict_ones():
    fields = ModelSerializerForUser().fields
    assert type(fields["username"]) is serializers.CharField
    assert type(fields["email"]) is serializers.EmailField
    assert type(fields["id"]) is serializers.BigIntegerField  # a BigAutoField
    refused = ModelSerializerForUser(data={"username": 5, "email": "a@example.com"})
    assert not refused.is_valid()
    assert refused.errors == {"username": ["Not a valid string."]}


# --- every serializer of the project uses them --------------------------------------------


def project_serializer_classes() -> list[type]:
    """Every serializer class defined in the project's apps (their test modules aside)."""
    base = Path(settings.BASE_DIR).resolve()
    # A venv inside the checkout (`make venv` makes .venv there) holds installed apps too: not ours.
    installed = {Path(sysconfig.get_paths()[key]).resolve() for key in ("purelib", "platlib")}
    roots = set()
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if base in path.parents and not installed & set(path.parents):
            roots.add(config.name.split(".")[0])
    for root in sorted(roots):
        package = importlib.import_module(root)
        for module in pkgutil.walk_packages(package.__path__, prefix=f"{root}."):
            if not {".tests", ".migrations", ".management"} & {f".{part}" for part in module.name.split(".")}:
                importlib.import_module(module.name)
    found, pending = [], [drf.BaseSerializer]
    while pending:
        for cls in pending.pop().__subclasses__():
            pending.append(cls)
            parts = cls.__module__.split(".")
            if parts[0] in roots and "tests" not in parts and cls.__module__ != "gameplatform.http.serializers":
                found.append(cls)
    return found


def lax_fields(field, path: str):
    """(path, class) of each DRF string or integer field without the kit's strictness, nested ones too."""
    if isinstance(field, drf.CharField) and not isinstance(field, serializers.StrictString):
        yield path, type(field)
    if isinstance(field, drf.IntegerField) and not isinstance(field, serializers.BoundedInteger):
        yield path, type(field)
    if isinstance(field, drf.BaseSerializer) and hasattr(field, "fields"):
        for name, child in field.fields.items():
            yield from lax_fields(child, f"{path}.{name}")
    for attribute in ("child", "child_relation"):
        if getattr(field, attribute, None) is not None:
            yield from lax_fields(getattr(field, attribute), f"{path}[]")


def test_every_serializer_of_the_project_declares_the_kits_strict_fields():
    classes = project_serializer_classes()
    assert len(classes) > 100  # the walk found the apps' serializers (about 160 today)
    lax = []
    for cls in classes:
        if issubclass(cls, drf.ListSerializer):
            continue  # a list of a child serializer, itself in the list
        lax.extend(lax_fields(cls(), f"{cls.__module__}.{cls.__qualname__}"))
    assert not lax, "use `from gameplatform.http import serializers` (strict fields), not DRF's:\n" + "\n".join(
        f"{path}: {cls.__module__}.{cls.__qualname__}" for path, cls in lax
    )


def test_the_guard_sees_a_plain_drf_field():
    class Lax(serializers.Serializer):
        note = drf.CharField()
        nested = Everything()
        numbers = serializers.ListField(child=drf.IntegerField())

    assert [path for path, _ in lax_fields(Lax(), "Lax")] == ["Lax.note", "Lax.numbers[]"]


# --- fields built once per class, bound per instance ---------------------------------------


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


def test_each_instance_binds_its_own_fields():
    first, second = UserWithExtras(), UserWithExtras()
    for name in ("username", "email", "tags", "extra", "shout"):
        assert first.fields[name] is not second.fields[name]
        assert first.fields[name].parent is first and second.fields[name].parent is second
    assert first.fields["tags"].child.parent is first.fields["tags"]  # a child binds to its own copy
    assert first.fields["extra"].fields["note"].parent is first.fields["extra"]


def test_validators_and_error_messages_one_instance_changes_stay_its_own():
    first = UserWithExtras()
    first.fields["username"].validators.append(lambda value: None)
    first.fields["username"].error_messages["blank"] = "changed"
    second = UserWithExtras()
    assert len(second.fields["username"].validators) == len(first.fields["username"].validators) - 1
    assert second.fields["username"].error_messages["blank"] != "changed"


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

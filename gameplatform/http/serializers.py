"""The kit's serializers: DRF's, with strict string fields and 64-bit integer fields.

Every serializer of the project takes its fields from here, not from ``rest_framework``::

    from gameplatform.http import serializers

    class ChatMessageInput(serializers.Serializer):
        message = serializers.CharField(max_length=500)

Two DRF behaviours are tightened, by subclassing DRF's fields (their ``to_internal_value``):

- A string field takes strings only. DRF turns a number into a string (``{"content": 5}`` is
  stored as ``"5"``); here it is 400 ``{"content": ["Not a valid string."]}`` (an ``invalid``
  error frame on sockets). ``CharField`` and DRF's fields derived from it (``EmailField``,
  ``RegexField``, ``SlugField``, ``URLField``, ``IPAddressField``) have a strict variant here;
  ``ChoiceField`` is not a string field in DRF and stays DRF's.
- An integer field (``IntegerField``, ``BigIntegerField``) takes signed 64-bit values only: a
  ``user_id`` of ``10**24`` would otherwise reach the database query and fail there
  (``OverflowError`` on SQLite, out of range on PostgreSQL), a 500. Here it is a 400 naming
  the field, like any other out-of-range value.

``ModelSerializer`` builds its model fields with these classes (``serializer_field_mapping``).
``gameplatform/tests/test_serializer_fields.py`` fails if a serializer of the project has one
of DRF's own string or integer fields (or a subclass without the kit's ``StrictString`` or
``BoundedInteger``). The
other names here are DRF's, re-exported unchanged so that one import serves a whole module.
"""

import copy
import functools

from rest_framework import serializers as drf
from rest_framework.serializers import (  # DRF's own, unchanged
    BaseSerializer,
    BooleanField,
    ChoiceField,
    CurrentUserDefault,
    DateField,
    DateTimeField,
    DecimalField,
    DictField,
    DurationField,
    Field,
    FloatField,
    HiddenField,
    JSONField,
    ListField,
    ListSerializer,
    MultipleChoiceField,
    PrimaryKeyRelatedField,
    ReadOnlyField,
    Serializer,
    SerializerMethodField,
    UUIDField,
    ValidationError,
)

__all__ = [
    "BaseSerializer",
    "BigIntegerField",
    "BooleanField",
    "BoundedInteger",
    "CharField",
    "ChoiceField",
    "CurrentUserDefault",
    "DateField",
    "DateTimeField",
    "DecimalField",
    "DictField",
    "DurationField",
    "EmailField",
    "Field",
    "FloatField",
    "HiddenField",
    "INT64_MAX",
    "INT64_MIN",
    "IPAddressField",
    "IntegerField",
    "JSONField",
    "ListField",
    "ListSerializer",
    "ModelSerializer",
    "MultipleChoiceField",
    "PrimaryKeyRelatedField",
    "ReadOnlyField",
    "RegexField",
    "Serializer",
    "SerializerMethodField",
    "SlugField",
    "StrictString",
    "URLField",
    "UUIDField",
    "UserReference",
    "ValidationError",
]


class StrictString:
    """Mixin for a DRF string field: anything but a ``str`` is ``invalid`` ("Not a valid string.").

    Placed before the DRF class, so the check runs before the field's own conversion (DRF's
    ``IPAddressField`` would otherwise fail on ``':' in 5`` with a ``TypeError``, a 500).
    """

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class CharField(StrictString, drf.CharField):
    pass


class EmailField(StrictString, drf.EmailField):
    pass


class RegexField(StrictString, drf.RegexField):
    pass


class SlugField(StrictString, drf.SlugField):
    pass


class URLField(StrictString, drf.URLField):
    pass


class IPAddressField(StrictString, drf.IPAddressField):
    pass


# Signed 64-bit: what a ``bigint`` column (PostgreSQL) or a SQLite INTEGER holds.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class BoundedInteger:
    """Mixin for a DRF integer field: a value beyond signed 64 bits is a ``max_value``/``min_value`` error."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value > INT64_MAX:
            self.fail("max_value", max_value=INT64_MAX)
        if value < INT64_MIN:
            self.fail("min_value", min_value=INT64_MIN)
        return value


class IntegerField(BoundedInteger, drf.IntegerField):
    pass


class BigIntegerField(BoundedInteger, drf.BigIntegerField):
    pass


class UserReference(Serializer):
    # A user as another object names them, ``{id, username}`` (a report's user, a leaderboard
    # row's, a room's players). An API subclasses it under its own name, which stays its schema
    # component's; no docstring here, since the schema would give it to every subclass.
    id = IntegerField()
    username = CharField()


_STRICT = {
    drf.CharField: CharField,
    drf.EmailField: EmailField,
    drf.RegexField: RegexField,
    drf.SlugField: SlugField,
    drf.URLField: URLField,
    drf.IPAddressField: IPAddressField,
    drf.IntegerField: IntegerField,
    drf.BigIntegerField: BigIntegerField,
}


class ModelSerializer(drf.ModelSerializer):
    # DRF's ModelSerializer, building the kit's strict fields, and its fields once per class.
    # (Comments, not a docstring: drf-spectacular would publish a docstring here as the
    # description of every model serializer's schema.)
    #
    # ``serializer_field_mapping`` (DRF's documented attribute) is DRF's own with the strict
    # classes in place of DRF's string and integer fields.
    #
    # DRF builds a ModelSerializer's fields from the model's meta on every instantiation (field
    # classes, kwargs, validators, translated labels and help texts): about 0.35 ms of CPU for
    # the seven fields of ``MeSerializer``, a third of a ``GET /api/me/``. Here they are built
    # once per class and each instance gets a deep copy: ``copy.deepcopy`` is how DRF itself
    # gives each instance its own declared fields (``Field.__deepcopy__`` rebuilds a field from
    # its arguments; only the validators passed in are shared, as with DRF's own fields), at
    # about a sixth of the cost. Fields depend only on ``Meta`` and the declared fields, never
    # on the instance or the context; a subclass whose fields would overrides ``get_fields``
    # and starts from ``super()``'s copy, which is its own to change.

    serializer_field_mapping = {
        model_field: _STRICT.get(field, field)
        for model_field, field in drf.ModelSerializer.serializer_field_mapping.items()
    }

    def get_fields(self):
        cls = type(self)
        built = cls.__dict__.get("_built_fields")  # this class's own, not a parent's
        if built is None:
            built = cls._built_fields = super().get_fields()
        return copy.deepcopy(built)


@functools.cache
def _representer(serializer_class: type[drf.BaseSerializer]) -> drf.BaseSerializer:
    serializer = serializer_class()
    serializer.fields  # built here, before threads share the instance  # noqa: B018
    return serializer


def represent(serializer_class: type[drf.BaseSerializer], instance) -> dict:
    """``serializer_class(instance).data`` for a read served on every request (``GET /api/me/``).

    One instance of the class renders every object (``to_representation``, DRF's documented
    method), as one instance per class validates every socket frame: a serializer instance
    builds (and the kit copies) its fields, about 75 µs for ``MeSerializer`` per request,
    while rendering reads them only. For serializers whose output depends on nothing but the
    object: no ``context`` (there is none), no request.
    """
    return _representer(serializer_class).to_representation(instance)

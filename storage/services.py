"""Storage writes: create, replace and delete a user's objects, with versions and limits.

A write may name the versions it expects (``If-Match``, here ``versions``): it is one
conditional ``UPDATE ... WHERE version IN (...)`` (or ``DELETE``), so of two writers
holding the same version exactly one changes the row and the other gets 412
``version_conflict``. ``create_only`` (``If-None-Match: *``) inserts or fails the same way.
"""

import json
import re
from collections.abc import Collection

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from gameplatform.core.errors import ApplicationError, Conflict, NotFound
from gameplatform.http import serializers
from storage.models import StorageObject

NAME = re.compile(r"[A-Za-z0-9_-]{1,128}\Z")
MAX_VALUE_BYTES = 16 * 1024
ANY_VERSION = "*"


def storage_names_validate(**names: str) -> None:
    """A collection and a key are slugs of 1-128 characters (letters, digits, ``_``, ``-``)."""
    errors = {
        field: ["Use 1-128 ASCII letters, digits, _ or -."] for field, name in names.items() if not NAME.match(name)
    }
    if errors:
        raise serializers.ValidationError(errors)


def value_size(value) -> int:
    """The value's size as stored: compact JSON in UTF-8."""
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


def value_size_check(value) -> None:
    if value_size(value) > MAX_VALUE_BYTES:
        raise ApplicationError(
            f"The value is larger than {MAX_VALUE_BYTES} bytes of JSON.", code="value_too_large", status_code=413
        )


def storage_full_message() -> str:
    return f"You already store {settings.STORAGE_MAX_OBJECTS_PER_USER} objects: delete some first."


def storage_object_check(*, user: User | None, collection: str, key: str, value, new: bool) -> None:
    """The rules a write checks before it writes (the admin's form shows them as its errors);
    the limit is checked again under the owner's lock when the object is made."""
    storage_names_validate(collection=collection, key=key)
    value_size_check(value)
    if new and user is not None:
        if StorageObject.objects.filter(user=user).count() >= settings.STORAGE_MAX_OBJECTS_PER_USER:
            raise Conflict(storage_full_message(), code="storage_full")


def version_conflict() -> ApplicationError:
    return ApplicationError(
        "The object changed since that version (or is not there): read it again.",
        code="version_conflict",
        status_code=412,
    )


@transaction.atomic
def storage_object_put(
    *,
    user: User,
    collection: str,
    key: str,
    value,
    read: str = StorageObject.READ_OWNER,
    versions: Collection[int] | str | None = None,
    create_only: bool = False,
) -> tuple[StorageObject, bool]:
    """Write the object whole (value and read rule); the object and whether it was created.

    ``versions``: only if the object is at one of them (``"*"``: at any); ``create_only``:
    only if there is none. Either failing is 412 ``version_conflict``. A new object past
    ``STORAGE_MAX_OBJECTS_PER_USER`` is 409 ``storage_full``; a value over 16 KiB of JSON
    is 413 ``value_too_large``.
    """
    storage_names_validate(collection=collection, key=key)
    value_size_check(value)
    fields = {"value": value, "read": read}
    if create_only:
        return _create(user=user, collection=collection, key=key, fields=fields, conflict=version_conflict), True
    if versions is not None:
        if not _update(user=user, collection=collection, key=key, fields=fields, versions=versions):
            raise version_conflict()
        return _read(user, collection, key), False
    if _update(user=user, collection=collection, key=key, fields=fields):
        return _read(user, collection, key), False

    def written_meanwhile() -> StorageObject:
        # A concurrent write created it between our update and insert: ours replaces it.
        _update(user=user, collection=collection, key=key, fields=fields)
        return _read(user, collection, key)

    obj = _create(user=user, collection=collection, key=key, fields=fields, conflict=None)
    return (obj, True) if obj is not None else (written_meanwhile(), False)


def _objects(user: User, collection: str, key: str):
    return StorageObject.objects.filter(user=user, collection=collection, key=key)


def _read(user: User, collection: str, key: str) -> StorageObject:
    return _objects(user, collection, key).get()


def _update(*, user, collection, key, fields, versions=None) -> bool:
    objects = _objects(user, collection, key)
    if versions is not None and versions != ANY_VERSION:
        objects = objects.filter(version__in=versions)
    return objects.update(**fields, version=F("version") + 1, updated_at=timezone.now()) == 1


def _create(*, user, collection, key, fields, conflict):
    """Insert, under the lock of the user's row so that concurrent creates count each other
    against the limit; an insert that meets a concurrent one raises ``conflict()`` or is None."""
    User.objects.select_for_update().filter(pk=user.pk).get()
    if conflict is not None and _objects(user, collection, key).exists():
        raise conflict()  # create-only on an object that exists: that, not the limit, is the answer
    if StorageObject.objects.filter(user=user).count() >= settings.STORAGE_MAX_OBJECTS_PER_USER:
        raise Conflict(storage_full_message(), code="storage_full")
    try:
        with transaction.atomic():
            return StorageObject.objects.create(user=user, collection=collection, key=key, **fields)
    except IntegrityError:
        if conflict is None:
            return None
        raise conflict() from None


@transaction.atomic
def storage_object_delete(
    *, user: User, collection: str, key: str, versions: Collection[int] | str | None = None
) -> None:
    """Delete, only if at one of ``versions`` when given (412 ``version_conflict`` if it is at
    another or not there); with no versions, 404 if there is none."""
    storage_names_validate(collection=collection, key=key)
    objects = _objects(user, collection, key)
    if versions is not None and versions != ANY_VERSION:
        objects = objects.filter(version__in=versions)
    deleted, _ = objects.delete()
    if deleted:
        return
    if versions is not None:  # as HTTP says: a condition on an object that is not there fails
        raise version_conflict()
    raise NotFound("No such object.")

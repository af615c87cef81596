from django.db.models import QuerySet

from storage.models import StorageObject


def storage_object_get(*, owner_id: int, collection: str, key: str, reader_id: int) -> StorageObject | None:
    """The object, if ``reader_id`` may read it: its owner always, anyone else when it is public.

    Another user's private object is None as a missing one is, so its existence does not leak.
    """
    objects = StorageObject.objects.filter(user_id=owner_id, collection=collection, key=key)
    if owner_id != reader_id:
        objects = objects.filter(read=StorageObject.READ_PUBLIC)
    return objects.first()


def storage_object_list(*, owner_id: int, collection: str, reader_id: int) -> QuerySet[StorageObject]:
    """A collection by key: all of it for its owner, its public objects for anyone else."""
    objects = StorageObject.objects.filter(user_id=owner_id, collection=collection)
    if owner_id != reader_id:
        objects = objects.filter(read=StorageObject.READ_PUBLIC)
    return objects.order_by("key")

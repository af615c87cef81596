"""The storage admin writes through the service: names, size and limit checked, the version grows."""

import pytest
from django.test import override_settings

from storage.models import StorageObject
from storage.services import storage_object_put

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    return client


def test_an_admin_edit_replaces_the_value_and_grows_the_version(admin_client, alice):
    obj, _ = storage_object_put(user=alice, collection="saves", key="slot", value={"level": 1})
    assert admin_client.get("/admin/storage/storageobject/?q=saves").status_code == 200
    response = admin_client.post(
        f"/admin/storage/storageobject/{obj.pk}/change/", {"value": '{"level": 2}', "read": "public"}
    )
    assert response.status_code == 302
    obj.refresh_from_db()
    assert (obj.value, obj.read, obj.version) == ({"level": 2}, "public", 2)


def test_an_admin_add_is_checked_as_the_api_checks(admin_client, alice):
    def add(**fields):
        body = {"user": alice.pk, "collection": "saves", "key": "slot", "value": "1", "read": "owner", **fields}
        return admin_client.post("/admin/storage/storageobject/add/", body)

    assert add(key="not a slug").status_code == 200  # the form again, with its error
    assert add(value='"' + "x" * 17000 + '"').status_code == 200
    assert not StorageObject.objects.exists()
    assert add().status_code == 302
    assert StorageObject.objects.get().version == 1
    with override_settings(STORAGE_MAX_OBJECTS_PER_USER=1):
        refused = add(key="second")
        assert refused.status_code == 200 and "delete some first" in refused.content.decode()
    assert StorageObject.objects.count() == 1

import io

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from storage.demo import DEMO_DEVICE_ID, OBJECTS
from storage.models import StorageObject

pytestmark = pytest.mark.django_db


def test_seed_demo_makes_a_guest_and_stored_objects_idempotently():
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    assert StorageObject.objects.count() == len(OBJECTS)
    assert set(StorageObject.objects.values_list("version", flat=True)) == {1}
    login = APIClient().post("/api/auth/device/", {"device_id": DEMO_DEVICE_ID}, format="json").json()
    assert login["user"]["is_guest"] is True and login["created"] is False
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {login['access']}")
    assert client.get("/api/storage/saves/slot-1/").json()["value"] == {"level": 1, "checkpoint": "start"}


def test_clear_removes_the_demo_guest_and_objects():
    from storage import demo

    call_command("seed_demo", stdout=io.StringIO())
    demo.clear()
    assert not StorageObject.objects.exists()
    assert APIClient().post("/api/auth/device/", {"device_id": DEMO_DEVICE_ID}, format="json").json()["created"] is True

"""Storage races on PostgreSQL: conditional writes from the same version, creates at the limit."""

import pytest
from django.test import override_settings

from conftest import requires_postgres
from gameplatform.testhelpers import run_at_once
from storage.models import StorageObject
from storage.services import storage_object_delete, storage_object_put

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def test_two_writes_from_the_same_version_exactly_one_wins(alice):
    storage_object_put(user=alice, collection="saves", key="slot", value={"n": 0})
    for version in range(1, 6):
        results = run_at_once(
            *[
                lambda n=n, v=version: storage_object_put(
                    user=alice, collection="saves", key="slot", value={"writer": n}, versions=[v]
                )
                for n in range(3)
            ]
        )
        winners = [r for r in results if isinstance(r, tuple)]
        assert len(winners) == 1 and results.count("version_conflict") == 2
        stored = StorageObject.objects.get(user=alice, collection="saves", key="slot")
        assert stored.version == version + 1 and stored.value == winners[0][0].value


def test_two_puts_with_the_same_if_match_over_http_one_is_412(alice):
    from rest_framework.test import APIClient

    from conftest import access_token_for

    storage_object_put(user=alice, collection="saves", key="slot", value={"n": 0})

    def put(n):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_for(alice)}")
        return client.put("/api/storage/saves/slot/", {"value": {"n": n}}, format="json", headers={"If-Match": '"1"'})

    answers = run_at_once(lambda: put(1), lambda: put(2))
    assert sorted(a.status_code for a in answers) == [200, 412]
    assert StorageObject.objects.get().version == 2


def test_create_only_at_once_creates_once(alice):
    results = run_at_once(
        *[
            lambda n=n: storage_object_put(user=alice, collection="c", key="k", value=n, create_only=True)
            for n in range(4)
        ]
    )
    assert results.count("version_conflict") == 3
    assert StorageObject.objects.get().version == 1


def test_unconditional_puts_of_a_new_key_at_once_all_land(alice):
    results = run_at_once(
        *[lambda n=n: storage_object_put(user=alice, collection="c", key="k", value=n) for n in range(4)]
    )
    assert all(isinstance(r, tuple) for r in results), results
    assert [created for _, created in results].count(True) == 1
    assert StorageObject.objects.get().version == 4


@override_settings(STORAGE_MAX_OBJECTS_PER_USER=3)
def test_creates_at_the_limit_at_once_take_the_last_place_once(alice):
    for key in ("a", "b"):
        storage_object_put(user=alice, collection="c", key=key, value=1)
    results = run_at_once(
        *[lambda n=n: storage_object_put(user=alice, collection="c", key=f"new{n}", value=n) for n in range(4)]
    )
    assert results.count("storage_full") == 3
    assert StorageObject.objects.filter(user=alice).count() == 3


def test_a_delete_and_a_write_from_the_same_version_one_wins(alice):
    for round_ in range(5):
        storage_object_put(user=alice, collection="c", key="k", value=round_, create_only=True)
        deleted, written = run_at_once(
            lambda: storage_object_delete(user=alice, collection="c", key="k", versions=[1]),
            lambda r=round_: storage_object_put(user=alice, collection="c", key="k", value=r + 100, versions=[1]),
        )
        assert sorted([deleted is None, isinstance(written, tuple)]) == [False, True]
        assert "version_conflict" in (deleted, written)
        StorageObject.objects.filter(user=alice).delete()

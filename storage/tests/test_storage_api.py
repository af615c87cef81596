"""Cloud storage over REST: versions and ETags, conditional writes, who reads what, limits."""

import pytest
from django.test import override_settings

from storage.models import StorageObject

pytestmark = pytest.mark.django_db

SAVE = "/api/storage/saves/slot-1/"
SAVES = "/api/storage/saves/"


@pytest.fixture
def alice_client(client_for, alice):
    return client_for(alice)


def put(client, url=SAVE, value=None, read=None, **headers):
    body = {"value": {"level": 3} if value is None else value}
    if read is not None:
        body["read"] = read
    return client.put(url, body, format="json", headers=headers)


def test_put_creates_then_replaces_with_a_growing_version(alice_client):
    created = put(alice_client, value={"level": 1})
    assert created.status_code == 201
    body = created.json()
    assert body["collection"] == "saves" and body["key"] == "slot-1"
    assert body["value"] == {"level": 1} and body["version"] == 1 and body["read"] == "owner"
    assert body["updated_at"] and created["ETag"] == '"1"'
    replaced = put(alice_client, value={"level": 2})
    assert replaced.status_code == 200
    assert replaced.json()["version"] == 2 and replaced["ETag"] == '"2"'
    read = alice_client.get(SAVE)
    assert read.status_code == 200 and read.json()["value"] == {"level": 2} and read["ETag"] == '"2"'


@pytest.mark.parametrize("tag", ["1", '"1"', 'W/"1"', '"7", "1"'])
def test_put_with_the_current_version_writes(alice_client, tag):
    put(alice_client)
    response = put(alice_client, value={"level": 9}, **{"If-Match": tag})
    assert response.status_code == 200 and response.json()["version"] == 2


@pytest.mark.parametrize("tag", ["2", '"0"', "abc", '"1"x'])
def test_put_with_a_stale_or_foreign_version_is_412_and_changes_nothing(alice_client, tag):
    put(alice_client, value={"level": 1})
    put(alice_client, value={"level": 2})
    put(alice_client, value={"level": 3})  # at version 3
    response = put(alice_client, value={"level": 0}, **{"If-Match": tag})
    assert response.status_code == 412 and response.json()["code"] == "version_conflict"
    assert alice_client.get(SAVE).json()["value"] == {"level": 3}


def test_if_match_on_a_missing_object_is_412(alice_client):
    response = put(alice_client, **{"If-Match": "*"})
    assert response.status_code == 412 and response.json()["code"] == "version_conflict"
    assert not StorageObject.objects.exists()


def test_if_none_match_star_creates_only(alice_client):
    assert put(alice_client, **{"If-None-Match": "*"}).status_code == 201
    again = put(alice_client, value={"level": 99}, **{"If-None-Match": "*"})
    assert again.status_code == 412 and again.json()["code"] == "version_conflict"
    assert alice_client.get(SAVE).json() | {"updated_at": None} == {
        "collection": "saves",
        "key": "slot-1",
        "value": {"level": 3},
        "version": 1,
        "read": "owner",
        "updated_at": None,
    }


def test_get_with_the_etag_held_is_304(alice_client):
    put(alice_client)
    response = alice_client.get(SAVE, headers={"If-None-Match": '"1"'})
    assert response.status_code == 304 and response["ETag"] == '"1"'
    assert alice_client.get(SAVE, headers={"If-None-Match": '"0"'}).status_code == 200


def test_delete_with_and_without_a_version(alice_client):
    put(alice_client)
    stale = alice_client.delete(SAVE, headers={"If-Match": '"5"'})
    assert stale.status_code == 412 and stale.json()["code"] == "version_conflict"
    assert alice_client.delete(SAVE, headers={"If-Match": '"1"'}).status_code == 204
    assert alice_client.get(SAVE).status_code == 404
    missing = alice_client.delete(SAVE)
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    assert alice_client.delete(SAVE, headers={"If-Match": "*"}).status_code == 412


def test_a_private_object_is_404_to_others_and_a_public_one_readable(alice, alice_client, client_for, bob):
    put(alice_client, value={"secret": 1})
    put(alice_client, "/api/storage/saves/shared/", value={"open": 1}, read="public")
    bobs = client_for(bob)
    hidden = bobs.get(f"{SAVE}?user_id={alice.pk}")
    assert hidden.status_code == 404 and hidden.json()["code"] == "not_found"
    assert bobs.get(f"/api/storage/saves/nothing-here/?user_id={alice.pk}").json() == hidden.json()
    shared = bobs.get(f"/api/storage/saves/shared/?user_id={alice.pk}")
    assert shared.status_code == 200 and shared.json()["value"] == {"open": 1}
    # Without user_id one reads one's own: bob has none.
    assert bobs.get("/api/storage/saves/shared/").status_code == 404


def test_a_write_only_ever_touches_my_own_objects(alice, alice_client, client_for, bob):
    put(alice_client, read="public")
    assert put(client_for(bob), value={"bob": True}).status_code == 201  # bob's own saves/slot-1
    assert client_for(bob).get(f"{SAVE}?user_id={alice.pk}").json()["value"] == {"level": 3}


def test_list_is_mine_in_full_or_anothers_public_ones_by_key(alice, alice_client, client_for, bob):
    put(alice_client, "/api/storage/saves/b/", read="public")
    put(alice_client, "/api/storage/saves/a/", read="public")
    put(alice_client, "/api/storage/saves/c/")
    put(alice_client, "/api/storage/other/a/", read="public")
    mine = alice_client.get(SAVES).json()
    assert [o["key"] for o in mine["results"]] == ["a", "b", "c"]
    assert {"next", "previous", "results"} <= set(mine)
    theirs = client_for(bob).get(f"{SAVES}?user_id={alice.pk}").json()
    assert [o["key"] for o in theirs["results"]] == ["a", "b"]
    assert client_for(bob).get(SAVES).json()["results"] == []


def test_list_is_paginated(alice_client):
    for n in range(3):
        put(alice_client, f"/api/storage/saves/k{n}/")
    page = alice_client.get(f"{SAVES}?page_size=2").json()
    assert len(page["results"]) == 2 and page["next"]
    assert [o["key"] for o in alice_client.get(page["next"]).json()["results"]] == ["k2"]


@pytest.mark.parametrize("url", ["/api/storage/sa%20ves/k/", "/api/storage/saves/" + "k" * 129 + "/"])
def test_names_that_are_not_slugs_are_refused_naming_the_field(alice_client, url):
    response = put(alice_client, url)
    assert response.status_code == 400
    assert set(response.json()) & {"collection", "key"}


def test_a_bad_user_id_is_400_naming_it(alice_client):
    response = alice_client.get(f"{SAVES}?user_id=abc")
    assert response.status_code == 400 and "user_id" in response.json()


def test_a_value_over_16_kib_is_413_value_too_large(alice_client):
    assert put(alice_client, value="x" * (16 * 1024 - 2)).status_code == 201  # 16 KiB with its quotes
    response = put(alice_client, value="x" * (16 * 1024 - 1))
    assert response.status_code == 413 and response.json()["code"] == "value_too_large"


def test_read_must_be_owner_or_public_and_value_is_required_and_not_null(alice_client):
    assert "read" in put(alice_client, read="friends").json()
    assert "value" in alice_client.put(SAVE, {}, format="json").json()
    assert "value" in alice_client.put(SAVE, {"value": None}, format="json").json()  # delete it instead


def test_any_json_value_is_kept_as_sent(alice_client):
    for value in [0, "", "text", False, [1, {"a": "ü"}], {"nested": {"list": []}}]:
        assert alice_client.put(SAVE, {"value": value}, format="json").json()["value"] == value
        assert alice_client.get(SAVE).json()["value"] == value


@override_settings(STORAGE_MAX_OBJECTS_PER_USER=2)
def test_a_new_object_past_the_limit_is_409_storage_full(alice_client, client_for, bob):
    put(alice_client, "/api/storage/saves/a/")
    put(alice_client, "/api/storage/saves/b/")
    full = put(alice_client, "/api/storage/saves/c/")
    assert full.status_code == 409 and full.json()["code"] == "storage_full"
    assert put(alice_client, "/api/storage/saves/a/", value={"again": 1}).status_code == 200  # replacing is fine
    assert put(client_for(bob), "/api/storage/saves/c/").status_code == 201  # the limit is per user
    exists = put(alice_client, "/api/storage/saves/a/", **{"If-None-Match": "*"})
    assert exists.status_code == 412 and exists.json()["code"] == "version_conflict"  # not storage_full
    alice_client.delete("/api/storage/saves/a/")
    assert put(alice_client, "/api/storage/saves/c/").status_code == 201


def test_storage_needs_a_token(api_client):
    assert api_client.get(SAVE).status_code == 401
    assert api_client.put(SAVE, {"value": 1}, format="json").status_code == 401


def test_routes_answer_without_the_trailing_slash(alice_client):
    assert alice_client.put("/api/storage/saves/slot-1", {"value": 1}, format="json").status_code == 201
    assert alice_client.get("/api/storage/saves/slot-1").json()["value"] == 1
    assert [o["key"] for o in alice_client.get("/api/storage/saves").json()["results"]] == ["slot-1"]
    assert alice_client.delete("/api/storage/saves/slot-1", headers={"If-Match": '"1"'}).status_code == 204

"""The filter on the platform's text, end to end on the database: chat is delivered masked,
names are refused, and a change to the list reaches every process within a second."""

import pytest

from chat.lobbies.factories import make_lobby
from wordfilter import cache
from wordfilter.services import word_add, word_remove

pytestmark = pytest.mark.django_db
WORDS = "/api/moderation/words/"


@pytest.fixture
def lobby(premium_owner, alice):
    return make_lobby(owner=premium_owner, members=[alice])


def say(client, lobby, content: str) -> str:
    response = client.post(f"/api/lobbies/{lobby.pk}/messages/", {"content": content}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()["content"]


def test_a_word_added_over_the_api_is_masked_in_a_lobby_message(
    client_for, moderator, lobby, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert client_for(moderator).post(WORDS, {"word": "hello"}, format="json").status_code == 201
    client = client_for(alice)
    assert say(client, lobby, "well H.3.L.L.0 there, Othello") == "well ********* there, Othello"
    history = client.get(f"/api/lobbies/{lobby.pk}/messages/").json()["results"]
    assert history[-1]["content"] == "well ********* there, Othello"


def test_a_listed_word_is_masked_in_a_direct_message(client_for, listed, alice, bob, befriend):
    listed("ass")
    befriend(alice, bob)
    response = client_for(alice).post(f"/api/dm/{bob.pk}/messages/", {"content": "you @ss, a class act"}, format="json")
    assert response.status_code == 201 and response.json()["content"] == "you ***, a class act"


def test_a_lobby_name_with_a_listed_word_is_400_text_refused(client_for, listed, premium_owner):
    listed("shit")
    response = client_for(premium_owner).post("/api/lobbies/", {"name": "$h1t room", "max_participants": 4})
    assert response.status_code == 400 and response.json()["code"] == "text_refused"


def test_a_username_with_a_listed_word_is_400_text_refused_at_registration(api_client, listed):
    listed("shit")
    body = {"username": "sh1t_lord", "email": "x@example.com", "password": "s3cret-Passphrase"}
    response = api_client.post("/api/auth/register/", {**body, "password_confirm": body["password"]}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "text_refused"


def test_a_word_removed_over_the_api_is_no_longer_masked(
    client_for, moderator, listed, lobby, alice, django_capture_on_commit_callbacks
):
    listed("hello")
    client = client_for(alice)
    assert say(client, lobby, "hello") == "*****"
    word_id = client_for(moderator).get(WORDS).json()["results"][0]["id"]
    with django_capture_on_commit_callbacks(execute=True):  # the change's own process looks again at once
        assert client_for(moderator).delete(f"{WORDS}{word_id}/").status_code == 204
    assert say(client, lobby, "hello") == "hello"


def test_another_process_sees_a_change_within_a_second_without_a_signal(monkeypatch, moderator):
    now = [1000.0]
    monkeypatch.setattr(cache, "clock", lambda: now[0])
    assert cache.mask("hello") == "hello"  # this "process" compiled the empty list at t=1000
    added = word_add(
        staff=moderator, word="hello"
    )  # its on-commit expiry is this test's, never run: another process's change
    now[0] += 0.5
    assert cache.mask("hello") == "hello"  # within the second: no database read
    now[0] += 0.6
    assert cache.mask("hello") == "*****"  # looked again, the version moved: rebuilt
    word_remove(staff=moderator, word_id=added.pk)
    assert cache.refresh().mask("hello") == "hello"  # refresh(): look now, whatever the clock


def test_an_unchanged_list_is_not_compiled_again(monkeypatch, listed, django_assert_num_queries):
    listed("hello")
    now = [1000.0]
    monkeypatch.setattr(cache, "clock", lambda: now[0])
    first = cache.matcher()
    now[0] += 5
    with django_assert_num_queries(1):  # the version only
        assert cache.matcher() is first
    with django_assert_num_queries(0):  # within the second: nothing
        cache.mask("hello there")

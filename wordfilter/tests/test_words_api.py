"""Staff edit the list over the API: list, add, delete; others are refused."""

import pytest

from wordfilter.models import FilterListVersion, FilterWord

pytestmark = pytest.mark.django_db
WORDS = "/api/moderation/words/"


def test_moderator_adds_a_word_held_normalised(client_for, moderator):
    response = client_for(moderator).post(WORDS, {"word": "  H3LL0 "}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "word", "created_at"} and body["word"] == "hello"
    assert FilterWord.objects.get(pk=body["id"]).created_by == moderator


def test_moderator_lists_the_words_in_pages(client_for, moderator, listed):
    listed("shit", "ass", "hello")
    page = client_for(moderator).get(WORDS, {"page_size": 2}).json()
    assert [w["word"] for w in page["results"]] == ["ass", "hello"]
    assert page["next"] and page["previous"] is None


def test_the_same_word_in_another_spelling_is_409_word_exists(client_for, moderator, listed):
    listed("hello")
    response = client_for(moderator).post(WORDS, {"word": "HeLL0"}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "word_exists"


@pytest.mark.parametrize("word", ["a", "two words", "r2d2", "\u0436\u043e\u043f\u0430"])
def test_a_word_that_is_not_one_latin_word_is_400_naming_the_field(client_for, moderator, word):
    response = client_for(moderator).post(WORDS, {"word": word}, format="json")
    assert response.status_code == 400 and "word" in response.json()


def test_moderator_deletes_a_word_204_and_again_404_word_not_found(client_for, moderator, listed):
    listed("hello")
    word_id = FilterWord.objects.get().pk
    client = client_for(moderator)
    assert client.delete(f"{WORDS}{word_id}/").status_code == 204
    assert not FilterWord.objects.exists()
    again = client.delete(f"{WORDS}{word_id}/")
    assert again.status_code == 404 and again.json()["code"] == "word_not_found"


def test_every_change_raises_the_list_version(client_for, moderator):
    client = client_for(moderator)
    word_id = client.post(WORDS, {"word": "hello"}, format="json").json()["id"]
    client.delete(f"{WORDS}{word_id}/")
    assert FilterListVersion.objects.get().version == 2


def test_a_player_gets_403_on_every_words_route(client_for, alice, moderator, listed):
    listed("hello")
    client = client_for(alice)
    word_id = FilterWord.objects.get().pk
    answers = [
        client.get(WORDS),
        client.post(WORDS, {"word": "ass"}, format="json"),
        client.delete(f"{WORDS}{word_id}/"),
    ]
    assert [a.status_code for a in answers] == [403, 403, 403]
    assert FilterWord.objects.count() == 1


def test_anonymous_gets_401(api_client):
    assert api_client.get(WORDS).status_code == 401


def test_staff_add_and_delete_a_word_in_the_admin_through_the_services(client, make_user):
    admin_user = make_user("root", is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    added = client.post("/admin/wordfilter/filterword/add/", {"word": "H3LL0"})
    assert added.status_code == 302
    word = FilterWord.objects.get()
    assert (word.word, word.created_by) == ("hello", admin_user)
    again = client.post("/admin/wordfilter/filterword/add/", {"word": "hello"})
    assert again.status_code == 200 and FilterWord.objects.count() == 1  # the form says why
    deleted = client.post(f"/admin/wordfilter/filterword/{word.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302 and not FilterWord.objects.exists()
    assert FilterListVersion.objects.get().version == 2

"""A slower classifier flags messages into the queue through the speech door's ``heard`` hook,
and never holds a message back."""

import pytest

from gameplatform.chat import speech
from safety.models import Report
from safety.reports import report_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def classifier():
    """A reaction as a studio's classifier would register (here it decides at once, on a word)."""

    def flag(user_id: int, text: str, where: dict) -> None:
        if "gold" in text:
            report_file(reporter=None, user_id=user_id, reason="spam", comment="classifier", context=where)

    speech.heard.register(flag)
    yield
    speech.heard.reactions.remove(flag)


@pytest.fixture
def broken_classifier():
    def fail(user_id: int, text: str, where: dict) -> None:
        raise RuntimeError("the model is down")

    speech.heard.register(fail)
    yield
    speech.heard.reactions.remove(fail)


def test_a_classifier_flags_a_lobby_message_into_the_queue_with_its_evidence(
    classifier, client_for, alice, bob, lobby_with
):
    lobby = lobby_with(alice, bob)
    posted = client_for(bob).post(f"/api/lobbies/{lobby.pk}/messages/", {"content": "cheap gold here"}, format="json")
    assert posted.status_code == 201
    flagged = Report.objects.get(user=bob)
    assert flagged.reporter is None and flagged.reason == "spam"
    assert flagged.context == {"lobby_id": lobby.pk}
    assert flagged.evidence["lobby"]["id"] == lobby.pk


def test_a_classifier_that_fails_never_holds_a_message_back(broken_classifier, client_for, alice, bob, lobby_with):
    lobby = lobby_with(alice, bob)
    posted = client_for(bob).post(f"/api/lobbies/{lobby.pk}/messages/", {"content": "hello"}, format="json")
    assert posted.status_code == 201
    assert not Report.objects.exists()

"""A sanction carries its statement of reasons (EU DSA Art. 17): the rule broken, the facts it
concerns, whether automated means decided it, and until when it can be appealed; in the player's
list and in the notification that tells them."""

from datetime import datetime, timedelta

import pytest

from chat.lobbies.services import message_post
from notifications.models import Notification
from safety.models import Sanction
from safety.reports import report_file, report_resolve, report_resolve_quick
from safety.rules import DEFAULT_RULES

pytestmark = pytest.mark.django_db


def mine(client) -> list[dict]:
    return client.get("/api/sanctions/").json()["results"]


def test_a_quick_mute_from_a_report_states_the_rule_and_quotes_the_players_own_messages(
    client_for, alice, bob, moderator, lobby_with
):
    lobby = lobby_with(alice, bob)
    message_post(lobby_id=lobby.pk, user=alice, content="gg")
    message_post(lobby_id=lobby.pk, user=bob, content="you are worthless")
    report, _ = report_file(
        reporter=alice, user_id=bob.pk, reason="harassment", comment="alice's words", context={"lobby_id": lobby.pk}
    )

    report_resolve_quick(staff=moderator, report_id=report.pk, quick="mute_24h")

    (sanction,) = mine(client_for(bob))
    assert sanction["rule"] == "harassment"
    assert sanction["ground"] == DEFAULT_RULES["harassment"]
    assert '"you are worthless" (lobby "the lobby"' in sanction["facts"]
    assert "gg" not in sanction["facts"] and "alice's words" not in sanction["facts"]  # only bob's own content
    assert sanction["automated"] is False
    starts = datetime.fromisoformat(sanction["starts_at"].replace("Z", "+00:00"))
    assert datetime.fromisoformat(sanction["appeal_until"].replace("Z", "+00:00")) == starts + timedelta(days=180)
    told = Notification.objects.get(user=bob, kind="sanction").payload["sanction"]
    assert {k: told[k] for k in ("rule", "ground", "facts", "automated", "appeal_until")} == {
        k: sanction[k] for k in ("rule", "ground", "facts", "automated", "appeal_until")
    }


def test_a_studio_rewords_a_rule_and_adds_its_own(client_for, bob, moderator, settings):
    settings.MODERATION_RULES = {"spam": "Rule 4: no trading outside the market.", "smurfing": "Rule 9: one account."}

    made = client_for(moderator).post(
        "/api/moderation/sanctions/",
        {"user_id": bob.pk, "action": "warn", "statement": "Second account.", "rule": "smurfing", "facts": "Seen."},
        format="json",
    )

    assert made.status_code == 201, made.content
    assert (made.json()["ground"], made.json()["facts"]) == ("Rule 9: one account.", "Seen.")
    unknown = client_for(moderator).post(
        "/api/moderation/sanctions/",
        {"user_id": bob.pk, "action": "warn", "statement": "x", "rule": "no_such_rule"},
        format="json",
    )
    assert unknown.status_code == 400 and "rule" in unknown.json()["fields"]


def test_a_sanction_without_a_report_or_facts_states_the_other_rule_and_its_statement(client_for, bob, moderator):
    made = client_for(moderator).post(
        "/api/moderation/sanctions/",
        {"user_id": bob.pk, "action": "warn", "statement": "Seen cheating."},
        format="json",
    )
    assert (made.json()["rule"], made.json()["facts"]) == ("other", "Seen cheating.")


def test_a_resolution_may_name_its_rule_and_facts(alice, bob, moderator, befriend):
    befriend(alice, bob)
    from chat.dms.services import dm_send

    dm_send(sender=bob, recipient_id=alice.pk, content="buy gold at my site")
    report, _ = report_file(reporter=alice, user_id=bob.pk, reason="harassment", context={"dm_user_id": bob.pk})

    report_resolve(
        staff=moderator, report_id=report.pk, action="warn", statement="Advertising.", rule="spam", facts="An advert."
    )

    sanction = Sanction.objects.get(user=bob)
    assert (sanction.rule, sanction.ground, sanction.facts) == ("spam", DEFAULT_RULES["spam"], "An advert.")


def test_the_facts_quote_a_message_the_player_deleted_before_the_report(
    client_for, bob, premium_owner, moderator, lobby_with
):
    from chat.lobbies.services import message_delete

    lobby = lobby_with(bob)
    said = message_post(lobby_id=lobby.pk, user=premium_owner, content="you all are trash")
    message_delete(message_id=said.pk, actor=premium_owner, lobby_id=lobby.pk)
    report, _ = report_file(reporter=bob, user_id=premium_owner.pk, reason="harassment", context={"lobby_id": lobby.pk})

    report_resolve_quick(staff=moderator, report_id=report.pk, quick="warn")

    (sanction,) = mine(client_for(premium_owner))
    assert '"you all are trash"' in sanction["facts"] and "deleted afterwards" in sanction["facts"]


def test_an_inappropriate_name_report_states_the_name(client_for, alice, bob, moderator):
    report, _ = report_file(reporter=alice, user_id=bob.pk, reason="inappropriate_name")

    report_resolve_quick(staff=moderator, report_id=report.pk, quick="warn")

    assert mine(client_for(bob))[0]["facts"] == 'Your username "bob".'


@pytest.mark.parametrize("raw", ['["spam"]', '{"spam": ""}', '{"spam": 4}', "{spam: yes}"])
def test_a_rules_list_that_is_not_an_object_of_texts_stops_start_up(monkeypatch, raw):
    from django.core.exceptions import ImproperlyConfigured

    from gameplatform.core.env import env_text_map

    monkeypatch.setenv("MODERATION_RULES", raw)
    with pytest.raises(ImproperlyConfigured):
        env_text_map("MODERATION_RULES")


def test_a_rules_list_reads_as_its_texts(monkeypatch):
    from gameplatform.core.env import env_text_map

    monkeypatch.setenv("MODERATION_RULES", '{"spam": "Rule 4."}')
    assert env_text_map("MODERATION_RULES") == {"spam": "Rule 4."}

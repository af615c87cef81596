"""A report keeps its evidence as it was when it was filed: a group's or a DM's last messages and
a game's players and inputs stay in the report after the originals are gone, and a game still
running has the inputs its room took so far."""

import pytest

from accounts.services import user_delete
from chat.dms.services import dm_send
from conftest import receive_type
from game.models import GamePlayer
from game.tests.conftest import db, make_game, open_game, play, start_game  # noqa: F401
from groups.factories import make_group
from groups.models import Group, GroupMessage
from groups.services import group_leave, message_post
from safety.models import Report
from safety.reports import report_file


def moves(report: Report) -> list[tuple[int, dict]]:
    """The moves kept in a game report's evidence: (player, movement) each, oldest first."""
    return [(step[3][0], step[3][1]) for step in report.evidence["inputs"] if step[2] == "move"]


def players(report: Report) -> list[tuple[str, int]]:
    return [(p["username"], p["seat"]) for p in report.evidence["players"]]


@pytest.mark.django_db
def test_a_group_report_keeps_the_groups_last_messages_after_the_group_is_gone(alice, bob):
    clan = make_group(creator=alice, members=[bob], name="Raiders")
    message_post(group_id=clan.pk, user=alice, content="raid at nine")
    message_post(group_id=clan.pk, user=bob, content="you are useless")
    report, _ = report_file(reporter=alice, user_id=bob.pk, reason="harassment", context={"group_id": clan.pk})

    for user in (bob, alice):  # the last member's leaving deletes the group and its messages
        group_leave(group_id=clan.pk, user=user)
    assert not Group.objects.exists() and not GroupMessage.objects.exists()

    report.refresh_from_db()
    assert report.evidence["group"] == {"id": clan.pk, "name": "Raiders"}
    assert [(m["sender"], m["content"]) for m in report.evidence["messages"]] == [
        ("alice", "raid at nine"),
        ("bob", "you are useless"),
    ]


@pytest.mark.django_db
def test_a_dm_report_keeps_the_conversation_and_only_it_after_the_reporter_deletes_their_account(
    alice, bob, carol, befriend
):
    befriend(alice, bob)
    befriend(carol, bob)
    dm_send(sender=alice, recipient_id=bob.pk, content="good game")
    dm_send(sender=bob, recipient_id=alice.pk, content="get lost, loser")
    dm_send(sender=bob, recipient_id=carol.pk, content="not in alice's conversation")
    report, _ = report_file(reporter=alice, user_id=bob.pk, reason="harassment", context={"dm_user_id": bob.pk})

    user_delete(user=alice)  # her direct messages go with her; the report stays

    report.refresh_from_db()
    assert report.reporter is None
    assert [(m["sender"], m["content"]) for m in report.evidence["messages"]] == [
        ("alice", "good game"),
        ("bob", "get lost, loser"),
    ]


@pytest.mark.django_db(transaction=True)
async def test_a_report_during_a_running_game_keeps_its_players_and_the_inputs_so_far(
    make_game,  # noqa: F811
    start_game,  # noqa: F811
    alice,
    bob,
):
    game = await db(make_game)(alice, bob)
    ws_a, ws_b = await start_game(game.pk, alice, bob)
    await play(ws_a, ws_b, 0)
    await play(ws_b, ws_a, 4)

    report, created = await db(report_file)(
        reporter=alice, user_id=bob.pk, reason="cheating", context={"game_id": game.pk}
    )

    assert created
    assert report.evidence["game"]["state"] == "active"
    assert players(report) == [("alice", 0), ("bob", 1)]
    assert moves(report) == [(alice.pk, {"cell": 0}), (bob.pk, {"cell": 4})]
    assert {step[2] for step in report.evidence["inputs"]} >= {"connect", "ready", "move"}
    await ws_a.disconnect()
    await ws_b.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_finished_game_report_keeps_its_players_and_inputs_after_the_reporter_deletes_their_account(
    make_game,  # noqa: F811
    start_game,  # noqa: F811
    alice,
    bob,
):
    game = await db(make_game)(alice, bob)
    ws_a, ws_b = await start_game(game.pk, alice, bob)
    for mover, other, cell in ((ws_a, ws_b, 0), (ws_b, ws_a, 3), (ws_a, ws_b, 1), (ws_b, ws_a, 4)):
        await play(mover, other, cell)
    await ws_a.send_json_to({"type": "player_move", "movement": {"cell": 2}})
    over = await receive_type(ws_b, "game_over")
    assert over["winner_id"] == alice.pk

    report, _ = await db(report_file)(reporter=bob, user_id=alice.pk, reason="cheating", context={"game_id": game.pk})
    bob_id = bob.pk
    await db(user_delete)(user=bob)

    report = await db(Report.objects.get)(pk=report.pk)
    assert not await db(GamePlayer.objects.filter(game_id=game.pk, seat=1).exists)()
    assert report.evidence["game"]["state"] == "finished"
    assert players(report) == [("alice", 0), ("bob", 1)]
    assert moves(report) == [
        (alice.pk, {"cell": 0}),
        (bob_id, {"cell": 3}),
        (alice.pk, {"cell": 1}),
        (bob_id, {"cell": 4}),
        (alice.pk, {"cell": 2}),
    ]
    await ws_a.disconnect()
    await ws_b.disconnect()

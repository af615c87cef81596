"""Text other players read in game frames goes through the word filter and the mute, as chat does:
a mode's declared ``Text`` fields, and every string of a ``game_action`` whose data the mode relays
as sent. Moves and plain strings (``Str``: a cell's name, a card's id) are not text."""

import pytest
from asgiref.sync import sync_to_async

from conftest import receive_type
from game import registry
from game.modes.builtin.relay import Relay
from gameplatform.modes import message
from gameplatform.modes.schema import AnyObject, Int, List, Obj, Str, Text, holds_text, spoken
from safety.sanctions import sanction_impose
from wordfilter.services import word_add

pytestmark = pytest.mark.django_db(transaction=True)


class Signs(Relay):
    """A relay whose players hold up signs: a ``sign`` action with a text and a colour."""

    name = "signs"

    @message("sign", Obj(text=Text(80), colour=Str(16)))
    def sign(self, state, player, data, ctx):
        ctx.relay({"type": "game_action", "user_id": player.id, "action": "sign", "data": data})


@pytest.fixture
def signs(settings):
    settings.GAME_MODES = [*settings.GAME_MODES, "game.tests.test_game_text.Signs"]
    registry.modes.cache_clear()
    yield
    registry.modes.cache_clear()


@pytest.fixture
def moderator(make_staff):
    return make_staff("mona", "moderator")


@pytest.fixture
def listed(db):
    word_add(staff=None, word="gronk")


async def relayed(ws, action: str) -> dict:
    while True:
        frame = await receive_type(ws, "game_action")
        if frame["action"] == action:
            return frame


async def test_a_relayed_game_actions_text_reaches_the_other_player_with_listed_words_masked(
    make_game, alice, bob, start_game, listed
):
    game = await sync_to_async(make_game)(alice, bob)  # tic-tac-toe relays its other actions as sent
    ws_a, ws_b = await start_game(game.pk, alice, bob)
    await ws_a.send_json_to({"type": "game_action", "action": "emote", "data": {"say": ["gg", "you GR0NK"]}})
    assert (await relayed(ws_b, "emote"))["data"] == {"say": ["gg", "you *****"]}
    await ws_a.disconnect()
    await ws_b.disconnect()


async def test_a_declared_text_field_is_masked_and_a_plain_string_field_is_not(
    make_game, alice, bob, start_game, listed, signs
):
    game = await sync_to_async(make_game)(alice, bob, mode="signs")
    ws_a, ws_b = await start_game(game.pk, alice, bob)
    await ws_a.send_json_to({"type": "game_action", "action": "sign", "data": {"text": "gronk!", "colour": "gronk"}})
    assert (await relayed(ws_b, "sign"))["data"] == {"text": "*****!", "colour": "gronk"}
    await ws_a.disconnect()
    await ws_b.disconnect()


async def test_a_muted_players_game_text_is_refused_muted_and_they_still_play(
    make_game, alice, bob, start_game, moderator
):
    game = await sync_to_async(make_game)(alice, bob)
    ws_a, ws_b = await start_game(game.pk, alice, bob)
    await sync_to_async(sanction_impose)(
        staff=moderator, user_id=alice.pk, action="mute", duration_hours=1, statement="Spam."
    )
    await ws_a.send_json_to({"type": "game_action", "action": "emote", "data": {"say": "buy gold"}, "ref": 7})
    error = await receive_type(ws_a, "error")
    assert (error["code"], error["ref"]) == ("muted", 7) and error["until"]
    await ws_a.send_json_to({"type": "game_action", "action": "emote", "data": {"wave": 1}})  # no text
    assert (await relayed(ws_b, "emote"))["data"] == {"wave": 1}
    await ws_a.send_json_to({"type": "player_move", "movement": {"cell": 4}, "ref": 8})
    ack = await receive_type(ws_a, "ack")
    assert ack["ref"] == 8
    await ws_a.disconnect()
    await ws_b.disconnect()


def test_only_text_fields_and_relayed_strings_are_spoken():
    schema = Obj(name=Text(20), tags=List(Text(10)), card=Str(8), n=Int(0, 9), extra=AnyObject().opt())
    value = {"name": "a", "tags": ["b", ""], "card": "c", "n": 1, "extra": {"k": "d", "l": [1, "e"]}}
    assert spoken(schema, value, str.upper) == {
        "name": "A",
        "tags": ["B", ""],
        "card": "c",
        "n": 1,
        "extra": {"k": "d", "l": [1, "e"]},
    }
    assert spoken(schema, value, str.upper, relayed_text=True)["extra"] == {"k": "D", "l": [1, "E"]}
    assert holds_text(schema) and not holds_text(Obj(card=Str(8), extra=AnyObject()))
    assert holds_text(Obj(extra=AnyObject()), relayed_text=True)
    assert spoken(schema, "not an object", str.upper) == "not an object"  # check() refuses it

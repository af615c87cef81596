"""The manual's page on the browser SDK describes what a ``GameRoom`` holds, without a browser:
every getter of the class, and the values ``room.state`` takes."""

import re

from game.models import Game
from gameplatform.tests.live import ROOT

SDK = ROOT / "webclient" / "static" / "webclient" / "gameplatform.js"
PAGE = ROOT / "docs" / "sdks.md"


def game_rooms_paragraph() -> str:
    text = PAGE.read_text()
    start = text.index("- **Game rooms**")
    return " ".join(text[start : text.index("\n- **", start + 1)].split())


def test_the_sdk_page_names_every_getter_of_a_game_room():
    source = SDK.read_text()
    room = source[source.index("export class GameRoom") :]
    getters = re.findall(r"^  get (\w+)\(\)", room, flags=re.M)
    assert {"state", "mode", "players"} <= set(getters)
    paragraph = game_rooms_paragraph()
    assert [name for name in getters if f"`{name}`" not in paragraph] == []


def test_the_sdk_page_gives_the_states_a_game_room_goes_through():
    paragraph = game_rooms_paragraph()
    assert [state for state in Game.State.values if f"`{state}`" not in paragraph] == []
    assert "null before the first `game_state`" in paragraph

"""The code blocks of the SDK's README run against a real server, as they are written there."""

import asyncio
import contextlib
import io
import pathlib
import re

from world.services import REALITIES

from .test_sdk_live import befriend

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def block_defining(name: str) -> dict:
    """The names a README block defines, for the block that defines ``name``."""
    source = next(block for block in python_blocks() if f"def {name}(" in block)
    namespace: dict = {}
    exec(compile(source, str(README), "exec"), namespace)
    return namespace


def test_every_python_block_of_the_readme_is_run_here():
    names = ["async def main(", "async def play_tictactoe(", "async def lobby_and_dm(", "async def report_and_appeal("]
    blocks = python_blocks()
    assert len(blocks) == len(names)
    assert all(any(name in block for block in blocks) for name in names)


async def test_readme_ten_lines_chat_in_the_world(server):
    source = next(block for block in python_blocks() if "async def main(" in block)
    source = source.replace('"http://127.0.0.1:8000"', repr(server.http)).replace("asyncio.run(main())", "")
    namespace: dict = {}
    exec(compile(source, str(README), "exec"), namespace)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        await namespace["main"]()
    lines = printed.getvalue().splitlines()
    # The README shows a new world's reality (prime); the session's server may have shifted it.
    assert "[global] Aria: Hello, world!" in lines and {f"reality: {r}" for r in REALITIES} & set(lines)


async def test_readme_game_snippet_plays_tictactoe_to_the_end(server, make_client):
    play_tictactoe = block_defining("play_tictactoe")["play_tictactoe"]
    alice, bob = await make_client("alice"), await make_client("bob")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        results = await asyncio.wait_for(asyncio.gather(play_tictactoe(alice), play_tictactoe(bob)), 60)
    # Both take the first free cell: X 0, O 1, X 2, O 3, X 4, O 5, X 6 wins on the diagonal 2-4-6.
    x_id = (await alice.get_game((await alice.list_games())[0]["id"]))["players"][0]["id"]
    assert results[0] == results[1] == (x_id, "win")
    boards = printed.getvalue().splitlines()
    assert "['X', 'O', 'X', 'O', 'X', 'O', 'X', None, None]" in boards


async def test_readme_lobby_and_dm_snippet(server, make_client):
    lobby_and_dm = block_defining("lobby_and_dm")["lobby_and_dm"]
    alice, bob = await make_client("alice"), await make_client("bob")
    await befriend(alice, bob)
    owner = await make_client(login="premium_user_1")
    lobby = await owner.create_lobby(f"readme {alice.user_id}", max_participants=4)
    with contextlib.redirect_stdout(io.StringIO()):
        await lobby_and_dm(alice, lobby["id"], bob.user_id)
    assert [m["content"] for m in await bob.dm_history(alice.user_id)] == ["hi"]
    assert [m["content"] for m in (await alice.lobby_history(lobby["id"]))["results"]] == ["gg"]


async def test_readme_report_and_appeal_snippet(server, make_client):
    report_and_appeal = block_defining("report_and_appeal")["report_and_appeal"]
    alice, bob = await make_client("alice"), await make_client("bob")
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        await report_and_appeal(alice, bob.user_id, None)
    assert printed.getvalue().splitlines() == ["['open'] []"]


def test_the_readme_gives_the_default_timeout_of_every_wait():
    """Every call that waits takes ``timeout=``; the README's table of them gives each default."""
    import inspect

    from gameplatform_client import GameClient
    from gameplatform_client.rooms import GameRoom
    from gameplatform_client.sockets import Socket

    text = README.read_text()
    table = dict(re.findall(r"^\| `(\w+)\(\)`[^|]*\| ([^|]+?) \|", text.split("### Timeouts", 1)[-1], flags=re.M))
    defaults = {}
    for cls in (GameClient, GameRoom, Socket):
        for name, method in inspect.getmembers(cls, inspect.iscoroutinefunction):
            timeout = inspect.signature(method).parameters.get("timeout")
            if not name.startswith("_") and timeout is not None and timeout.default is not inspect.Parameter.empty:
                defaults[name] = timeout.default
    assert {"wait_for_match", "until_my_turn", "next"} <= set(defaults)
    said = {name: table.get(name) for name in defaults}
    # None: the client's ``request_timeout`` for what awaits an answer, its ``timeout`` for the rest.
    answered = {"request", "ready", "move", "action"}
    client_default = {name: "`request_timeout`" if name in answered else "`timeout`" for name in defaults}
    expected = {
        name: f"the client's {client_default[name]}" if d is None else f"{d:g} s" for name, d in defaults.items()
    }
    assert said == expected

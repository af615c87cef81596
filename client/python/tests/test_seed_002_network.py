"""Seed 002's own client code, read from the seed document at test time, runs against a real server.

The seed's code blocks are not copied here: they are taken from the seed file (in
``../shared/seeds`` beside the repository, or ``SEEDS_DIR``) and run as written, with
``GAMEPLATFORM_URL`` naming the live server. The quick start runs verbatim as a script of its own
(``python quickstart.py``, its ``if __name__ == "__main__"`` included), logging in with the seed's
own ``"username", "password"``: that account is made first in the live server's database, as an
operator would (``create_user`` takes any password; the platform's registration refuses
``password``). Its examples that use a ``client`` without making one get a connected
``NetworkClient`` and what ``from network import ...`` gives; the users and characters they assume
are created through the API first.
"""

import ast
import asyncio
import builtins
import contextlib
import inspect
import io
import json
import logging
import os
import pathlib
import re
import signal
import subprocess
import sys
import tomllib
import types

import network
import pytest
from gameplatform_client import GameClient
from network import InsecureTransportError, MessageType, NetworkClient, NotSupportedError

from .conftest import PASSWORD, new_name

# Holds a route or frame family of the contract to the server: `make test` runs it under daphne too.
pytestmark = pytest.mark.contract

CLIENT_DIR = pathlib.Path(__file__).resolve().parents[1]
REPOSITORY = CLIENT_DIR.parents[1]
SEEDS = pathlib.Path(os.environ.get("SEEDS_DIR") or REPOSITORY.parent / "shared" / "seeds")
QUICK_START = "from network import NetworkClient, MessageType"


def seed_file() -> pathlib.Path | None:
    candidates = sorted(SEEDS.glob("*.txt")) if SEEDS.is_dir() else []
    return next((path for path in candidates if QUICK_START in path.read_text()), None)


SEED = seed_file()
needs_seed = pytest.mark.skipif(
    SEED is None, reason=f"seed 002 (the document with {QUICK_START!r}) is not in {SEEDS} (set SEEDS_DIR)"
)


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", SEED.read_text(), flags=re.S)


def block(marker: str, language: str = "python") -> str:
    found = [source for source in blocks(language) if marker in source]
    assert len(found) == 1, f"{len(found)} {language} blocks of the seed hold {marker!r}"
    return found[0]


# Every python block of the seed, by a line it holds: run by a test here, or why not.
RUN = {
    "MasterServer(": "test_master_server_block_says_where_the_server_is",
    QUICK_START: "test_quick_start_runs_as_written",
    "client.encryption_enabled = True": "test_encryption_block_means_tls_only",
    "def on_shard_captured(": "test_world_examples_run_as_written",
    "client.get_nearby_players(location_id=5)": "test_world_examples_run_as_written",
    'combat_id="combat_123"': "test_world_examples_run_as_written",
    "await client.send_move(": "test_world_examples_run_as_written",
    "Failed to get characters": "test_error_handling_blocks_run_as_written",
    "def on_error(": "test_world_examples_run_as_written",
    "create_chat_message(": "test_protocol_block_round_trips_a_chat_message",
    "create_character_update(": "test_game_integration_blocks_with_the_seeds_own_game_modules",
    "create_shard_captured_message(": "test_game_integration_blocks_with_the_seeds_own_game_modules",
}
NOT_RUN = {
    "master_server_host =": "the seed server's own config/settings.py: no client code",
}


def seed_namespace(**names) -> dict:
    """What the seed's examples assume is in scope: the ``network`` names, a logger, and ``names``."""
    namespace = {name: getattr(network, name) for name in network.__all__}
    return {**namespace, "logger": logging.getLogger("seed002"), "__name__": "seed002", **names}


async def run_block(source: str, namespace: dict) -> dict:
    """Run one block as written (top-level ``await`` allowed, as in the seed's examples)."""
    code = compile(source, str(SEED), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    result = eval(code, namespace)  # noqa: S307 - the seed's own code, the point of the test
    if inspect.iscoroutine(result):
        await result
    return namespace


async def eventually(check, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not check():  # noqa: ASYNC110 - printed lines and caches have no event to wait on
            await asyncio.sleep(0.05)


@needs_seed
def test_every_python_block_of_the_seed_is_run_here():
    for source in blocks("python"):
        markers = [marker for marker in [*RUN, *NOT_RUN] if marker in source]
        assert markers, f"a python block of the seed no test runs:\n{source}"
    assert all(name in globals() for name in RUN.values())


def seed_commands() -> list[str]:
    """The shell lines of the seed that run its Python modules."""
    return [line for source in blocks("bash") for line in source.splitlines() if line.startswith("python")]


def test_the_sdk_distribution_ships_the_network_module():
    pyproject = tomllib.loads((CLIENT_DIR / "pyproject.toml").read_text())
    assert "network" in pyproject["tool"]["setuptools"]["packages"]
    assert pathlib.Path(network.__file__).resolve().parent == CLIENT_DIR / "network"


# --- blocks that need no server ----------------------------------------------------------------


@needs_seed
async def test_master_server_block_says_where_the_server_is():
    namespace = await run_block(block("MasterServer("), seed_namespace())
    with pytest.raises(NotSupportedError, match="gameplatform itself: start it from the repository with `make run`"):
        await namespace["main"]()


@needs_seed
def test_master_server_command_says_where_the_server_is():
    assert "python -m network.master_server" in seed_commands()
    done = run_seed_command("python -m network.master_server", "http://127.0.0.1:9")
    assert done.returncode == 1
    assert "The master server is gameplatform itself" in done.stderr and "Traceback" not in done.stderr


@needs_seed
async def test_encryption_block_means_tls_only(monkeypatch):
    source = block("client.encryption_enabled = True")
    monkeypatch.setenv("GAMEPLATFORM_URL", "http://127.0.0.1:8000")
    with pytest.raises(InsecureTransportError, match="means TLS only, and http://127.0.0.1:8000 is not TLS"):
        await run_block(source, seed_namespace())
    monkeypatch.setenv("GAMEPLATFORM_URL", "wss://games.example.com")
    namespace = await run_block(source, seed_namespace())
    assert namespace["client"].encryption_enabled is True
    assert namespace["client"].url == "https://games.example.com"
    await namespace["client"].disconnect()


@needs_seed
async def test_protocol_block_round_trips_a_chat_message():
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        await run_block(block("create_chat_message("), seed_namespace())
    frame = json.loads(printed.getvalue())
    assert (frame["type"], frame["channel"], frame["message"]) == ("chat", "global", "Hello, world!")
    assert frame["sender"] == {"character_id": 1, "name": "TestUser", "faction": None}


@needs_seed
async def test_game_integration_blocks_with_the_seeds_own_game_modules():
    """The seed's game modules (``characters``, ``world``) are its game's, not the client's: stand-ins
    here. A client cannot send a character update (the server is authoritative): it says so."""
    character = types.SimpleNamespace(id=1, name="Aria", location_id=4, health=90, max_health=100, level=2)
    game = {
        "characters": types.SimpleNamespace(
            CharacterManager=lambda: types.SimpleNamespace(load_character=lambda **_: character)
        ),
        "world": types.SimpleNamespace(ShardManager=lambda: types.SimpleNamespace(capture_shard=lambda **_: True)),
    }

    def seed_import(name, *args, **kwargs):
        return game[name] if name in game else builtins.__import__(name, *args, **kwargs)

    client = NetworkClient(url="http://127.0.0.1:9")
    scope = {"__builtins__": {**vars(builtins), "__import__": seed_import}, "client": client}
    with pytest.raises(NotSupportedError, match="A client cannot send 'character_update': the server is authoritative"):
        await run_block(block("create_character_update("), seed_namespace(**scope))
    namespace = await run_block(
        block("create_shard_captured_message("), seed_namespace(**scope, player_id=1, player_name="Aria")
    )
    captured = namespace["shard_msg"]
    assert captured.type == MessageType.SHARD_CAPTURED
    assert (captured.shard_name, captured.faction, captured.character_name) == (
        "Phoenix Flame",
        "Crimson Covenant",
        "Aria",
    )
    await client.disconnect()


def test_the_server_address_is_the_argument_then_gameplatform_url_then_localhost(monkeypatch):
    monkeypatch.delenv("GAMEPLATFORM_URL", raising=False)
    assert network.server_url() == "http://localhost:8000"
    monkeypatch.setenv("GAMEPLATFORM_URL", "https://games.example.com/")
    assert network.server_url() == "https://games.example.com"
    assert network.server_url("ws://127.0.0.1:8001") == "http://127.0.0.1:8001"
    with pytest.raises(ValueError, match="is not a server address"):
        network.server_url("localhost:8000")


async def test_seed_calls_without_a_counterpart_answer_with_their_reason():
    async with NetworkClient(url="http://127.0.0.1:9") as client:
        with pytest.warns(
            UserWarning, match="auth_response never arrives from the platform: logging in is a REST call"
        ):
            client.register_handler(MessageType.AUTH_RESPONSE, print)
        errors = []
        client.register_handler(MessageType.ERROR, errors.append)
        await client.send_combat_action(combat_id="dragon", action_type="attack")
        assert [(e.error_code, e.details) for e in errors] == [("combat_not_found", {"combat_id": "dragon"})]
        with pytest.raises(network.NotConnected, match="No world socket yet"):
            client.get_nearby_players(location_id=5)


# --- against the live server ---------------------------------------------------------------------


def run_seed_command(command: str, url: str) -> subprocess.CompletedProcess:
    """A shell line of the seed (``python -m ...``), with this checkout's SDK and ``GAMEPLATFORM_URL``."""
    words = command.split()
    assert words[:2] == ["python", "-m"], command
    env = {**os.environ, "GAMEPLATFORM_URL": url}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(CLIENT_DIR), env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, *words[1:]], env=env, capture_output=True, text=True, timeout=60)


@needs_seed
def test_peer_command_reaches_the_server(server):
    assert "python -m network.peer" in seed_commands()
    done = run_seed_command("python -m network.peer", server.http)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"{server.http}: ok (version ")


async def new_player(server, faction: str) -> tuple[str, dict]:
    """A new account with one character (selected, at its faction's home), made through the API."""
    username = new_name("seed002")
    async with GameClient(server.http) as maker:
        await maker.register(username, PASSWORD)
        character = await maker.create_character(username.replace("seed002_", "S"), faction)
    return username, character


# The account seed 002's quick start logs in with, and the character it selects and chats as.
SEED_USERNAME, SEED_PASSWORD = "username", "password"
SEED_CHARACTER = "Quickstarter"
MAKE_SEED_ACCOUNT = f"""
from django.contrib.auth import get_user_model

user, _ = get_user_model().objects.get_or_create(
    username={SEED_USERNAME!r}, defaults={{"email": "seed002@example.com"}}
)
user.set_password({SEED_PASSWORD!r})
user.save()
"""


async def seed_account(server) -> dict:
    """The quick start's account (made in the live server's database, where no password validator
    runs) with one character; the character."""
    shell = await asyncio.create_subprocess_exec(
        sys.executable,
        "manage.py",
        "shell",
        "-c",
        MAKE_SEED_ACCOUNT,
        cwd=REPOSITORY,
        env=server.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _, errors = await asyncio.wait_for(shell.communicate(), 60)
    assert shell.returncode == 0, errors.decode()
    async with GameClient(server.http) as maker:
        await maker.login(SEED_USERNAME, SEED_PASSWORD)
        characters = await maker.get_characters()
        return characters[0] if characters else await maker.create_character(SEED_CHARACTER, "Crimson Covenant")


STOP_WITHIN = 30  # seconds from Ctrl-C to the quick start's exit


@needs_seed
async def test_quick_start_runs_as_written(server, tmp_path):
    """The seed's quick start, byte for byte, as ``python quickstart.py``: it logs in, selects the
    character, chats and prints the reality, then runs until stopped (Ctrl-C, as a person would)."""
    character = await seed_account(server)
    script = tmp_path / "quickstart.py"
    script.write_text(block(QUICK_START))
    env = {**os.environ, "GAMEPLATFORM_URL": server.http, "PYTHONUNBUFFERED": "1"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(CLIENT_DIR), env.get("PYTHONPATH")]))
    said = f"[global] {character['name']}: Hello, world!"
    process = await asyncio.create_subprocess_exec(
        sys.executable, script.name, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    printed = []
    try:
        async with asyncio.timeout(30):
            while not (said in printed and any(line.startswith("Current reality: ") for line in printed)):
                line = await process.stdout.readline()
                assert line, f"the quick start ended: {(await process.stderr.read()).decode()}"
                printed.append(line.decode().rstrip("\n"))
        await asyncio.sleep(0.5)  # it keeps running, as the seed says
        assert process.returncode is None
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
        try:
            # Its sockets close on the way out, each waiting up to websockets' close timeout (10 s)
            # for the server's half of the handshake: on a loaded machine two of them took over 15 s.
            rest, errors = await asyncio.wait_for(process.communicate(), STOP_WITHIN)
        except TimeoutError:
            process.kill()  # never left running: its player would stay online for the next tests
            await process.wait()
            raise AssertionError(f"the quick start did not stop within {STOP_WITHIN} s of Ctrl-C") from None
    printed += rest.decode().splitlines()
    assert errors.decode().strip().splitlines()[-1] == "KeyboardInterrupt"  # the stop, and no other error
    async with GameClient(server.http) as reader:
        await reader.login(SEED_USERNAME, SEED_PASSWORD)
        reality = (await reader.get_world_state())["current_reality"]
    assert sorted(printed) == sorted([said, f"Current reality: {reality}"])


@needs_seed
async def test_error_handling_blocks_run_as_written(server, caplog, monkeypatch):
    monkeypatch.setenv("GAMEPLATFORM_URL", server.http)
    username, character = await new_player(server, "Azure Order")
    async with NetworkClient() as client:
        await client.connect(username, PASSWORD)
        namespace = await run_block(block("Failed to get characters"), seed_namespace(client=client))
        assert [c["name"] for c in namespace["characters"]] == [character["name"]]
    async with NetworkClient() as stranger:  # never logged in
        with caplog.at_level(logging.ERROR, logger="seed002"):
            await run_block(block("Failed to get characters"), seed_namespace(client=stranger))
    logged = [record.getMessage() for record in caplog.records if record.name == "seed002"]
    assert logged == ["Failed to get characters: 401 not_authenticated: Not logged in."]


@needs_seed
async def test_world_examples_run_as_written(server, monkeypatch):
    """One player walks to Ashen Road (4), captures its shard and fights a wolf there, then runs the
    seed's movement (4 to 5), discovery (who is at 5) and combat examples, with its handlers on."""
    monkeypatch.setenv("GAMEPLATFORM_URL", server.http)
    neighbour_name, neighbour = await new_player(server, "Verdant Circle")
    async with GameClient(server.http) as reader:
        await reader.login(neighbour_name, PASSWORD)
        shard = next(s for s in await reader.get_shards() if s["location_id"] == 4)
    # Verdant comes through Whispering Fen (3, 5, 4); Crimson's home touches Ashen Road. Verdant
    # first: test_sdk_calls captures this shard for Crimson, before or after this test.
    crimson = shard["owner_faction"] == "Verdant Circle"
    username, character = await new_player(server, "Crimson Covenant" if crimson else "Verdant Circle")
    async with NetworkClient() as client, NetworkClient() as other:
        await other.connect(neighbour_name, PASSWORD)
        assert (await other.send_move(5)).to_location_id == 5
        await client.connect(username, PASSWORD)
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            scope = seed_namespace(client=client)
            for marker in ("def on_error(", "def on_shard_captured("):
                await run_block(block(marker), scope)
            for step in [] if crimson else [5]:
                await walk(client, step)
            await walk(client, 4)

            await client.capture_shard(shard["id"])
            captured = f"Shard {shard['name']} captured by {character['faction']}!"
            await eventually(lambda: captured in printed.getvalue())
            enemies = (await location(client, 4))["enemies"]
            assert enemies, "no enemy alive at Ashen Road (they respawn 30 s after a defeat)"
            wolf = enemies[0]
            fight = await client.start_combat("enemy", wolf["id"])
            await client.send_combat_action(
                combat_id=f"combat_{fight.combat_id}", action_type="attack", target_id=wolf["id"]
            )
            await eventually(lambda: "Damage dealt: " in printed.getvalue())

            await asyncio.sleep(1.1)  # one move a second
            await run_block(block("await client.send_move("), scope)
            assert (await client.get_characters())[0]["location_id"] == 5
            await other.send_position_update({"x": 1.0, "y": 2.0, "z": 0.0})
            await eventually(lambda: any(p.position for p in client.get_nearby_players(5)))
            await run_block(block("client.get_nearby_players(location_id=5)"), scope)

            await asyncio.sleep(1.1)  # the attack cooldown of the fight above
            await run_block(block('combat_id="combat_123"'), scope)
            await eventually(lambda: printed.getvalue().count("Error combat_not_found") == 3)
        lines = printed.getvalue().splitlines()
    assert lines[0] == captured
    assert re.fullmatch(r"Damage dealt: \d+", lines[1])  # mine on the wolf (then its counter)
    at = lines.index(f"{neighbour['name']} (Level 1, Verdant Circle)")
    assert lines[at + 1] == "  Position: {'x': 1.0, 'y': 2.0, 'z': 0.0}"
    assert re.fullmatch(r"  Last seen: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+\+00:00", lines[at + 2])
    assert lines[-3:] == ["Error combat_not_found: No such combat of yours."] * 3


async def walk(client: NetworkClient, to: int) -> None:
    await asyncio.sleep(1.1)  # one move a second
    moved = await client.send_move(to)
    assert moved is not None and moved.to_location_id == to


async def location(client: NetworkClient, location_id: int) -> dict:
    return next(place for place in await client.sdk.get_locations() if place["id"] == location_id)

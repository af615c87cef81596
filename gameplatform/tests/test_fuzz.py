"""Fuzzing, bounded in time, against a real server process (the ``live`` fixture): zero server errors.

- REST: schemathesis generates requests for every operation of ``/api/schema/`` (valid and
  invalid input), authenticated as a test user; no answer may be a 5xx (``not_a_server_error``).
- WebSockets: random frames (JSON of every shape, known types with random fields, non-JSON,
  binary, huge, deeply nested, any Unicode, NUL, lone surrogates) on every route of
  ``collect_websocket_urlpatterns``; the server answers ``error`` frames, never closes with
  1011 nor drops a socket without a close, and logs no unhandled exception (``live`` checks).

The seed is fixed by default, so CI replays the same inputs each run; ``FUZZ_SEED=random``
explores fresh ones, ``FUZZ_SEED=<n>`` replays a run (the seed is printed on failure);
``FUZZ_EXAMPLES`` raises the REST examples per operation and mode.
"""

import asyncio
import json
import os
import random
import time

import httpx
import hypothesis
import hypothesis.errors
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis.checks import not_a_server_error
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from gameplatform.sockets.routing import collect_websocket_urlpatterns
from gameplatform.tests.live import bearer
from gameplatform.tests.test_socket_endings import lobby_with_member, new_name

_seed = os.environ.get("FUZZ_SEED", "20261122")
SEED = random.randrange(2**32) if _seed == "random" else int(_seed)
REST_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 12))
REST_BUDGET_SECONDS = 45.0
WS_SECONDS_PER_ROUTE = 3.0
# Endings a client may cause on purpose (normal, flooding, too large, the contract's 44xx); under
# daphne 1008/1009/1013 go out as 4008/4009/4013 (``LiveServer.close_code``).
ALLOWED_CLOSES = {1000, 1001, 1008, 1009, 1013, 4400, 4401, 4403, 4404, 4409}


# --- REST ------------------------------------------------------------------------------


class OutOfTime(Exception):
    """This operation's share of the time budget is spent."""


def test_fuzz_rest_schema_operations_never_answer_5xx(live):
    """Every operation of the schema, fuzzed, never answers a 5xx. It takes about 45 s by design:
    schemathesis sends up to ``FUZZ_EXAMPLES`` valid and invalid requests to each operation
    within a budget of ``REST_BUDGET_SECONDS`` (45 s) shared between them."""
    user = live.register(new_name("fuzz_rest"))
    headers = bearer(user["access"])
    schema = schemathesis.openapi.from_url(f"{live.http}/api/schema/", headers=headers, timeout=30)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20
    failures: list[str] = []
    started = time.monotonic()
    per_operation = REST_BUDGET_SECONDS / len(operations)
    sent = 0
    for index, operation in enumerate(operations):
        # Each operation gets its share of the budget (and what earlier ones left unused).
        deadline = started + per_operation * (index + 1)
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):

            @hypothesis.seed(SEED)
            @hypothesis.settings(
                max_examples=REST_EXAMPLES,
                deadline=None,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @hypothesis.given(case=operation.as_strategy(mode))
            def run(case) -> None:
                nonlocal sent
                if time.monotonic() > deadline:  # noqa: B023 - run() is called in this iteration
                    raise OutOfTime
                sent += 1
                try:
                    case.call_and_validate(base_url=live.http, headers=headers, checks=[not_a_server_error], timeout=15)
                except Exception as exc:  # a failed check, or the server stopped answering
                    failures.append(
                        f"{operation.label} ({mode.value}): {case.as_curl_command(headers)}\n  {exc!r}"[:2000]  # noqa: B023
                    )

            try:
                run()
            except hypothesis.errors.Unsatisfiable:  # nothing to make invalid (no parameters, no body)
                pass
            except OutOfTime:
                break
    assert not failures, f"FUZZ_SEED={SEED}: {len(failures)} server errors:\n" + "\n".join(failures[:20])
    assert sent >= len(operations)  # every operation was called


# --- WebSockets --------------------------------------------------------------------------

UNICODE = [
    "\x00",
    "\u0000\u0000",
    "\ud800",
    "\udfff",
    "\U0001f600",
    "\u202e",
    "\ufeff",
    "Ω",
    "é" * 3,
    "\n\t",
    '"',
    "\\",
]


def random_string(rng: random.Random, limit: int = 40) -> str:
    return "".join(
        rng.choice(UNICODE) if rng.random() < 0.3 else chr(rng.randrange(32, 0x2FFF))
        for _ in range(rng.randrange(limit))
    )


def random_value(rng: random.Random, depth: int = 0):
    kinds = ["str", "int", "float", "bool", "null"] + (["list", "dict"] if depth < 4 else [])
    kind = rng.choice(kinds)
    if kind == "str":
        return random_string(rng)
    if kind == "int":
        return rng.choice([0, -1, 1, 2**31, 2**63, -(2**63) - 1, 10**30, rng.randrange(-1000, 1000)])
    if kind == "float":
        return rng.choice([0.5, -1e308, 1e308, 1e-300, rng.random() * 100])
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "null":
        return None
    if kind == "list":
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(5))]
    return {random_string(rng, 10): random_value(rng, depth + 1) for _ in range(rng.randrange(5))}


def dump(value, rng: random.Random) -> str:
    """JSON text; lone surrogates only as ``\\ud800`` escapes (raw ones are not UTF-8)."""
    text = json.dumps(value, ensure_ascii=rng.random() < 0.5)
    try:
        text.encode()
    except UnicodeEncodeError:
        text = json.dumps(value)
    return text


def random_frame(rng: random.Random, types: list[str]) -> str | bytes:
    """One frame: mostly JSON objects of the route's own types, with random fields."""
    roll = rng.random()
    if roll < 0.45:
        frame = {"type": rng.choice(types)}
        for _ in range(rng.randrange(4)):
            key = rng.choice(["message", "content", "movement", "action", "data", "cell", "ref", "target", "channel"])
            frame[key] = random_value(rng)
        return dump(frame, rng)
    if roll < 0.6:
        return dump(random_value(rng), rng)
    if roll < 0.7:
        frame = {random_string(rng, 8): random_value(rng) for _ in range(rng.randrange(4))}
        frame["type"] = random_value(rng) if rng.random() < 0.5 else random_string(rng)
        return dump(frame, rng)
    if roll < 0.78:
        return (
            random_string(rng, 200).encode("utf-8", "replace").decode()
        )  # not JSON (or by chance JSON that is not an object)
    if roll < 0.84:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(64)))  # binary
    if roll < 0.9:
        depth = rng.choice([64, 1000, 20000])
        return '{"type": "ping", "x": ' + "[" * depth + "]" * depth + "}"
    if roll < 0.95:
        return '{"type": "' + rng.choice(types) + '", "message": "' + "\\u0000" * rng.randrange(1, 5) + '"}'
    return json.dumps({"type": rng.choice(types), "message": "x" * rng.choice([1001, 70_000, 300_000])})


def _first_id(live, access: str, path: str):
    response = httpx.get(f"{live.http}{path}", headers=bearer(access), timeout=10)
    body = response.json() if response.status_code == 200 else []
    items = body.get("results", []) if isinstance(body, dict) else body
    return items[0]["id"] if items else None


def websocket_paths(live) -> tuple[dict, list[tuple[str, list[str]]]]:
    """Every socket route, its parameters filled so that the socket is accepted where possible."""
    owner, _, lobby_id = lobby_with_member(live)
    friend = live.login("user_1")  # seed_demo: friends with premium_user_1
    lobby_name = httpx.get(f"{live.http}/api/lobbies/{lobby_id}/", headers=bearer(owner["access"]), timeout=10).json()[
        "name"
    ]
    game_id = _first_id(live, owner["access"], "/api/games/") or 1
    battle_id = _first_id(live, owner["access"], "/api/battles/available/") or 1
    httpx.post(f"{live.http}/api/battles/join/{battle_id}/", headers=bearer(owner["access"]), timeout=10)
    # A selected character, so that the world socket (``/ws/world/``, ``/ws``) is accepted and fuzzed.
    character = {"name": f"Fuzzer {random.randrange(10**8)}", "faction": "Crimson Covenant"}
    created = httpx.post(f"{live.http}/api/characters/", json=character, headers=bearer(owner["access"]), timeout=10)
    assert created.status_code == 201, created.text
    # A group of the owner's (its superadmin), so that the group socket is accepted and fuzzed.
    group = {"name": f"Fuzzers {random.randrange(10**8)}", "description": "", "open": True, "max_members": 10}
    founded = httpx.post(f"{live.http}/api/groups/", json=group, headers=bearer(owner["access"]), timeout=10)
    assert founded.status_code == 201, founded.text
    values = {
        "group_id": founded.json()["id"],
        "lobby_id": lobby_id,
        "lobby_name": lobby_name,
        "user_id": friend["id"],
        "game_id": game_id,
        "battle_id": battle_id,
    }
    routes = []
    for pattern in collect_websocket_urlpatterns():
        route = str(pattern.pattern)
        consumer = getattr(pattern.callback, "consumer_class", None)
        types = sorted(getattr(consumer, "client_types", ())) + ["ping"]
        if route == "^":  # the catch-all of unknown paths
            path = "/ws/no-such-route/"
        else:
            path = "/" + route
            for name, value in values.items():
                for converter in ("id", "str"):
                    path = path.replace(f"<{converter}:{name}>", str(value))
        assert "<" not in path, f"no value for a parameter of {route}"
        routes.append((path, types))
    return owner, routes


async def fuzz_route(live, access: str, path: str, types: list[str], rng: random.Random) -> dict:
    """Random frames on one route for a few seconds; reconnects after each (allowed) close."""
    stats = {"frames": 0, "errors": 0, "closes": []}
    deadline = time.monotonic() + WS_SECONDS_PER_ROUTE
    while time.monotonic() < deadline:
        ws = await connect(
            live.ws + path, additional_headers=bearer(access), compression=None, ping_interval=None, max_size=None
        )
        refused = False
        try:
            # The contract's error frames for the classic bad frames, then random ones.
            for bad, code in (
                ("not json", "bad_json"),
                ('{"type": 1}', "invalid"),
                ('{"type": "nope"}', "unknown_type"),
            ):
                await ws.send(bad)
                got = await next_error(ws)
                if got != code and bad == "not json":
                    # Refused on connect with a reason (e.g. /ws/world/ without a character):
                    # that error frame, then a 44xx close (checked below).
                    async with asyncio.timeout(5):
                        await ws.wait_closed()
                    refused = True
                    break
                assert got == code, (path, bad, got)
            while not refused and time.monotonic() < deadline:
                for _ in range(rng.randrange(1, 8)):
                    await ws.send(random_frame(rng, types))
                    stats["frames"] += 1
                # Still serving: a ping is answered (other frames, errors included, may come first).
                await ws.send(json.dumps({"type": "ping", "ref": "alive"}))
                stats["errors"] += await until_pong(ws)
            await ws.close()
        except ConnectionClosed:
            pass
        except Exception:
            await ws.close()
            raise
        code = ws.close_code
        stats["closes"].append(code)
        assert code in {live.close_code(allowed) for allowed in ALLOWED_CLOSES}, (
            f"{path}: closed with {code} (FUZZ_SEED={SEED})"
        )
        if refused:
            break
    return stats


async def next_error(ws) -> str:
    async with asyncio.timeout(5):
        while True:
            frame = json.loads(await ws.recv())
            if frame.get("type") == "error":
                return frame["code"]


async def until_pong(ws) -> int:
    errors = 0
    async with asyncio.timeout(10):
        while True:
            frame = json.loads(await ws.recv())
            if frame.get("type") == "error":
                errors += 1
                assert frame.get("code") != "server_error", frame
            if frame == {"type": "pong", "ref": "alive"}:
                return errors


async def test_fuzz_random_frames_on_every_websocket_route(live):
    """Random frames on every WebSocket route get ``error`` frames, never a server error or a
    dropped socket. It takes about 40 s by design: ``WS_SECONDS_PER_ROUTE`` (3 s) of frames on
    each of the dozen routes, then a ping on each socket to see it still answers."""
    owner, routes = await asyncio.to_thread(websocket_paths, live)
    rng = random.Random(SEED)
    report = {}
    for path, types in routes:
        report[path] = await fuzz_route(live, owner["access"], path, types, rng)
    assert len(routes) >= 8
    # Real fuzzing happened where the socket is accepted (the unknown route only closes 4404).
    assert sum(stats["frames"] for stats in report.values()) > 100, report
    assert report["/ws/no-such-route/"]["closes"][0] == 4404

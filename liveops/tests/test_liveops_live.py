"""Live operations run live on two processes: two live servers on one PostgreSQL and one Redis.

A staff member stages a flag on process A to 10 % of iOS players; players with notification
sockets on A and on B are each told ``liveops_changed`` within 2 s, and then read on either
process exactly what GrowthBook's own evaluation of the rule gives them (Android players never get
it); raising the rollout to 100 % gives it to every iOS player. A live event scheduled a few
seconds ahead starts and ends by itself: the servers' own timers (``RUN_TIMERS_IN_SERVER``, as
``LiveServer`` runs them) tell every socket on both processes at its start and at its end, and
``GET /api/liveops/`` shows it only in between.
"""

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from growthbook import Feature, GrowthBook

from conftest import requires_postgres, requires_redis
from gameplatform.tests.live import Pair, receive_type
from gameplatform.tests.test_faults import requires_redis_server
from safety.tests.test_sanctions_live import notification_socket

# Holds a route or frame family of the contract to the server: `make test` runs it under daphne too.
pytestmark = [
    pytest.mark.contract,
    pytest.mark.live,
    requires_postgres,
    requires_redis,
    requires_redis_server,
    pytest.mark.timeout(300),
]

WITHIN = 2.0  # seconds: the contract's bound for a change to reach every connected player
IOS_PLAYERS, ANDROID_PLAYERS = 40, 10
_run = uuid.uuid4().hex[:6]


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    with Pair(tmp_path_factory.mktemp("b"), "liveops") as pair:
        a = pair.second(tmp_path_factory.mktemp("a"))
        try:
            yield a, pair.survivor
        finally:
            a.stop()


async def call(server, method: str, path: str, access: str, body: dict | None = None) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.http, timeout=10) as http:
        return await http.request(method, path, json=body, headers={"Authorization": f"Bearer {access}"})


async def players(server, count: int, platform: str) -> list[dict]:
    """``count`` new players (registered four at a time) who told the server their platform."""
    gate = asyncio.Semaphore(4)

    async def one(n: int) -> dict:
        async with gate:
            player = await asyncio.to_thread(server.register, f"lo_{platform}_{n}_{_run}")
        said = await call(server, "PUT", "/api/liveops/attributes/", player["access"], {"platform": platform})
        assert said.status_code == 200, said.text
        return {**player, "platform": platform}

    return list(await asyncio.gather(*(one(n) for n in range(count))))


async def told_within(sockets: list, started: float, bound: float = WITHIN) -> float:
    """Every socket gets ``liveops_changed``; the seconds from ``started`` to the last of them."""
    await asyncio.gather(*(receive_type(ws, "liveops_changed", timeout=bound + 1) for ws in sockets))
    took = time.monotonic() - started
    assert took < bound, f"the last socket was told after {took:.2f} s"
    return took


async def values(server, everyone: list[dict], flag: str) -> dict[int, object]:
    """Each player's value of ``flag`` as ``GET /api/liveops/`` on ``server`` gives it."""

    async def one(player: dict):
        answer = await call(server, "GET", "/api/liveops/", player["access"])
        assert answer.status_code == 200, answer.text
        return player["id"], answer.json()["flags"][flag]

    return dict(await asyncio.gather(*(one(p) for p in everyone)))


def growthbook_value(player: dict, flag: str, feature: dict):
    """What GrowthBook's SDK gives a player with these attributes: a client SDK's answer."""
    attributes = {"id": player["id"], "platform": player["platform"]}
    return GrowthBook(attributes=attributes, features={flag: Feature(**feature)}).eval_feature(flag).value


async def test_a_flag_staged_to_ten_percent_of_ios_players_reaches_both_processes_live_and_then_every_ios_player(
    servers,
):
    """A flag staged to 10 % of iOS players reaches both processes within 2 s, then every iOS
    player. It takes tens of seconds: it registers 50 players (Argon2id hashes, four at a time) and
    opens a socket for each on the two processes, so that a 10 % rollout has players on both
    sides of it; as the module's first test it also starts the two servers and their
    redis-server."""
    a, b = servers
    staff = await asyncio.to_thread(a.liveops_staff)
    flag = f"new_shop_{_run}"
    made = await call(a, "POST", "/api/liveops/admin/flags/", staff["access"], {"name": flag, "defaultValue": "old"})
    assert made.status_code == 201, made.text
    everyone = await players(a, IOS_PLAYERS, "ios") + await players(b, ANDROID_PLAYERS, "android")
    before = await values(b, everyone, flag)
    assert set(before.values()) == {"old"}
    sockets = [await notification_socket((a, b)[n % 2], p["access"]) for n, p in enumerate(everyone)]

    try:
        # A percentage rollout in GrowthBook's terms: every player inside the coverage gets "new"
        # (the weights put none in "old"); the others fall through to the default.
        rollout = {"variations": ["old", "new"], "weights": [0, 1], "key": flag, "hashAttribute": "id"}
        for coverage in (0.1, 1.0):
            feature = {
                "defaultValue": "old",
                "rules": [{"condition": {"platform": "ios"}, **rollout, "coverage": coverage}],
            }
            staged = await call(a, "PUT", f"/api/liveops/admin/flags/{flag}/", staff["access"], feature)
            assert staged.status_code == 200, staged.text
            await told_within(sockets, time.monotonic())  # from the answer: the change is committed

            on_b, on_a = await values(b, everyone, flag), await values(a, everyone, flag)
            assert on_a == on_b
            expected = {p["id"]: growthbook_value(p, flag, feature) for p in everyone}
            assert on_b == expected
            got_it = {p["id"] for p in everyone if on_b[p["id"]] == "new"}
            assert not got_it & {p["id"] for p in everyone if p["platform"] == "android"}
            if coverage < 1:
                assert len(got_it) < IOS_PLAYERS / 2, f"{len(got_it)} of {IOS_PLAYERS} iOS players at 10 %"
            else:
                assert len(got_it) == IOS_PLAYERS
    finally:
        await asyncio.gather(*(ws.close() for ws in sockets))


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def running_events(server, access: str) -> list[int]:
    answer = await call(server, "GET", "/api/liveops/", access)
    assert answer.status_code == 200, answer.text
    return [event["id"] for event in answer.json()["live_events"]]


async def test_a_live_event_starts_and_ends_by_itself_and_both_processes_tell_their_sockets(servers):
    """A live event starts and ends by itself, and both processes tell their sockets. Slow by the
    rule it checks: the event starts 2 s and ends 6 s after it is made, and the test waits for
    each boundary on both processes; the first test of the module on a worker also starts the two
    servers and their redis-server."""
    a, b = servers
    staff = await asyncio.to_thread(a.liveops_staff)
    one, other = (
        await asyncio.to_thread(a.register, f"lo_event_a_{_run}"),
        await asyncio.to_thread(b.register, f"lo_event_b_{_run}"),
    )
    sockets = [await notification_socket(a, one["access"]), await notification_socket(b, other["access"])]
    try:
        starts_at = datetime.now(UTC) + timedelta(seconds=2)
        ends_at = starts_at + timedelta(seconds=4)
        body = {"name": f"double xp {_run}", "value": {"xp": 2}, "starts_at": iso(starts_at), "ends_at": iso(ends_at)}
        made = await call(a, "POST", "/api/liveops/admin/live-events/", staff["access"], body)
        assert made.status_code == 201, made.text
        event_id = made.json()["id"]
        assert event_id not in await running_events(b, other["access"])
        await told_within(sockets, time.monotonic())  # the staff change itself, ~1.1 s after its commit

        for boundary, running in ((starts_at, True), (ends_at, False)):
            await told_within(sockets, time.monotonic(), bound=(boundary - datetime.now(UTC)).total_seconds() + WITHIN)
            assert datetime.now(UTC) >= boundary, "told before the boundary"
            assert datetime.now(UTC) - boundary < timedelta(seconds=WITHIN)
            for server, player in ((b, other), (a, one)):
                assert (event_id in await running_events(server, player["access"])) is running
    finally:
        await asyncio.gather(*(ws.close() for ws in sockets))

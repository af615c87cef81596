"""/metrics: what real requests, sockets, refusals, timers and outages leave in it, and who may read it.

Everything goes through the real ASGI application (the HTTP bridge, the socket stack) and the
scrape is read back as a Prometheus client would. Counters are shared by the whole test process,
so each test compares a scrape after with a scrape before.
"""

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from django.db import OperationalError
from django.utils import timezone
from websockets.asyncio.client import connect

from gameplatform.broadcast.realtime import asend_to_user
from gameplatform.data import db, ratelimit
from gameplatform.data.redis import reset_redis
from gameplatform.operations import timers
from gameplatform.testhelpers import eventually
from gameplatform.tests.asgi_http import LOOPBACK, OUTSIDER, http, parse
from gameplatform.tests.live import ROOT, LiveServer


async def scrape(**kwargs) -> dict[tuple, float]:
    status, headers, body = await http("/metrics", **kwargs)
    assert status == 200, body
    assert headers[b"content-type"].startswith(b"text/plain")
    return parse(body.decode())


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def grew(before: dict, after: dict, name: str, **labels) -> float:
    """How much a series went up between two scrapes."""
    return value(after, name, **labels) - value(before, name, **labels)


# --- requests, sockets, refusals ---------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_requests_are_counted_by_route_pattern_and_status_never_by_raw_path(alice, bob):
    from conftest import access_token_for

    before = await scrape()
    auth = [(b"authorization", f"Bearer {access_token_for(alice)}".encode())]
    for user in (alice, bob):
        status, _, _ = await http(f"/api/users/{user.pk}/", headers=auth)
        assert status == 200
    assert (await http("/api/users/123456789/", headers=auth))[0] == 404
    assert (await http("/no/such/page/"))[0] == 404
    after = await scrape()

    route = "api/users/<id:user_id>/"
    requests = "gameplatform_http_requests_total"
    assert grew(before, after, requests, route=route, method="GET", status="200") == 2
    assert grew(before, after, requests, route=route, method="GET", status="404") == 1
    assert grew(before, after, requests, route="<unrouted>", method="GET", status="404") == 1
    duration = "gameplatform_http_request_duration_seconds_count"
    assert grew(before, after, duration, route=route, method="GET") == 3
    assert value(after, "gameplatform_http_request_duration_seconds_bucket", route=route, method="GET", le="+Inf") >= 3
    # No raw path became a label, and the scrapes themselves are not requests.
    routes = {dict(labels).get("route") for (name, labels) in after if name == requests}
    assert not [r for r in routes if re.search(r"(^|/)\d+(/|$)", r) or "no/such" in r or "metrics" in r]


@pytest.mark.django_db(transaction=True)
async def test_a_socket_session_shows_as_open_socket_and_frames_by_declared_type(ws_connect, alice):
    before = await scrape()
    ws, connected, _ = await ws_connect("/ws/notifications/", alice)
    assert connected
    assert (await ws.receive_json_from())["type"] == "badge"
    await ws.send_json_to({"type": "ping"})
    assert (await ws.receive_json_from())["type"] == "pong"
    await ws.send_json_to({"type": "no_such_frame_type_x1"})
    assert (await ws.receive_json_from())["code"] == "unknown_type"
    await ws.send_to(text_data="not json")
    assert (await ws.receive_json_from())["code"] == "bad_json"
    await asend_to_user(alice.pk, {"type": "match_found", "game_id": 7})
    assert (await ws.receive_json_from()) == {"type": "match_found", "game_id": 7}
    during = await scrape()
    await ws.disconnect()
    route = "ws/notifications/"
    opened = "gameplatform_ws_connections_open"

    async def closed() -> bool:  # the socket's disconnect has run: the gauge is back
        return grew(before, await scrape(), opened, route=route) == 0

    await eventually(closed, timeout=5, what="the open-sockets gauge back down")
    assert grew(before, during, opened, route=route) == 1

    def delta(name, **labels):
        return grew(before, during, name, **labels)

    assert delta("gameplatform_ws_frames_in_total", type="ping") == 1
    assert delta("gameplatform_ws_frames_in_total", type="other") == 2  # the unknown type, the bad JSON
    assert ("gameplatform_ws_frames_in_total", (("type", "no_such_frame_type_x1"),)) not in during
    assert delta("gameplatform_ws_frames_out_total", type="badge") == 1
    assert delta("gameplatform_ws_frames_out_total", type="pong") == 1
    assert delta("gameplatform_ws_frames_out_total", type="error") == 2
    assert delta("gameplatform_ws_frames_out_total", type="match_found") == 1
    assert delta("gameplatform_ws_deliveries_total") == 1


@pytest.mark.django_db(transaction=True)
async def test_rate_limit_refusals_are_counted_by_budget_name(alice):
    before = await scrape()
    wrong = json.dumps({"username": "alice", "password": "wrong-password"}).encode()
    statuses = [(await http("/api/auth/login/", method="POST", body=wrong))[0] for _ in range(6)]
    assert statuses == [401] * 5 + [429]
    after = await scrape()
    refusals = "gameplatform_rate_limit_refusals_total"
    # Both windows are full by then; the one checked first (the address's) refuses.
    assert grew(before, after, refusals, budget="login:account") + grew(before, after, refusals, budget="login:ip") == 1
    assert value(after, "gameplatform_http_requests_total", route="api/auth/login/", method="POST", status="429") >= 1


@pytest.mark.django_db(transaction=True)
async def test_redis_outage_answered_503_is_counted_as_a_redis_error(settings, alice):
    with socket.socket() as s:  # a port where nothing listens
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    before = await scrape()
    original = settings.REDIS_URL
    settings.REDIS_URL = f"redis://127.0.0.1:{dead}/0"
    reset_redis()
    ratelimit._redis_window = None
    try:
        login = json.dumps({"username": "alice", "password": "pass-w0rd-long"}).encode()
        status, _, body = await http("/api/auth/login/", method="POST", body=login)
    finally:  # forget the clients of the dead port
        settings.REDIS_URL = original
        reset_redis()
        ratelimit._redis_window = None
    assert status == 503 and json.loads(body)["code"] == "unavailable"
    after = await scrape()
    errors = "gameplatform_dependency_errors_total"
    assert grew(before, after, errors, dependency="redis", surface="http") == 1


@pytest.mark.django_db(transaction=True)
async def test_database_outage_answered_503_is_counted_as_a_database_error(monkeypatch):
    from django.db.backends.base.base import BaseDatabaseWrapper

    before = await scrape()

    def refuse(self):
        raise OperationalError("connection failed: connection to server at 127.0.0.1, port 1 failed")

    with monkeypatch.context() as patch:
        patch.setattr(BaseDatabaseWrapper, "ensure_connection", refuse)
        login = json.dumps({"username": "alice", "password": "pass-w0rd-long"}).encode()
        status, _, _ = await http("/api/auth/login/", method="POST", body=login)
    assert status == 503
    after = await scrape()
    errors = "gameplatform_dependency_errors_total"
    assert grew(before, after, errors, dependency="database", surface="http") == 1


# --- the apps' metrics and timers --------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_queue_length_matches_made_and_games_active_come_from_the_apps(alice, bob, carol):
    from game.models import Game
    from matchmaking.queue.services import queue_join

    def start_their_game() -> None:
        Game.objects.filter(players__user=alice).update(state="active", started_at=timezone.now())

    before = await scrape()
    # As the REST views do: units of work (their connections go back to the pool after each).
    await db.run(queue_join, user_id=alice.pk, mode="tictactoe")
    await db.run(queue_join, user_id=bob.pk, mode="tictactoe")  # alice and bob are matched
    await db.run(queue_join, user_id=carol.pk, mode="relay")
    await db.run(start_their_game)
    after = await scrape()

    matches = "gameplatform_matchmaking_matches_total"
    assert grew(before, after, matches, mode="tictactoe") == 1
    assert value(after, "gameplatform_matchmaking_queue_length", mode="tictactoe") == 0
    assert value(after, "gameplatform_matchmaking_queue_length", mode="relay") == 1
    assert value(after, "gameplatform_games_active", mode="tictactoe") == 1
    assert value(after, "gameplatform_games_active", mode="relay") == 0


def test_timer_runs_and_failures_are_counted_by_job(monkeypatch):
    from prometheus_client import REGISTRY

    def fails():
        raise RuntimeError("boom")

    monkeypatch.setattr(
        timers,
        "JOBS",
        {
            "test.works": timers.Job("test.works", every=60, func=lambda: 1),
            "test.fails": timers.Job("test.fails", every=60, func=fails),
        },
    )
    timers.run_due()
    timers.run_due()  # not due again: nothing more counted

    def sample(name, job):
        return REGISTRY.get_sample_value(name, {"timer": job}) or 0.0

    assert sample("gameplatform_timer_runs_total", "test.works") == 1
    assert sample("gameplatform_timer_failures_total", "test.works") == 0
    assert sample("gameplatform_timer_runs_total", "test.fails") == 1
    assert sample("gameplatform_timer_failures_total", "test.fails") == 1
    assert sample("gameplatform_timer_duration_seconds_count", "test.fails") == 1


# --- who may read it ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_metrics_refuse_outsiders_in_the_contract_shape(settings):
    settings.METRICS_TOKEN = "scrape-secret-0123456789"
    status, _, body = await http("/metrics", client=OUTSIDER)
    assert status == 404 and json.loads(body) == {"detail": "Not found.", "code": "not_found"}
    wrong = [(b"authorization", b"Bearer not-the-token")]
    status, _, body = await http("/metrics", client=OUTSIDER, headers=wrong)
    assert status == 403 and json.loads(body)["code"] == "forbidden"
    status, _, body = await http("/metrics", client=None)  # no peer address at all (a unix socket)
    assert status == 404


@pytest.mark.django_db(transaction=True)
async def test_metrics_answer_the_right_token_from_anywhere_and_the_allowlist_without_one(settings):
    settings.METRICS_TOKEN = "scrape-secret-0123456789"
    right = [(b"authorization", b"Bearer scrape-secret-0123456789")]
    samples = await scrape(client=OUTSIDER, headers=right)
    assert any(name == "gameplatform_ws_deliveries_total" for name, _ in samples)
    assert (await http("/metrics", client=("::1", 1)))[0] == 200  # loopback, IPv6
    assert (await http("/metrics", client=("::ffff:127.0.0.1", 1)))[0] == 200
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8", "192.0.2.7"]
    assert (await http("/metrics", client=("10.20.30.40", 1)))[0] == 200
    assert (await http("/metrics", client=("192.0.2.7", 1)))[0] == 200
    assert (await http("/metrics", client=LOOPBACK))[0] == 404  # loopback is no longer listed
    settings.METRICS_TOKEN = ""  # no token configured: a bearer header opens nothing
    assert (await http("/metrics", client=OUTSIDER, headers=[(b"authorization", b"Bearer ")]))[0] == 403


async def test_metrics_take_get_only():
    status, headers, body = await http("/metrics", method="POST")
    assert status == 405 and json.loads(body)["code"] == "method_not_allowed"


# --- several processes ---------------------------------------------------------------


@pytest.mark.parametrize("is_a_file", [False, True], ids=["missing", "a file"])
def test_a_multiprocess_dir_that_is_not_a_directory_stops_start_up_naming_it(tmp_path: Path, is_a_file):
    """prometheus_client writes into it as the metrics are defined: a missing one failed
    ``migrate`` with DuplicateTimeseries, an error that named nothing."""
    path = tmp_path / "prometheus"
    if is_a_file:
        path.write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update({"DJANGO_SETTINGS_MODULE": "gameplatform.settings", "PROMETHEUS_MULTIPROC_DIR": str(path)})
    done = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    assert f"PROMETHEUS_MULTIPROC_DIR={path} does not exist or is not a directory" in done.stderr
    assert "create it, empty, before starting the servers" in done.stderr
    assert "DuplicateTimeseries" not in done.stderr
    assert not path.is_dir()  # not created behind the operator's back: emptying it is theirs


def _scrape_live(server: LiveServer) -> dict[tuple, float]:
    response = httpx.get(f"{server.http}/metrics", timeout=10)
    assert response.status_code == 200, response.text
    return parse(response.text)


@pytest.mark.live
async def test_two_processes_sharing_a_multiprocess_dir_are_scraped_as_one_service(tmp_path: Path):
    shared = tmp_path / "prometheus"
    shared.mkdir()
    env = {"PROMETHEUS_MULTIPROC_DIR": str(shared)}
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    one = LiveServer(tmp_path / "one", env=env)
    await asyncio.to_thread(one.start)
    two = LiveServer(tmp_path / "two", database_url=one.env["DATABASE_URL"], prepare=False, env=env)
    try:
        await asyncio.to_thread(two.start)
        for server, times in ((one, 3), (two, 2)):
            for _ in range(times):
                assert (await asyncio.to_thread(httpx.get, f"{server.http}/api/users/999999/")).status_code == 401
        user_one = await asyncio.to_thread(one.login, "user_1")
        user_two = await asyncio.to_thread(two.login, "user_2")
        socket_one = await connect(f"{one.ws}/ws/notifications/?token={user_one['access']}")
        socket_two = await connect(f"{two.ws}/ws/notifications/?token={user_two['access']}")
        for ws in (socket_one, socket_two):
            while json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] != "badge":
                pass  # demo friends' presence, with Redis

        from_one, from_two = await asyncio.to_thread(_scrape_live, one), await asyncio.to_thread(_scrape_live, two)
        route = "api/users/<id:user_id>/"
        for samples in (from_one, from_two):  # either process answers for both
            assert value(samples, "gameplatform_http_requests_total", route=route, method="GET", status="401") == 5
            assert value(samples, "gameplatform_ws_connections_open", route="ws/notifications/") == 2
            assert value(samples, "gameplatform_ws_frames_out_total", type="badge") == 2
            assert ("gameplatform_db_work_pending", ()) in samples  # sampled in each process
        runs = [v for (name, _), v in from_one.items() if name == "gameplatform_timer_runs_total"]
        assert runs and sum(runs) > 0  # the servers run their timers

        await asyncio.to_thread(two.kill)  # died without closing its socket: its gauge goes with it
        after = await asyncio.to_thread(_scrape_live, one)
        assert value(after, "gameplatform_ws_connections_open", route="ws/notifications/") == 1
        assert value(after, "gameplatform_http_requests_total", route=route, method="GET", status="401") == 5
        await socket_one.close()
        await socket_two.close()
        assert not one.errors_since(0)
    finally:
        await asyncio.to_thread(two.stop)
        await asyncio.to_thread(one.stop)


# --- the dashboard ----------------------------------------------------------------------


def test_the_grafana_dashboard_charts_every_metric_and_names_only_real_ones():
    from prometheus_client import REGISTRY

    from gameplatform.operations import ops

    ops.discover()  # the apps' metrics modules
    ours = {family.name for family in REGISTRY.collect() if family.name.startswith("gameplatform_")}
    path = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "gameplatform.json"
    dashboard = json.loads(path.read_text())
    assert {"datasource"} <= {variable["name"] for variable in dashboard["templating"]["list"]}
    exprs = " ".join(t["expr"] for p in dashboard["panels"] if p["type"] != "row" for t in p["targets"])
    used = set(re.findall(r"gameplatform_[a-z_]+", exprs))
    charted = {re.sub(r"_(total|bucket|count|sum)$", "", name) for name in used}
    assert ours - charted == set()  # every metric has a panel
    assert charted - ours == set()  # no panel queries a metric that does not exist
    for panel in dashboard["panels"]:
        assert panel["type"] == "row" or panel["datasource"]["uid"] == "${datasource}"

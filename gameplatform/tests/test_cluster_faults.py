"""The cluster of ``make cluster`` (deploy/cluster/cluster.py) survives losing each of its parts.

Four uvicorn processes behind nginx, the channel layer on three Redis servers, a Sentinel-managed
Redis (primary, replica, three sentinels), pgbouncer in transaction mode and a PostgreSQL database
of the cluster's own: all real processes. Players talk to nginx only, over plain websockets and
httpx, as clients do. While they chat in lobbies (REST posts, heard on the lobby socket), walk the
world (a move every other round, a ping on the world socket every round) and play tic-tac-toe
against each other (matchmaking, ready, moves), one part at a time is killed with SIGKILL:

| fault | what brings service back |
|---|---|
| a server process | nginx skips it (connection refused); its players reconnect to the others; restarted after |
| a layer shard | restarted after 1 s, empty (no persistence); every process resubscribes its groups |
| the Sentinel primary | the sentinels promote the replica; restarted, the old primary becomes its replica |
| pgbouncer | restarted after 1 s; every process's pool reconnects |

Measured for each: the time from the kill until every player has been served again, that is has
completed, from a request sent after the kill, a chat round (post stored and heard on the lobby
socket, world socket answering, a world move when one is due) and a step of their game (or a new
match). The table of recovery times is printed (``make cluster-test``). Asserted:

- each recovery within ``RECOVERY_LIMIT``;
- the sentinels promoted the replica, and the restarted old primary is the new primary's replica;
- no 5xx answer but the ones a fault explains (``TOLERATED_5XX``), in the servers' access logs,
  nginx's and the answers the players got: **502** from nginx only, for a request in flight on
  the server process just killed (nginx retries a request elsewhere only when the connection
  failed, never one that may have run); **503** from a server only (nginx passing it on), with the
  contract's body ``{"detail", "code"}`` and the code ``unavailable`` (Redis or PostgreSQL out of
  reach: the Sentinel failover, pgbouncer down) or ``overloaded`` (too much work waiting while
  the survivors take a killed process's players). A 500, a 504 or any other 5xx fails the test;
- every lobby message a client got a 201 for is in the lobby's history at the end;
- every game any player was in ended ``finished``: none left waiting or active, none
  ``abandoned``. A game the killed server process hosted lived in its memory, so it can only
  finish by being taken over from its snapshot by another process (how many were is printed;
  whether the killed process hosted a game at that moment is chance);
- the players kept getting new games through the faults;
- once every socket is closed nobody is online (within the presence TTL).

A live-only frame (the broadcast of a stored message, a world move's ``location_update``, a
``game_state``) sent while its receiver's socket, server or layer shard is down is lost: a client
that reconnects reads the stored state again (lobby history, ``welcome``, ``game_state``).
"""

import asyncio
import json
import os
import random
import re
import socket
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest
import redis
from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

from conftest import infrastructure_required, requires_binaries, requires_postgres
from deploy.cluster.cluster import SHARDS, Cluster, Process, layout, missing_binaries, redis_client
from gameplatform.tests.live import free_port
from gameplatform.tests.test_pgbouncer import _pgbouncer_unavailable


def cluster_unavailable() -> str | None:
    """What this machine lacks for the cluster (None: nothing): CI fails on it, elsewhere the tests skip."""
    missing = missing_binaries()
    return f"the cluster needs {', '.join(missing)}" if missing else _pgbouncer_unavailable()


# Times itself or loads the whole machine: `make test` runs it alone, after the tests it runs side by side.
pytestmark = [
    pytest.mark.serial,
    requires_postgres,
    pytest.mark.cluster,
    requires_binaries(cluster_unavailable()),
    pytest.mark.timeout(300),
]

PLAYERS = 8  # an even number: every one of them is matched for tic-tac-toe
LOBBIES = 2
ROUND_SECONDS = 0.7  # the chat limit allows 3 messages in any 2 s per user
MOVE_PAUSE = 0.3  # before each tic-tac-toe move, so a game lasts a few seconds
FRAME_TIMEOUT = 3.0
RECOVERY_LIMIT = 30.0
CLOSE_TIMEOUT = 1.0
RESTART_AFTER = 1.0  # a supervisor's restart delay for the parts the cluster cannot do without
PRESENCE_TTL = 10
# The only 5xx answers a fault may cause (the module's docstring says why): nginx's 502 for a
# request in flight on a killed server process, and the servers' 503 with the contract's body.
TOLERATED_5XX = {502, 503}
UNAVAILABLE_CODES = {"unavailable", "overloaded"}
LAYOUT_PORTS = 41  # deploy/cluster/cluster.py's layout: nginx at its base port, pgbouncer at base + 40


def cluster_ports() -> dict:
    """``CLUSTER_BASE_PORT``'s layout when set (a machine that reserves a range), else a layout on
    free ports below the kernel's ephemeral range (``consecutive_free_ports``): a free port taken
    from the ephemeral range was once handed to an outgoing connection before a server bound it."""
    if os.environ.get("CLUSTER_BASE_PORT"):
        return layout(int(os.environ["CLUSTER_BASE_PORT"]))
    return layout(consecutive_free_ports(LAYOUT_PORTS))


@pytest.fixture
def cluster(tmp_path):
    from django.conf import settings

    workdir = tmp_path / "cluster"
    workdir.mkdir()
    database = f"{urlparse(settings.DATABASE_URL).path.lstrip('/')[:40]}_cluster"
    env = {
        "REGISTRATIONS_PER_ADDRESS": "100000",  # every player registers from 127.0.0.1
        "QUEUE_FILL_SECONDS": "0",
        "PRESENCE_TTL_SECONDS": str(PRESENCE_TTL),  # a killed process's users go offline this soon
    }
    running = Cluster(
        ports=cluster_ports(), postgres=settings.DATABASE_URL, database=database, workdir=workdir, env=env, quiet=True
    )
    running.start()
    yield running
    running.stop()


def bearer(access: str) -> dict:
    return {"Authorization": f"Bearer {access}"}


async def open_socket(cluster: Cluster, path: str, access: str):
    return await connect(
        cluster.url.replace("http://", "ws://") + path,
        additional_headers=bearer(access),
        compression=None,
        ping_interval=None,
        open_timeout=FRAME_TIMEOUT,
        # A client giving up on a socket opens the next one at once (a browser does not wait for
        # the close handshake); the library's default would wait up to 10 s for it.
        close_timeout=CLOSE_TIMEOUT,
    )


async def drop(player: "Player", ws) -> None:
    """Close ``ws``; a server that does not answer the close frame in time is noted."""
    began = time.monotonic()
    await ws.close()
    if time.monotonic() - began >= CLOSE_TIMEOUT * 0.9:
        player.failures.append((time.monotonic(), "socket close", "NotAnswered()"))


async def next_frame(ws, match, timeout: float = FRAME_TIMEOUT) -> dict:
    """The first frame ``match(frame)`` accepts (others skipped)."""
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            if match(frame):
                return frame


class Refused(Exception):
    """An answer a player cannot go on with (503 during a fault, a refused frame)."""


@dataclass
class Player:
    name: str
    user_id: int
    access: str
    lobby_id: int
    served: list = field(default_factory=list)  # (what, sent at, done at)
    acked: list = field(default_factory=list)  # (lobby id, message id) answered 201
    games: set = field(default_factory=set)
    statuses: list = field(default_factory=list)
    server_errors: list = field(default_factory=list)  # (status, body) of every 5xx answer
    failures: list = field(default_factory=list)


class Traffic:
    """Every player's chat, world and game loops, until ``stop``."""

    def __init__(self, cluster: Cluster, http: httpx.AsyncClient, players: list[Player]) -> None:
        self.cluster, self.http, self.players = cluster, http, players
        self.stopping = False

    async def request(self, player: Player, method: str, path: str, **kwargs) -> httpx.Response:
        try:
            answer = await self.http.request(method, path, headers=bearer(player.access), **kwargs)
        except httpx.HTTPError as error:
            raise Refused(f"{method} {path}: {error!r}") from error
        player.statuses.append(answer.status_code)
        if answer.status_code >= 500:
            player.server_errors.append((answer.status_code, answer.text[:300]))
        return answer

    # --- lobby chat and the world --------------------------------------------------------

    async def chat_and_walk(self, player: Player) -> None:
        lobby = world = None
        me = here = there = None
        step = ""
        rounds = 0
        while not self.stopping:
            started = time.monotonic()
            try:
                step = "lobby socket"
                if lobby is None:
                    lobby = await open_socket(self.cluster, f"/ws/lobbies/{player.lobby_id}/", player.access)
                    await next_frame(lobby, lambda f: f["type"] == "lobby_state")
                step = "world socket"
                if world is None:
                    world = await open_socket(self.cluster, "/ws/world/", player.access)
                    welcome = await next_frame(world, lambda f: f["type"] == "welcome")
                    me = welcome["character"]["id"]
                    here, there = welcome["location"]["id"], welcome["location"]["neighbours"][0]
                step, content = "chat post", f"{player.name} round {rounds}"
                posted = await self.request(
                    player, "POST", f"/api/lobbies/{player.lobby_id}/messages/", json={"content": content}
                )
                if posted.status_code == 429:
                    await asyncio.sleep(float(posted.headers.get("Retry-After", 1)))
                    continue
                if posted.status_code != 201:
                    raise Refused(f" {posted.status_code} {posted.text[:200]}")
                player.acked.append((player.lobby_id, posted.json()["id"]))
                step = "chat heard"
                await next_frame(
                    lobby, lambda f, c=content: f["type"] == "chat_message" and f["message"]["content"] == c
                )
                step = "world pong"
                await world.send(json.dumps({"type": "ping"}))
                await next_frame(world, lambda f: f["type"] == "pong")
                if rounds % 2 == 0:
                    step = "world move"
                    await world.send(json.dumps({"type": "move", "to_location_id": there}))
                    moved = await next_frame(
                        world,
                        lambda f, me=me: (
                            f["type"] == "error" or (f["type"] == "location_update" and f["character_id"] == me)
                        ),
                    )
                    if moved["type"] == "error" and moved["code"] != "rate_limited":
                        raise Refused(f"move: {moved}")
                    if moved["type"] == "location_update":
                        here, there = there, here
                player.served.append(("chat", started, time.monotonic()))
                rounds += 1
            except (Refused, OSError, WebSocketException, TimeoutError, KeyError) as error:
                player.failures.append((time.monotonic(), step, repr(error)[:200]))
                for ws in (lobby, world):
                    if ws is not None:
                        await drop(player, ws)
                lobby = world = None
            await asyncio.sleep(max(0.0, ROUND_SECONDS - (time.monotonic() - started)))
        for ws in (lobby, world):
            if ws is not None:
                await ws.close()

    # --- tic-tac-toe ----------------------------------------------------------------------

    async def match(self, player: Player) -> int | None:
        """Queue for tic-tac-toe until matched (joining again is idempotent: it polls); once stopping,
        leave the queue, and play the game a match made meanwhile (None: there is none)."""
        while True:
            sent = time.monotonic()
            left = False
            try:
                if self.stopping:
                    # Out of the queue for sure (a 503 leaves the entry there, for a match made later).
                    left = (await self.request(player, "POST", "/api/matchmaking/leave/")).status_code < 500
                    answer = await self.request(player, "GET", "/api/matchmaking/status/")
                else:
                    answer = await self.request(player, "POST", "/api/matchmaking/join/", json={"mode": "tictactoe"})
                    if answer.status_code == 409:  # already_in_game: the status names it
                        answer = await self.request(player, "GET", "/api/matchmaking/status/")
                if answer.status_code == 200 and answer.json().get("status") == "matched":
                    player.served.append(("game", sent, time.monotonic()))
                    return answer.json()["game_id"]
                if answer.status_code == 200 and self.stopping and left:
                    return None
                if answer.status_code not in (200, 503):
                    raise Refused(f" {answer.status_code} {answer.text[:200]}")
            except Refused as error:
                player.failures.append((time.monotonic(), "matchmaking", repr(error)[:200]))
            await asyncio.sleep(0.3)

    async def play(self, player: Player, game_id: int) -> None:
        """Ready, then a move whenever it is my turn, until the game is over (reconnecting as needed)."""
        player.games.add(game_id)
        refs: dict[str, float] = {}
        while True:
            try:
                async with await open_socket(self.cluster, f"/ws/game/{game_id}/", player.access) as ws:
                    while True:
                        frame = json.loads(await asyncio.wait_for(ws.recv(), timeout=FRAME_TIMEOUT))
                        if frame["type"] == "ack" and frame.get("ref") in refs:
                            player.served.append(("game", refs.pop(frame["ref"]), time.monotonic()))
                        if frame["type"] == "game_over" or frame.get("state") in ("finished", "abandoned"):
                            return
                        if frame["type"] != "game_state":
                            continue
                        me = next(p for p in frame["players"] if p["id"] == player.user_id)
                        if frame["state"] == "waiting_for_ready" and not me["ready"]:
                            refs[ref := uuid.uuid4().hex[:8]] = time.monotonic()
                            await ws.send(json.dumps({"type": "player_ready", "ref": ref}))
                        elif frame["state"] == "active" and frame["turn"] == player.user_id:
                            await asyncio.sleep(MOVE_PAUSE)
                            cell = frame["board"].index(None)
                            refs[ref := uuid.uuid4().hex[:8]] = time.monotonic()
                            await ws.send(json.dumps({"type": "player_move", "movement": {"cell": cell}, "ref": ref}))
            except (OSError, WebSocketException, TimeoutError) as error:
                player.failures.append((time.monotonic(), "game socket", repr(error)[:200]))
                await asyncio.sleep(0.2)

    async def play_games(self, player: Player) -> None:
        while True:
            game_id = await self.match(player)
            if game_id is None:
                return
            await self.play(player, game_id)
            if self.stopping:
                return

    # --- what was seen ------------------------------------------------------------------

    def served_again(self, since: float, kinds=("chat", "game")) -> float | None:
        """Seconds from ``since`` until every player had each of ``kinds`` served from a request
        sent after it: a chat round (lobby, world) and a game step (None: not yet)."""
        waits = [self.player_served_again(player, since, kinds) for player in self.players]
        return None if None in waits else max(waits, default=0.0)

    @staticmethod
    def player_served_again(player: Player, since: float, kinds=("chat", "game")) -> float | None:
        latest = since
        for kind in kinds:
            done = [end for what, sent, end in player.served if what == kind and sent >= since]
            if not done:
                return None
            latest = max(latest, min(done))
        return latest - since


async def register(cluster: Cluster, http: httpx.AsyncClient, name: str) -> dict:
    password = "pass-w0rd-long-enough"
    answer = await http.post(
        "/api/auth/register/",
        json={"username": name, "email": f"{name}@example.com", "password": password, "password_confirm": password},
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    character = await http.post(
        "/api/characters/",
        json={"name": name.replace("-", "x")[:24], "faction": "Crimson Covenant"},
        headers=bearer(body["access"]),
    )
    assert character.status_code == 201, character.text
    return {"id": body["user"]["id"], "access": body["access"]}


async def setup_players(cluster: Cluster, http: httpx.AsyncClient) -> list[Player]:
    login = await http.post("/api/auth/login/", json={"username": "premium_user_1", "password": "testpass123"})
    owner = bearer(login.json()["access"])
    lobbies = []
    for n in range(LOBBIES):
        created = await http.post(
            "/api/lobbies/", json={"name": f"cluster {n}", "is_public": True, "max_participants": 64}, headers=owner
        )
        assert created.status_code == 201, created.text
        lobbies.append(created.json()["id"])
    run = uuid.uuid4().hex[:6]
    players = []
    for n in range(PLAYERS):
        user = await register(cluster, http, f"c{run}p{n}")
        lobby_id = lobbies[n % LOBBIES]
        joined = await http.post(f"/api/lobbies/{lobby_id}/join/", headers=bearer(user["access"]))
        assert joined.status_code == 200, joined.text
        players.append(Player(f"c{run}p{n}", user["id"], user["access"], lobby_id))
    return players


async def steady(traffic: Traffic, what: str) -> None:
    """Every player served within the last rounds (nothing left over from the previous fault)."""
    mark = time.monotonic()
    while traffic.served_again(mark) is None:
        if time.monotonic() - mark >= RECOVERY_LIMIT:
            waiting = {
                player.name: [
                    kind for kind in ("chat", "game") if traffic.player_served_again(player, mark, (kind,)) is None
                ]
                for player in traffic.players
                if traffic.player_served_again(player, mark) is None
            }
            failures = [f for p in traffic.players for f in p.failures if f[0] >= mark][-10:]
            raise AssertionError(f"not steady before {what}: still waiting {waiting}; {failures}")
        await asyncio.sleep(0.2)


def failure_label(step: str, error: str) -> str:
    """``chat post Refused 503``, ``chat heard TimeoutError``: the step, the exception, a status."""
    status = re.search(r" (\d{3}) ", error)
    return f"{step} {re.sub(r'[(:].*', '', error)}" + (f" {status.group(1)}" if status else "")


async def recover(traffic: Traffic, killed_at: float, what: str) -> tuple:
    """``what``, the seconds until every player was served again (in all, chat and world, games),
    and what the players ran into meanwhile."""
    while (seconds := traffic.served_again(killed_at)) is None:
        if time.monotonic() - killed_at > RECOVERY_LIMIT:
            failures = [f for p in traffic.players for f in p.failures if f[0] >= killed_at][-10:]
            raise AssertionError(f"{what}: not every player served {RECOVERY_LIMIT} s after the kill: {failures}")
        await asyncio.sleep(0.1)
    seen = Counter(
        failure_label(step, error)
        for player in traffic.players
        for at, step, error in player.failures
        if killed_at <= at <= killed_at + seconds
    )
    said = ", ".join(f"{label} x{n}" for label, n in seen.most_common(4)) or "nothing"
    # The last player served, and what it met on the way: where to look when a time is long.
    last = max(traffic.players, key=lambda p: traffic.player_served_again(p, killed_at))
    met = [
        f"{at - killed_at:.1f} s {failure_label(step, error)}"
        for at, step, error in last.failures
        if killed_at <= at <= killed_at + seconds
    ]
    said += f"; the last served, {last.name}: {', '.join(met[:6]) or 'no failure'}"
    chat, game = traffic.served_again(killed_at, ("chat",)), traffic.served_again(killed_at, ("game",))
    return what, seconds, chat, game, said


def server_records(cluster: Cluster) -> list[dict]:
    """Every JSON line the server processes logged (access lines and the application's own)."""
    found = []
    for path in cluster.logs("server-"):
        for line in path.read_text(errors="replace").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                found.append(record)
    return found


def nginx_answers(cluster: Cluster) -> list[tuple[int, str]]:
    """Every status nginx answered, with what its upstreams answered (``502, 503`` after a retry)."""
    access = (cluster.workdir / "nginx" / "access.log").read_text()
    return [(int(s), up) for s, up in re.findall(r"^(\d{3}) .* upstream_status=(.*)$", access, re.MULTILINE)]


def untolerated_5xx(players: list[Player], records: list[dict], nginx: list[tuple[int, str]]) -> list:
    """Every 5xx the faults do not explain (``TOLERATED_5XX``): a server's other than 503; nginx's
    other than its own 502 or a server's 503 passed on; a player's 503 without the contract's body."""
    wrong = [("server", r["status"]) for r in records if isinstance(r.get("status"), int) and r["status"] >= 500]
    wrong = [w for w in wrong if w[1] != 503]
    for status, upstreams in nginx:
        if status >= 500 and not (status == 502 or (status == 503 and upstreams.split(",")[-1].strip() == "503")):
            wrong.append(("nginx", status, upstreams))
    for player in players:
        for status, body in player.server_errors:
            if status == 503:
                try:
                    said = json.loads(body)
                except ValueError:
                    said = None
                if isinstance(said, dict) and said.get("code") in UNAVAILABLE_CODES and said.get("detail"):
                    continue
            elif status in TOLERATED_5XX:
                continue
            wrong.append((player.name, status, body[:200]))
    return wrong


def games_taken_over(records: list[dict]) -> set[int]:
    """The games a process restored from their snapshot after their owner died (``gameplatform/rooms/takeover.py``)."""
    return {r["game_id"] for r in records if r.get("message") == "room taken over" and "game_id" in r}


def wait_replica_of(old: Process, primary: Process, timeout: float = 30.0) -> None:
    """The restarted old primary is made the new primary's replica (by the sentinels), within ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            replication = redis_client(old.port).info("replication")
            if replication.get("role") == "slave" and int(replication.get("master_port", 0)) == primary.port:
                return
        except redis.RedisError as error:  # still starting: asked again
            replication = repr(error)
        assert time.monotonic() < deadline, f"{old.name} not {primary.name}'s replica {timeout} s on: {replication}"
        time.sleep(0.2)


async def games_of(http: httpx.AsyncClient, player: Player) -> list[dict]:
    found, url = [], "/api/games/"
    while url:
        page = await http.get(url, headers=bearer(player.access))
        assert page.status_code == 200, page.text
        found += page.json()["results"]
        url = page.json()["next"]
    return found


async def history(http: httpx.AsyncClient, player: Player, lobby_id: int) -> set[int]:
    ids, url = set(), f"/api/lobbies/{lobby_id}/messages/"
    while url:
        page = await http.get(url, headers=bearer(player.access))
        assert page.status_code == 200, page.text
        ids |= {message["id"] for message in page.json()["results"]}
        url = page.json()["next"]
    return ids


async def test_players_are_served_again_after_each_part_of_the_cluster_is_killed(cluster, capsys):
    async with httpx.AsyncClient(base_url=cluster.url, timeout=10) as http:
        players = await setup_players(cluster, http)
        traffic = Traffic(cluster, http, players)
        tasks = [asyncio.create_task(traffic.chat_and_walk(p)) for p in players]
        tasks += [asyncio.create_task(traffic.play_games(p)) for p in players]
        results = []
        try:
            await steady(traffic, "the first fault")
            # 1. A server process: nginx sends its new connections elsewhere.
            killed_at = time.monotonic()
            server = cluster.kill_server(0)
            results.append(await recover(traffic, killed_at, f"{server.name} (uvicorn) SIGKILL"))
            await asyncio.to_thread(cluster.restart, server)
            await steady(traffic, "the shard")
            # 2. The layer shard with the most subscriptions, restarted empty after RESTART_AFTER.
            killed_at = time.monotonic()
            busiest = max(range(SHARDS), key=lambda n: len(redis_client(cluster.shards[n].port).pubsub_channels()))
            shard = cluster.kill_shard(busiest)
            await asyncio.sleep(RESTART_AFTER)
            await asyncio.to_thread(cluster.restart, shard)
            results.append(
                await recover(traffic, killed_at, f"{shard.name} (layer) SIGKILL, up after {RESTART_AFTER:g} s")
            )
            await steady(traffic, "the primary")
            # 3. The Sentinel primary: the replica is promoted.
            killed_at = time.monotonic()
            primary = await asyncio.to_thread(cluster.kill_primary)
            results.append(
                await recover(traffic, killed_at, f"Redis primary ({primary.name}) SIGKILL, replica promoted")
            )
            promoted = cluster.primary()
            assert promoted is not primary, "the sentinels did not promote the replica"
            await asyncio.to_thread(cluster.restart, primary)
            await asyncio.to_thread(wait_replica_of, primary, promoted)
            await steady(traffic, "pgbouncer")
            # 4. pgbouncer, restarted after RESTART_AFTER.
            killed_at = time.monotonic()
            bouncer = cluster.kill_pgbouncer()
            await asyncio.sleep(RESTART_AFTER)
            await asyncio.to_thread(cluster.restart, bouncer)
            results.append(await recover(traffic, killed_at, f"pgbouncer SIGKILL, up after {RESTART_AFTER:g} s"))
            await steady(traffic, "the end")
        finally:
            traffic.stopping = True  # each player finishes the game it is in, then stops
            finished, playing = await asyncio.wait(tasks, timeout=60)
            for task in playing:
                task.cancel()
        owners = zip(tasks, players * 2, strict=True)  # every player's chat task, then every player's game task
        stuck = [(p.name, sorted(p.games)[-1:], p.failures[-3:]) for task, p in owners if task in playing]
        assert not playing, f"{len(playing)} players still busy 60 s after the stop (a game stuck?): {stuck}"
        errors = [task.exception() for task in finished if task.exception() is not None]
        assert not errors, errors

        # Nothing a player was told was stored is missing.
        for lobby_id in {p.lobby_id for p in players}:
            stored = await history(http, next(p for p in players if p.lobby_id == lobby_id), lobby_id)
            acked = {m for p in players for lobby, m in p.acked if lobby == lobby_id}
            assert acked <= stored, f"lobby {lobby_id} lost acknowledged messages {sorted(acked - stored)}"
        # No game stuck or lost: every game any player was in was played to its end, the games of a
        # killed process too (its room lived in that process's memory: another took it over from
        # its snapshot, or it would have ended abandoned).
        games = set().union(*(p.games for p in players))
        states = {g["id"]: g["state"] for player in players for g in await games_of(http, player)}
        assert games <= set(states), f"games not listed {sorted(games - set(states))}"
        unfinished = {g: state for g, state in states.items() if state not in ("finished", "abandoned")}
        assert not unfinished, f"games left unfinished {unfinished}"
        abandoned = sorted(g for g, state in states.items() if state == "abandoned")
        assert not abandoned, f"games ended abandoned {abandoned}"
        # Nobody stuck online once every socket is closed (a killed process's users within the TTL).
        closed = time.monotonic()
        while (online := (await http.get("/api/status/")).json()["online_users"]) != 0:
            assert time.monotonic() - closed < PRESENCE_TTL + 10, f"{online} users still online"
            await asyncio.sleep(0.5)
        offline_after = time.monotonic() - closed

    records, nginx = server_records(cluster), nginx_answers(cluster)
    answered = [s for p in players for s in p.statuses]
    assert answered and nginx and any("status" in r for r in records), "no answer seen: the checks below see nothing"
    wrong = untolerated_5xx(players, records, nginx)
    assert not wrong, f"5xx answers no fault explains: {wrong[:10]}"
    assert len(games) >= PLAYERS  # the players went on getting new games through every fault
    taken_over = games_taken_over(records) & set(states)
    with capsys.disabled():
        print(f"\n{'fault':<52} every player served again   chat+world   games")
        for what, seconds, chat, game, _ in results:
            print(f"{what:<52} {seconds:22.1f} s {chat:10.1f} s {game:5.1f} s")
        for what, _, _, _, said in results:
            print(f"  {what}: the players saw {said}")
        seen = Counter(s for s, _ in nginx if s >= 500)
        print(
            f"{PLAYERS} players, {sum(len(p.acked) for p in players)} stored messages (none lost),"
            f" {len(states)} games (all finished, {len(taken_over)} of them taken over from a snapshot),"
            f" nginx answered {seen[502]} x 502 and {seen[503]} x 503, no other 5xx;"
            f" everyone offline {offline_after:.1f} s after the last socket closed"
        )
    for what, seconds, *_ in results:
        assert seconds < RECOVERY_LIMIT, what


def consecutive_free_ports(count: int) -> int:
    """A base port with ``count`` free ports from it (``CLUSTER_BASE_PORT`` + 50 when set).

    Below the kernel's range of ephemeral ports: a port in that range may be handed to any
    outgoing connection of the machine between this check and the cluster's bind (a sentinel
    once failed to start on one), while ports below it are only ever taken by a listener.
    """
    if os.environ.get("CLUSTER_BASE_PORT"):
        return int(os.environ["CLUSTER_BASE_PORT"]) + 50
    try:
        ephemeral_low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        ephemeral_low = 32768
    chooser = random.SystemRandom()
    for _ in range(50):
        base = chooser.randrange(20000, ephemeral_low - count) if ephemeral_low - count > 20000 else free_port()
        if base + count < 65536 and all(port_free(base + n) for n in range(count)):
            return base
    (pytest.fail if infrastructure_required() else pytest.skip)(f"no {count} consecutive free ports found")


def port_free(port: int) -> bool:
    """Nothing listens on ``port`` (connections of processes gone may linger in TIME_WAIT)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True

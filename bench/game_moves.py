"""Play many tic-tac-toe games at once over WebSockets and measure move round trips.

    export DATABASE_URL=... REDIS_URL=... SECRET_KEY=bench   # the same as the servers'
    .venv/bin/python bench/game_moves.py --urls ws://127.0.0.1:8300,ws://127.0.0.1:8301 --games 100 --rounds 3

Each game's two players connect (the two players of a game on different servers when
several are given), say ready and play a full 9-move draw, ``--rounds`` games per pair
back to back. A move's round trip is from sending ``player_move`` until the mover
receives the ``game_state`` that contains it (validated, committed to PostgreSQL and
broadcast through Redis). Prints p50/p99/max and moves per second.

The players are Python SDK clients (``client/python``, ``gameplatform_client``), so the SDK
is exercised by every run: sockets authenticate with the Bearer header (as before the port),
and reconnection is off, so a dropped socket fails the run instead of being hidden.
"""

import argparse
import asyncio
import sys
import time
from pathlib import Path

from queue_fill import django_setup, drop_users, make_users, percentile

try:
    from gameplatform_client import GameClient, ReconnectPolicy, SocketClosed
except ImportError:  # not installed: use the source tree's copy
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "client" / "python"))
    from gameplatform_client import GameClient, ReconnectPolicy, SocketClosed

PREFIX = "benchg"
DRAW = [0, 1, 2, 4, 3, 5, 7, 6, 8]
NO_RECONNECT = ReconnectPolicy(max_attempts=0)

RETRIES = {"handshakes": 0}


def player(url: str, token: str) -> GameClient:
    base = url.replace("ws://", "http://", 1).replace("wss://", "https://", 1)
    return GameClient(base, reconnect=NO_RECONNECT, ws_auth="header", ping_interval=20).use_tokens(token)


async def open_game(client: GameClient, game_id: int):
    """Open a game socket; like a real client, try again once if the handshake fails."""
    for attempt in range(2):
        try:
            return await client.join_game(game_id)
        except (OSError, SocketClosed, TimeoutError):
            if attempt:
                raise
            RETRIES["handshakes"] += 1


async def play_game(clients: list[GameClient], game_id: int, rtts: list) -> None:
    rooms = [await open_game(client, game_id) for client in clients]  # each has its game_state
    for room in rooms:
        await room.ready()
    for room in rooms:
        await room.next("game_start")
        await room.next("game_state")  # the active game
    for n, cell in enumerate(DRAW):
        mover, other = rooms[n % 2], rooms[(n + 1) % 2]
        began = time.perf_counter()
        state = await mover.move(cell=cell)  # the game_state after my player_move
        rtts.append(time.perf_counter() - began)
        assert state["board"][cell] is not None, state
        await other.next("game_state", where=lambda f, v=state["version"]: f["version"] >= v)
    for room in rooms:
        await room.next("game_over")
        await room.close()


async def play_pair(urls, games: list[int], seats: list, rtts: list) -> None:
    clients = [player(urls[i % len(urls)], token) for i, (_, token) in enumerate(seats)]
    try:
        for game_id in games:
            await play_game(clients, game_id, rtts)
    finally:
        for client in clients:
            await client.disconnect()


async def run(urls, pairs, games_by_pair) -> list[float]:
    rtts: list[float] = []
    began = time.perf_counter()
    await asyncio.gather(*(play_pair(urls, games_by_pair[i], pair, rtts) for i, pair in enumerate(pairs)))
    elapsed = time.perf_counter() - began
    games = sum(len(g) for g in games_by_pair)
    print(f"{len(pairs)} games at once, {games} games, {len(rtts)} moves over {len(urls)} server process(es)")
    print(f"wall time {elapsed:.2f} s, {len(rtts) / elapsed:.0f} moves/s; handshakes retried {RETRIES['handshakes']}")
    print(
        f"move round trip p50 {percentile(rtts, 50) * 1000:.1f} ms, p99 {percentile(rtts, 99) * 1000:.1f} ms, "
        f"max {max(rtts) * 1000:.1f} ms"
    )
    return rtts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls", default="ws://127.0.0.1:8300", help="comma-separated WebSocket base URLs")
    parser.add_argument("--games", type=int, default=100, help="games played at the same time")
    parser.add_argument("--rounds", type=int, default=3, help="games per pair, back to back")
    args = parser.parse_args()
    django_setup()
    from game.services import game_create

    pairs = [pair for pair in zip(*[iter(make_users(PREFIX, 2 * args.games))] * 2, strict=True)]
    games_by_pair = [
        [game_create(mode="tictactoe", players=[a.pk, b.pk]).pk for _ in range(args.rounds)] for (a, _), (b, _) in pairs
    ]
    try:
        asyncio.run(run(args.urls.split(","), pairs, games_by_pair))
    finally:
        time.sleep(5)  # let the servers record the last disconnects before the users go
        drop_users(PREFIX)


if __name__ == "__main__":
    main()

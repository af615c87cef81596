"""Play many tic-tac-toe games at once over WebSockets and measure move round trips.

    export DATABASE_URL=... REDIS_URL=... SECRET_KEY=bench   # the same as the servers'
    .venv/bin/python bench/game_moves.py --urls ws://127.0.0.1:8300,ws://127.0.0.1:8301 --games 100 --rounds 3

Each game's two players connect (the two players of a game on different servers when
several are given), say ready and play a full 9-move draw, ``--rounds`` games per pair
back to back. A move's round trip is from sending ``player_move`` until the mover
receives the ``game_state`` that contains it (validated, committed to PostgreSQL and
broadcast through Redis). Prints p50/p99/max and moves per second.
"""

import argparse
import asyncio
import json
import time

import websockets
from queue_fill import django_setup, drop_users, make_users, percentile

PREFIX = "benchg"
DRAW = [0, 1, 2, 4, 3, 5, 7, 6, 8]


async def next_of(ws, kind: str) -> dict:
    while True:
        frame = json.loads(await ws.recv())
        if frame["type"] == kind:
            return frame


RETRIES = {"handshakes": 0}


async def connect(url: str, token: str):
    """Open a socket; like a real client, try again once if the handshake fails."""
    for attempt in range(2):
        try:
            return await websockets.connect(
                url, additional_headers={"Authorization": f"Bearer {token}"}, max_queue=None
            )
        except (OSError, websockets.exceptions.InvalidMessage, TimeoutError):
            if attempt:
                raise
            RETRIES["handshakes"] += 1


async def play_game(urls, game_id: int, seats: list, rtts: list) -> None:
    sockets = []
    for i, (_, token) in enumerate(seats):
        ws = await connect(f"{urls[i % len(urls)]}/ws/game/{game_id}/", token)
        await next_of(ws, "game_state")
        sockets.append(ws)
    for ws in sockets:
        await ws.send(json.dumps({"type": "player_ready"}))
    for ws in sockets:
        await next_of(ws, "game_start")
        await next_of(ws, "game_state")  # the active game
    for n, cell in enumerate(DRAW):
        mover = sockets[n % 2]
        began = time.perf_counter()
        await mover.send(json.dumps({"type": "player_move", "movement": {"cell": cell}}))
        state = await next_of(mover, "game_state")
        rtts.append(time.perf_counter() - began)
        assert state["board"][cell] is not None, state
        await next_of(sockets[(n + 1) % 2], "game_state")
    for ws in sockets:
        await next_of(ws, "game_over")
        await ws.close()


async def play_pair(urls, games: list[int], seats: list, rtts: list) -> None:
    for game_id in games:
        await play_game(urls, game_id, seats, rtts)


async def run(urls, pairs, games_by_pair) -> None:
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

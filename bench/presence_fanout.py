"""Presence bench: sockets on two server processes, friends' online/offline events across them.

Start two servers first (same DATABASE_URL and REDIS_URL, migrated), e.g.:

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/gp_issue5a SECRET_KEY=bench
    export REDIS_URL=redis://127.0.0.1:6379/5
    .venv/bin/daphne --access-log /dev/null -b 127.0.0.1 -p 8500 gameplatform.asgi:application &
    .venv/bin/daphne --access-log /dev/null -b 127.0.0.1 -p 8501 gameplatform.asgi:application &
    .venv/bin/python bench/presence_fanout.py --users 200 --friends 10 --ports 8500 8501

Each user opens ``/ws/friends/status/`` on one of the servers (alternating) and has
``--friends`` friends (a ring). Then, for ``--samples`` users one by one, the user's
socket closes and reopens; the bench times how long until every friend (on both
servers) has the ``offline`` and then the ``online`` event.
"""

import argparse
import asyncio
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gameplatform.settings")

import django  # noqa: E402

django.setup()

import websockets  # noqa: E402
from rest_framework_simplejwt.tokens import AccessToken  # noqa: E402

from accounts.models import User  # noqa: E402
from friends.models import Friendship  # noqa: E402
from friends.services import friendship_create  # noqa: E402


def make_users(count: int, friends: int) -> list[User]:
    users = []
    for n in range(count):
        user, _ = User.objects.get_or_create(username=f"bench_presence_{n}", defaults={"email": f"bp{n}@example.com"})
        users.append(user)
    Friendship.objects.filter(user__in=users).delete()
    for n, user in enumerate(users):
        for step in range(1, friends // 2 + 1):
            friendship_create(user_a=user, user_b=users[(n + step) % count])
    return users


class Client:
    def __init__(self, user: User, port: int) -> None:
        self.user, self.port = user, port
        self.token = str(AccessToken.for_user(user))
        self.events: asyncio.Queue = asyncio.Queue()
        self.ws = None
        self.reader: asyncio.Task | None = None

    async def connect(self) -> None:
        self.ws = await websockets.connect(
            f"ws://127.0.0.1:{self.port}/ws/friends/status/",
            additional_headers={"Authorization": f"Bearer {self.token}"},
            origin=f"http://127.0.0.1:{self.port}",
        )
        snapshot = json.loads(await self.ws.recv())
        assert snapshot["type"] == "presence_snapshot", snapshot
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for text in self.ws:
            frame = json.loads(text)
            if frame["type"] == "presence":
                self.events.put_nowait((frame["user_id"], frame["status"], time.perf_counter()))

    async def close(self) -> None:
        await self.ws.close()
        self.reader.cancel()

    async def wait_for(self, user_id: int, status: str) -> float:
        while True:
            uid, got, at = await asyncio.wait_for(self.events.get(), 10)
            if uid == user_id and got == status:
                return at


def pct(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))] * 1000


async def main(args) -> None:
    users = await asyncio.to_thread(make_users, args.users, args.friends)
    clients = [Client(user, args.ports[n % len(args.ports)]) for n, user in enumerate(users)]
    started = time.perf_counter()
    for start in range(0, len(clients), 50):
        await asyncio.gather(*(c.connect() for c in clients[start : start + 50]))
    connect_s = time.perf_counter() - started
    await asyncio.sleep(1)
    for client in clients:  # drop the online events of the ramp-up
        while not client.events.empty():
            client.events.get_nowait()

    by_id = {c.user.pk: c for c in clients}
    friend_map = {}
    for user in users:
        ids = await asyncio.to_thread(
            lambda u=user: list(Friendship.objects.filter(user=u).values_list("friend_id", flat=True))
        )
        friend_map[user.pk] = [by_id[i] for i in ids]

    offline, online = [], []
    for client in clients[: args.samples]:
        friends = friend_map[client.user.pk]
        t0 = time.perf_counter()
        await client.close()
        arrivals = await asyncio.gather(*(f.wait_for(client.user.pk, "offline") for f in friends))
        offline.append(max(arrivals) - t0)
        t0 = time.perf_counter()
        await client.connect()
        arrivals = await asyncio.gather(*(f.wait_for(client.user.pk, "online") for f in friends))
        online.append(max(arrivals) - t0)

    print(f"sockets: {len(clients)} on ports {args.ports}, {args.friends} friends each")
    print(f"connect ramp: {connect_s:.2f} s ({len(clients) / connect_s:.0f} sockets/s, incl. presence announce)")
    for name, values in (("offline", offline), ("online", online)):
        print(
            f"{name} event reaches all {args.friends} friends (both servers): "
            f"p50 {pct(values, 0.5):.1f} ms, p95 {pct(values, 0.95):.1f} ms, max {max(values) * 1000:.1f} ms "
            f"(mean {statistics.mean(values) * 1000:.1f} ms, n={len(values)})"
        )
    await asyncio.gather(*(c.close() for c in clients))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--friends", type=int, default=10)
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--ports", type=int, nargs="+", default=[8500, 8501])
    asyncio.run(main(parser.parse_args()))

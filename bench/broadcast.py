"""Broadcast throughput: N sockets in one group, a burst of M events published from another process.

Measures deliveries per second at the clients, frames lost, and the server's CPU time per
delivery (from /proc, so pass the server's pid). Two targets:

  hub       our path: sockets on /ws/notifications/ of one user (one group), events sent
            with gameplatform.broadcast.realtime.agroup_send through Redis (the pub/sub layer)
  textbook  bench/textbook_asgi.py: a room where every socket is a group member of the
            default channels-redis layer and re-encodes JSON per socket

Several servers: ``--port 8001,8002 --server-pid PID1,PID2`` spreads the sockets over them
(the CPU figure then sums both processes).

Run (PostgreSQL and Redis as the server uses them; SECRET_KEY the same as the server's):

  export DATABASE_URL=postgres://postgres@127.0.0.1:5432/gp_bench REDIS_URL=redis://127.0.0.1:6379/9 SECRET_KEY=bench
  .venv/bin/python manage.py migrate
  .venv/bin/daphne --access-log /dev/null -p 8001 gameplatform.asgi:application &
  .venv/bin/python bench/broadcast.py --target hub --port 8001 --server-pid $!
  export DJANGO_SETTINGS_MODULE=bench.textbook_settings
  .venv/bin/daphne --access-log /dev/null -p 8011 bench.textbook_asgi:application &
  .venv/bin/python bench/broadcast.py --target textbook --port 8011 --server-pid $!
"""

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.textbook_settings")

import django  # noqa: E402

django.setup()

import websockets  # noqa: E402
from asgiref.sync import sync_to_async  # noqa: E402
from channels.layers import get_channel_layer  # noqa: E402
from procstat import cpu_seconds  # noqa: E402
from rest_framework_simplejwt.tokens import AccessToken  # noqa: E402

from gameplatform.broadcast.groups import user_group  # noqa: E402
from gameplatform.broadcast.realtime import agroup_send  # noqa: E402


def bench_user():
    from accounts.models import User

    user, _ = User.objects.get_or_create(username="bench_broadcast", defaults={"email": "bench@example.com"})
    return user


async def client(url: str, expected: int, counts: list, index: int, ready: asyncio.Event, done: asyncio.Event):
    async with websockets.connect(url, max_queue=None, compression=None) as ws:
        ready.set()
        while counts[index] < expected:
            try:
                await asyncio.wait_for(ws.recv(), timeout=10)
            except TimeoutError:
                return
            counts[index] += 1
            if all(c >= expected for c in counts):
                done.set()


async def run(args) -> None:
    if args.target == "hub":
        user = await sync_to_async(bench_user)()
        urls = [f"ws://127.0.0.1:{port}/ws/notifications/?token={AccessToken.for_user(user)}" for port in args.ports]

        async def publish(n: int) -> None:
            await agroup_send(user_group(user.pk), {"type": "tick", "n": n, "body": "x" * args.size})
    else:
        urls = [f"ws://127.0.0.1:{port}/ws/textbook/" for port in args.ports]
        layer = get_channel_layer("textbook")

        async def publish(n: int) -> None:
            await layer.group_send(
                "bench", {"type": "bench.event", "payload": {"type": "tick", "n": n, "body": "x" * args.size}}
            )

    counts = [0] * args.sockets
    done = asyncio.Event()
    tasks = []
    for i in range(args.sockets):
        ready = asyncio.Event()
        url = urls[i % len(urls)]  # sockets spread over the servers
        tasks.append(asyncio.create_task(client(url, args.events, counts, i, ready, done)))
        await asyncio.wait_for(ready.wait(), 10)
    await asyncio.sleep(1.0)

    cpu_before, started = cpu_seconds(args.server_pids), time.perf_counter()
    for start in range(0, args.events, args.batch):
        await asyncio.gather(*(publish(n) for n in range(start, min(start + args.batch, args.events))))
    try:
        await asyncio.wait_for(done.wait(), timeout=args.timeout)
    except TimeoutError:
        pass
    elapsed = time.perf_counter() - started
    cpu_used = cpu_seconds(args.server_pids) - cpu_before
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)

    expected, received = args.sockets * args.events, sum(counts)
    shape = f"servers={len(args.ports)} sockets={args.sockets} events={args.events} payload={args.size}B"
    print(f"target={args.target} {shape}")
    print(f"delivered={received}/{expected} lost={expected - received}")
    print(f"wall={elapsed:.2f}s deliveries_per_s={received / elapsed:,.0f}")
    if args.server_pids:
        print(f"server_cpu={cpu_used:.2f}s cpu_us_per_delivery={cpu_used / max(received, 1) * 1e6:.1f}")


def _ints(value: str) -> list[int]:
    return [int(part) for part in value.split(",") if part]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", choices=["hub", "textbook"], default="hub")
    parser.add_argument("--port", dest="ports", type=_ints, default=[8001], help="port, or ports: 8001,8002")
    parser.add_argument("--server-pid", dest="server_pids", type=_ints, default=[], help="pid(s) for CPU figures")
    parser.add_argument("--sockets", type=int, default=200)
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--size", type=int, default=64, help="payload filler bytes")
    parser.add_argument("--batch", type=int, default=50, help="events published concurrently")
    parser.add_argument("--timeout", type=float, default=120)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()

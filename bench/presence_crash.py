"""How long a user stays online after their server process is killed (kill -9, no close frames).

Starts two daphne servers (ports 8502, 8503) and one timer runner itself, with
``PRESENCE_TTL_SECONDS`` (default 4), against the DATABASE_URL / REDIS_URL in the
environment (migrated). ``--users`` users connect to the victim server, each with a
friend watching on the survivor; the victim is killed and the bench times each
``offline`` event. Stops everything it started.

    DATABASE_URL=... REDIS_URL=... SECRET_KEY=bench .venv/bin/python bench/presence_crash.py --ttl 4
"""

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gameplatform.settings")

import django  # noqa: E402

django.setup()

import websockets  # noqa: E402
from rest_framework_simplejwt.tokens import AccessToken  # noqa: E402

from accounts.models import User  # noqa: E402
from friends.models import Friendship  # noqa: E402
from friends.services import friendship_create  # noqa: E402

VICTIM, SURVIVOR = 8502, 8503


def pairs(count: int) -> list[tuple[User, User]]:
    made = []
    for n in range(count):
        a, _ = User.objects.get_or_create(username=f"bench_crash_a{n}", defaults={"email": f"bca{n}@example.com"})
        b, _ = User.objects.get_or_create(username=f"bench_crash_b{n}", defaults={"email": f"bcb{n}@example.com"})
        Friendship.objects.filter(user__in=[a, b]).delete()
        friendship_create(user_a=a, user_b=b)
        made.append((a, b))
    return made


def start(args: list[str], ttl: int) -> subprocess.Popen:
    env = {**os.environ, "PRESENCE_TTL_SECONDS": str(ttl)}
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def daphne(port: int, ttl: int) -> subprocess.Popen:
    bin_ = os.path.join(ROOT, ".venv/bin/daphne")
    return start(
        [bin_, "--access-log", "/dev/null", "-b", "127.0.0.1", "-p", str(port), "gameplatform.asgi:application"], ttl
    )


async def connect(port: int, user: User):
    ws = await websockets.connect(
        f"ws://127.0.0.1:{port}/ws/friends/status/",
        additional_headers={"Authorization": f"Bearer {AccessToken.for_user(user)}"},
        origin=f"http://127.0.0.1:{port}",
    )
    await ws.recv()  # presence_snapshot
    return ws


async def offline_at(ws, user_id: int) -> float:
    async for text in ws:
        frame = json.loads(text)
        if frame == {"type": "presence", "user_id": user_id, "status": "offline"}:
            return time.perf_counter()
    raise RuntimeError("socket closed")


async def main(args) -> None:
    made = await asyncio.to_thread(pairs, args.users)
    procs = [daphne(VICTIM, args.ttl), daphne(SURVIVOR, args.ttl)]
    procs.append(start([os.path.join(ROOT, ".venv/bin/python"), "manage.py", "run_timers"], args.ttl))
    try:
        await asyncio.sleep(4)
        watchers = [await connect(SURVIVOR, a) for a, _ in made]
        _victims = [await connect(VICTIM, b) for _, b in made]
        await asyncio.sleep(args.ttl)  # let a few heartbeats pass
        killed = time.perf_counter()
        procs[0].send_signal(signal.SIGKILL)
        arrivals = await asyncio.wait_for(
            asyncio.gather(*(offline_at(w, b.pk) for w, (_, b) in zip(watchers, made, strict=True))), args.ttl * 3
        )
        delays = sorted(t - killed for t in arrivals)
        print(f"PRESENCE_TTL_SECONDS={args.ttl}, {args.users} users on the killed server, friends on the other")
        print(
            f"offline seen after the kill: min {delays[0]:.2f} s, median {delays[len(delays) // 2]:.2f} s, "
            f"max {delays[-1]:.2f} s (bound: TTL {args.ttl} s)"
        )
        for ws in watchers:
            await ws.close()
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            proc.wait(10)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--ttl", type=int, default=4)
    asyncio.run(main(parser.parse_args()))

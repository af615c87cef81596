"""World positions through real servers: N characters in one area, each streaming positions.

The hottest path of the world: every character sends ``position_update`` at ``--hz`` and
the area relays at most 10 a second per character to the others (newest wins, nothing
stored per frame). Start one or more servers on the same DATABASE_URL / REDIS_URL with
the world's demo data (``manage.py seed_demo``), then, with the same environment and
SECRET_KEY:

    .venv/bin/python bench/world_positions.py --servers ws://127.0.0.1:8700 --characters 50 \
        --hz 20 --seconds 10 --pids 12345

Prints frames sent, deliveries/s, delivery latency p50/p99 (send to receive, this
machine's clock: each position carries its send time) and, with ``--pids``, the servers'
CPU per delivery. At most: characters × (characters per area - 1) × min(hz, 10) × seconds deliveries.
"""

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gameplatform.settings")

import django  # noqa: E402

django.setup()

from rest_framework_simplejwt.tokens import AccessToken  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402

from accounts.models import User  # noqa: E402
from bench.procstat import cpu_seconds  # noqa: E402
from world.models import Character, Faction, Location  # noqa: E402


def prepare(count: int, areas: int) -> list[str]:
    """``count`` users, each with one selected character, spread round-robin over ``areas`` areas."""
    faction = Faction.objects.filter(home_location__isnull=False).order_by("id").first()
    if faction is None:
        sys.exit("No world: run `manage.py seed_demo` against this database first.")
    places = list(Location.objects.order_by("id").values_list("id", flat=True)[:areas])
    tokens = []
    for n in range(count):
        user, _ = User.objects.get_or_create(
            username=f"bench_world_{n}", defaults={"email": f"bench_world_{n}@example.com"}
        )
        Character.objects.filter(user=user).delete()
        Character.objects.create(
            user=user, name=f"Bench {n}", faction=faction, location_id=places[n % len(places)], selected=True
        )
        tokens.append(str(AccessToken.for_user(user)))
    return tokens


def report_deliveries(latencies: list[float], seconds: float, cpu: float | None) -> None:
    """Deliveries/s, p50/p99 latency of the sorted ``latencies`` and, with ``cpu``, CPU per delivery."""
    print(f"deliveries/s {len(latencies) / seconds:.0f}")
    if latencies:
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        print(f"latency p50 {statistics.median(latencies) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms")
    if cpu is not None and latencies:
        print(f"server CPU {cpu:.2f} s: {cpu / len(latencies) * 1e6:.0f} µs per delivery")


class Walker:
    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token
        self.latencies: list[float] = []
        self.sent = 0

    async def open(self) -> None:
        self.ws = await connect(
            f"{self.url}/ws/world/", additional_headers={"Authorization": f"Bearer {self.token}"}, max_queue=None
        )
        welcome = json.loads(await self.ws.recv())
        assert welcome["type"] == "welcome", welcome

    async def listen(self, until: float) -> None:
        while time.time() < until:
            try:
                raw = await asyncio.wait_for(self.ws.recv(), timeout=max(0.01, until - time.time()))
            except TimeoutError:
                return
            frame = json.loads(raw)
            if frame.get("type") == "position_update":
                self.latencies.append(time.time() - frame["position"]["x"])

    async def walk(self, hz: float, until: float) -> None:
        period = 1 / hz
        next_at = time.time()
        while time.time() < until:
            await self.ws.send(json.dumps({"type": "position_update", "position": {"x": time.time(), "y": 0, "z": 0}}))
            self.sent += 1
            next_at += period
            await asyncio.sleep(max(0.0, next_at - time.time()))


async def run(servers: list[str], tokens: list[str], areas: int, hz: float, seconds: float, pids: list[int]) -> None:
    walkers = [Walker(servers[n % len(servers)], token) for n, token in enumerate(tokens)]
    for walker in walkers:
        await walker.open()
    await asyncio.sleep(1.0)  # joins settle
    cpu_before = cpu_seconds(pids) if pids else 0.0
    start = time.time()
    until = start + seconds
    await asyncio.gather(*(w.walk(hz, until) for w in walkers), *(w.listen(until + 1.0) for w in walkers))
    cpu = cpu_seconds(pids) - cpu_before if pids else 0.0
    latencies = sorted(lat for w in walkers for lat in w.latencies)
    delivered = len(latencies)
    per_area = len(walkers) / areas
    expected = len(walkers) * (per_area - 1) * min(hz, 10) * seconds
    print(f"characters {len(walkers)} in {areas} area(s), {hz:g} Hz each for {seconds:g} s, {len(servers)} server(s)")
    print(f"frames sent {sum(w.sent for w in walkers)}; deliveries {delivered} (at most ~{expected:.0f} allowed)")
    report_deliveries(latencies, seconds, cpu if pids else None)
    for walker in walkers:
        await walker.ws.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--servers", default="ws://127.0.0.1:8000")
    parser.add_argument("--characters", type=int, default=50)
    parser.add_argument("--areas", type=int, default=1, help="areas the characters are spread over")
    parser.add_argument("--hz", type=float, default=20)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--pids", type=int, nargs="*", default=[])
    args = parser.parse_args()
    tokens = prepare(args.characters, args.areas)
    asyncio.run(run(args.servers.split(","), tokens, args.areas, args.hz, args.seconds, args.pids))


if __name__ == "__main__":
    main()

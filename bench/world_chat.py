"""World chat through real servers: N characters on world sockets, each saying something on the
``global`` channel about every 0.7 s (under the chat rule of 3 messages per 2 s); every message
reaches every world socket.

    .venv/bin/python bench/world_chat.py --servers ws://127.0.0.1:8700 --characters 100 --seconds 10 --pids <pid>

Prints messages sent, deliveries/s, latency p50/p99 (send to receive on this machine's clock:
each message carries its send time) and, with ``--pids``, the servers' CPU per delivery.
Needs the demo world (``manage.py seed_demo``) on the servers' database, and their SECRET_KEY.
"""

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from websockets.asyncio.client import connect  # noqa: E402

from bench.procstat import cpu_seconds  # noqa: E402
from bench.world_positions import prepare, report_deliveries  # noqa: E402  (sets Django up)

SEND_INTERVAL = 0.7  # 3 messages in any 2 s is the rule: a little under it


class Speaker:
    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token
        self.latencies: list[float] = []
        self.sent = 0

    async def open(self) -> None:
        self.ws = await connect(
            f"{self.url}/ws/world/", additional_headers={"Authorization": f"Bearer {self.token}"}, max_queue=None
        )
        assert json.loads(await self.ws.recv())["type"] == "welcome"

    async def listen(self, until: float) -> None:
        while time.time() < until:
            try:
                raw = await asyncio.wait_for(self.ws.recv(), timeout=max(0.01, until - time.time()))
            except TimeoutError:
                return
            frame = json.loads(raw)
            if frame.get("type") == "chat" and frame.get("channel") == "global":
                self.latencies.append(time.time() - float(frame["message"]))

    async def speak(self, offset: float, until: float) -> None:
        await asyncio.sleep(offset)
        while time.time() < until:
            await self.ws.send(json.dumps({"type": "chat", "channel": "global", "message": repr(time.time())}))
            self.sent += 1
            await asyncio.sleep(SEND_INTERVAL)


async def run(servers: list[str], tokens: list[str], seconds: float, pids: list[int]) -> None:
    speakers = [Speaker(servers[n % len(servers)], token) for n, token in enumerate(tokens)]
    for speaker in speakers:
        await speaker.open()
    await asyncio.sleep(1.0)
    cpu_before = cpu_seconds(pids) if pids else 0.0
    until = time.time() + seconds
    spread = SEND_INTERVAL / max(len(speakers), 1)
    await asyncio.gather(
        *(s.speak(n * spread, until) for n, s in enumerate(speakers)), *(s.listen(until + 1.0) for s in speakers)
    )
    cpu = cpu_seconds(pids) - cpu_before if pids else 0.0
    latencies = sorted(lat for s in speakers for lat in s.latencies)
    sent = sum(s.sent for s in speakers)
    print(f"characters {len(speakers)} over {len(servers)} server(s), {seconds:g} s")
    print(f"messages sent {sent}; deliveries {len(latencies)} of {sent * len(speakers)}")
    report_deliveries(latencies, seconds, cpu if pids else None)
    for speaker in speakers:
        await speaker.ws.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--servers", default="ws://127.0.0.1:8000")
    parser.add_argument("--characters", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--pids", type=int, nargs="*", default=[])
    args = parser.parse_args()
    tokens = prepare(args.characters, 1)
    asyncio.run(run(args.servers.split(","), tokens, args.seconds, args.pids))


if __name__ == "__main__":
    main()

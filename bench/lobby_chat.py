"""Lobby chat through real servers: N clients in one lobby, M messages, deliveries/s and latency.

Start one or more servers on the same DATABASE_URL / REDIS_URL (docs/operations/index.md,
"Several processes with PostgreSQL and Redis"; the lobby socket: docs/domains/chat.md),
then, with the same environment and SECRET_KEY:

    .venv/bin/python bench/lobby_chat.py --servers ws://127.0.0.1:8400,ws://127.0.0.1:8401 \
        --clients 64 --messages 1000

Clients are spread round-robin over the servers. Every message is sent by one of the
clients and must reach all N of them (the sender too). Senders keep to the lobby's rate
limit (3 messages per 2 s per user), so the send rate is at most 1.5 msg/s per sender;
with many senders the server is what limits the figures. Latency is send-to-receive on
this machine's clock: p50 / p99 over every delivery.

``--words N`` fills the word filter's list with N generated words for the run (the servers see
it within a second) and empties it after; ``--pids`` (the servers' process ids) adds the
servers' CPU per delivery. Run it with and without the list to see the filter's cost:

    .venv/bin/python bench/lobby_chat.py --clients 32 --messages 300 --pids 1234 --words 5000
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
from bench.word_filter import generated_words  # noqa: E402
from chat.lobbies import services  # noqa: E402
from chat.models import Lobby  # noqa: E402
from wordfilter.services import word_add, word_remove  # noqa: E402

# Per sender: 3 messages in any 2 s is the limit (0.667 s apart on average); keep a margin.
SEND_INTERVAL = 0.7


def prepare(clients: int) -> tuple[int, list[str]]:
    """A fresh lobby with ``clients`` members (the first one premium, its owner); their access tokens."""
    users = []
    for n in range(clients):
        user, _ = User.objects.get_or_create(
            username=f"bench_lobby_{n}", defaults={"email": f"bench_lobby_{n}@example.com", "is_premium": n == 0}
        )
        users.append(user)
    lobby = services.lobby_create(owner=users[0], name=f"bench {time.time():.0f}", max_participants=max(clients, 2))
    for user in users[1:]:
        services.lobby_join(lobby_id=lobby.pk, user=user)
    return lobby.pk, [str(AccessToken.for_user(u)) for u in users]


class Client:
    def __init__(self, url: str, token: str, expected: int) -> None:
        self.url, self.token = url, token
        self.latencies: list[float] = []
        self.expected = expected
        self.refused = 0
        self.done = asyncio.Event()

    async def open(self) -> None:
        self.ws = await connect(
            self.url, additional_headers={"Authorization": f"Bearer {self.token}"}, max_queue=None, compression=None
        )
        while json.loads(await self.ws.recv())["type"] != "lobby_state":
            pass
        self.reader = asyncio.create_task(self.read())

    async def read(self) -> None:
        async for text in self.ws:
            now = time.perf_counter()
            frame = json.loads(text)
            if frame["type"] == "chat_message" and frame["message"]["content"].startswith("bench "):
                self.latencies.append(now - float(frame["message"]["content"].split()[2]))
                if len(self.latencies) >= self.expected:
                    self.done.set()
            elif frame["type"] == "error":
                self.refused += 1

    async def send(self, seq: int) -> None:
        await self.ws.send(json.dumps({"type": "chat_message", "message": f"bench {seq} {time.perf_counter():.6f}"}))


def words_fill(count: int) -> list[int]:
    """The filter's list filled with ``count`` generated words, through its service; their ids."""
    return [word_add(staff=None, word=word).pk for word in generated_words(count)]


def words_empty(word_ids: list[int]) -> None:
    for word_id in word_ids:
        word_remove(staff=None, word_id=word_id)


async def run(
    servers: list[str],
    clients: int,
    messages: int,
    senders: int,
    timeout: float,
    interval: float,
    pids: list[int],
    warm_up: bool = False,
) -> dict:
    lobby_id, tokens = await asyncio.to_thread(prepare, clients)
    urls = [f"{servers[n % len(servers)]}/ws/lobbies/{lobby_id}/" for n in range(clients)]
    peers = [Client(url, token, messages) for url, token in zip(urls, tokens, strict=True)]
    for batch in range(0, clients, 16):
        await asyncio.gather(*(peer.open() for peer in peers[batch : batch + 16]))
    await asyncio.sleep(0.5)
    if warm_up:  # a first message makes the server compile the word list before the clock starts
        await peers[0].ws.send(json.dumps({"type": "chat_message", "message": "warm up"}))
        await asyncio.sleep(2.5)  # past the compile, and the sender's rate limit budget back

    sending = peers[:senders]

    async def sender(index: int, peer: Client) -> None:
        await asyncio.sleep(interval * index / len(sending))  # spread the senders over one interval
        for seq in range(index, messages, len(sending)):
            await peer.send(seq)
            await asyncio.sleep(interval)

    started, cpu_started = time.perf_counter(), cpu_seconds(pids)
    await asyncio.gather(*(sender(i, p) for i, p in enumerate(sending)))
    sent_at = time.perf_counter()
    try:
        await asyncio.wait_for(asyncio.gather(*(p.done.wait() for p in peers)), timeout)
    except TimeoutError:
        pass
    finished, server_cpu = time.perf_counter(), cpu_seconds(pids) - cpu_started
    for peer in peers:
        peer.reader.cancel()
        await peer.ws.close()
    await asyncio.to_thread(lambda: Lobby.objects.filter(pk=lobby_id).delete())

    latencies = sorted(lat for p in peers for lat in p.latencies)
    deliveries = len(latencies)
    elapsed = finished - started
    return {
        "servers": len(servers),
        "clients": clients,
        "senders": len(sending),
        "messages": messages,
        "deliveries": f"{deliveries} of {messages * clients}",
        "refused": sum(p.refused for p in peers),
        "interval_s": interval,
        "elapsed_s": round(elapsed, 2),
        "send_phase_s": round(sent_at - started, 2),
        "messages_per_s": round(messages / elapsed, 1),
        "deliveries_per_s": round(deliveries / elapsed, 1),
        "latency_p50_ms": round(statistics.median(latencies) * 1000, 2) if latencies else None,
        "latency_p99_ms": round(latencies[int(0.99 * (deliveries - 1))] * 1000, 2) if latencies else None,
        "latency_max_ms": round(latencies[-1] * 1000, 2) if latencies else None,
        "server_cpu_us_per_delivery": round(server_cpu / deliveries * 1e6, 1) if pids and deliveries else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--servers", default="ws://127.0.0.1:8400", help="comma list of ws://host:port")
    parser.add_argument("--clients", type=int, default=64, help="members in the lobby (2..64)")
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--senders", type=int, default=0, help="clients that send (default: all)")
    parser.add_argument("--interval", type=float, default=SEND_INTERVAL, help="seconds between one sender's messages")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for deliveries after sending")
    parser.add_argument("--words", type=int, default=0, help="fill the word filter's list with N words for the run")
    parser.add_argument("--pids", default="", help="comma list of the servers' process ids: their CPU per delivery")
    args = parser.parse_args()
    clients = max(2, min(args.clients, 64))
    senders = min(args.senders or clients, clients)
    pids = [int(pid) for pid in args.pids.split(",") if pid]
    word_ids = words_fill(args.words)
    try:
        if word_ids:
            time.sleep(1.5)  # every server looks at the list's version within a second
        servers = args.servers.split(",")
        result = asyncio.run(
            run(servers, clients, args.messages, senders, args.timeout, args.interval, pids, warm_up=bool(word_ids))
        )
    finally:
        words_empty(word_ids)
    for key, value in result.items():
        print(f"{key:>18}: {value}")


if __name__ == "__main__":
    main()

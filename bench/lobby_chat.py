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

``--words N`` fills the word filter's list with N generated words for the run, in one
transaction (one change of the list's version, so one compile on each server), and empties it
after, again in one; ``--pids`` (the servers' process ids) adds the servers' CPU per delivery.
Before the clock starts, a warm-up message goes round the lobby after the servers have looked at
the list's version, so the list's compile (or an empty list's) never lands in the timed part.

``--pairs N`` with ``--words`` measures the filter's cost: N pairs of runs, one with the list and
one without, their order alternating (with-without, then without-with) so a drift of the
machine's load falls on both sides and the list changes once per pair, never inside a run;
every run with the list has the same words. It prints each pair's CPU per delivery and the
median of the ratios:

    .venv/bin/python bench/lobby_chat.py --clients 32 --messages 300 --pids 1234 --words 5000 --pairs 5
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

from django.db import connection, transaction  # noqa: E402
from rest_framework_simplejwt.tokens import AccessToken  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402

from accounts.models import User  # noqa: E402
from bench.procstat import cpu_seconds  # noqa: E402
from bench.word_filter import generated_words  # noqa: E402
from chat.lobbies import services  # noqa: E402
from chat.models import Lobby  # noqa: E402
from wordfilter import cache as word_cache  # noqa: E402
from wordfilter import selectors as word_selectors  # noqa: E402
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


def on_database(work, *args):
    """``work(*args)`` on a worker thread, its database connection handed back after: each run
    has a new event loop and new threads, and a connection left with a finished thread is lost
    to the pool (a bench of several runs ran out)."""
    try:
        return work(*args)
    finally:
        connection.close()


class Client:
    def __init__(self, url: str, token: str, expected: int) -> None:
        self.url, self.token = url, token
        self.latencies: list[float] = []
        self.expected = expected
        self.refused = 0
        self.done = asyncio.Event()
        self.warm = asyncio.Event()

    async def warm_up(self) -> None:
        await self.warm.wait()

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
            if frame["type"] == "chat_message" and frame["message"]["content"].startswith("warm "):
                self.warm.set()
            elif frame["type"] == "chat_message" and frame["message"]["content"].startswith("bench "):
                self.latencies.append(now - float(frame["message"]["content"].split()[2]))
                if len(self.latencies) >= self.expected:
                    self.done.set()
            elif frame["type"] == "error":
                self.refused += 1

    async def send(self, seq: int | str) -> None:
        kind = "warm" if seq == "warm" else "bench"
        await self.ws.send(json.dumps({"type": "chat_message", "message": f"{kind} {seq} {time.perf_counter():.6f}"}))


@transaction.atomic
def words_fill(count: int) -> list[int]:
    """The filter's list filled with ``count`` generated words (the same ones every time), through
    its service, in one transaction: the servers see one new version and compile the list once."""
    return [word_add(staff=None, word=word).pk for word in generated_words(count)]


@transaction.atomic
def words_empty(word_ids: list[int]) -> None:
    for word_id in word_ids:
        word_remove(staff=None, word_id=word_id)


def list_settled() -> None:
    """Past the moment every server has looked at the list's version (at most ``CHECK_SECONDS``
    after a change); the warm-up message that follows makes them compile what they saw."""
    time.sleep(word_cache.CHECK_SECONDS * 1.5)


async def run(
    servers: list[str],
    clients: int,
    messages: int,
    senders: int,
    timeout: float,
    interval: float,
    pids: list[int],
) -> dict:
    lobby_id, tokens = await asyncio.to_thread(on_database, prepare, clients)
    urls = [f"{servers[n % len(servers)]}/ws/lobbies/{lobby_id}/" for n in range(clients)]
    peers = [Client(url, token, messages) for url, token in zip(urls, tokens, strict=True)]
    for batch in range(0, clients, 16):
        await asyncio.gather(*(peer.open() for peer in peers[batch : batch + 16]))
    await asyncio.sleep(0.5)
    # A first message, with the list or without, reaches every member before the clock starts: the
    # servers have looked at the list's version and compiled it (its cost is not the run's).
    await asyncio.gather(*(peer.warm_up() for peer in peers), peers[0].send("warm"))
    await asyncio.sleep(2.1)  # the warm-up sender's rate-limit budget back

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
    await asyncio.to_thread(on_database, lambda: Lobby.objects.filter(pk=lobby_id).delete())

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


class WordList:
    """The filter's list for the bench: empty or the same ``count`` generated words, changed
    only when a run needs the other state (each change: one transaction, one compile per server)."""

    def __init__(self, count: int) -> None:
        if word_selectors.word_keys():
            sys.exit("The word list is not empty: the bench fills it itself (and empties it after).")
        self.count, self.ids = count, []

    def hold(self, listed: bool) -> None:
        if listed and not self.ids:
            self.ids = words_fill(self.count)
            list_settled()
        elif not listed and self.ids:
            words_empty(self.ids)
            self.ids = []
            list_settled()

    def close(self) -> None:
        self.hold(False)


def measured(servers: list[str], clients: int, senders: int, args, pids: list[int], words: WordList, listed: bool):
    """One run, the list full or empty for all of it; the servers have compiled it before the clock."""
    words.hold(listed)
    return asyncio.run(run(servers, clients, args.messages, senders, args.timeout, args.interval, pids))


def pairs(servers: list[str], clients: int, senders: int, args, pids: list[int], words: WordList) -> None:
    """``args.pairs`` pairs, with and without the list in alternating order (with-without, then
    without-with: the list changes once per pair); the median of the pairs' ratios."""
    ratios = []
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'pair':>4} {'order':>13} {'no list µs':>11} {'list µs':>9} {'ratio':>6} {'load (1 min)':>12}")
    for pair in range(args.pairs):
        order = (True, False) if pair % 2 == 0 else (False, True)
        cost = {}
        for listed in order:
            result = measured(servers, clients, senders, args, pids, words, listed)
            cost[listed] = result["server_cpu_us_per_delivery"]
            if result["deliveries"] != f"{args.messages * clients} of {args.messages * clients}":
                print(f"     the run {'with' if listed else 'without'} the list: {result['deliveries']} deliveries")
        ratio = cost[True] / cost[False]
        ratios.append(ratio)
        said = "with-without" if order[0] else "without-with"
        load = os.getloadavg()[0]
        print(
            f"{pair + 1:>4} {said:>13} {cost[False]:>11.1f} {cost[True]:>9.1f} {ratio:>6.3f} {load:>12.2f}", flush=True
        )
    median = statistics.median(ratios)
    print(f"median ratio (list / no list): {median:.3f}; min {min(ratios):.3f}, max {max(ratios):.3f}")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--servers", default="ws://127.0.0.1:8400", help="comma list of ws://host:port")
    parser.add_argument("--clients", type=int, default=64, help="members in the lobby (2..64)")
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--senders", type=int, default=0, help="clients that send (default: all)")
    parser.add_argument("--interval", type=float, default=SEND_INTERVAL, help="seconds between one sender's messages")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for deliveries after sending")
    parser.add_argument("--words", type=int, default=0, help="fill the word filter's list with N words for the run")
    parser.add_argument("--pairs", type=int, default=0, help="with --words, --pids: N pairs with and without")
    parser.add_argument("--pids", default="", help="comma list of the servers' process ids: their CPU per delivery")
    args = parser.parse_args()
    clients = max(2, min(args.clients, 64))
    senders = min(args.senders or clients, clients)
    pids = [int(pid) for pid in args.pids.split(",") if pid]
    servers = args.servers.split(",")
    if args.pairs and not (args.words and pids):
        parser.error("--pairs needs --words and --pids")
    words = WordList(args.words)
    try:
        if args.pairs:
            return pairs(servers, clients, senders, args, pids, words)
        result = measured(servers, clients, senders, args, pids, words, listed=bool(args.words))
    finally:
        words.close()
    for key, value in result.items():
        print(f"{key:>18}: {value}")


if __name__ == "__main__":
    main()

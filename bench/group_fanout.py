"""Group chat fan-out through real servers: a group of 500 members, all on its socket, M messages.

Measured as lobby fan-out is (``bench/lobby_chat.py``, whose clients this reuses): every
message is sent by one of ``--senders`` members at the chat rate limit's pace and must reach
all N members (the sender too); deliveries/s and send-to-receive latency (p50 / p99 over
every delivery), and the servers' CPU per delivery when their pids are given
(``bench/broadcast.py``'s ``/proc`` reading). Start servers as for lobby_chat.py, then:

    .venv/bin/python bench/group_fanout.py --servers ws://127.0.0.1:8400 --members 500 --messages 200 \
        --senders 10 --server-pid PID
"""

import argparse
import asyncio
import json
import statistics
import sys
import time

import lobby_chat  # noqa: F401  (sets up Django, as every bench script does)
from lobby_chat import Client
from procstat import cpu_seconds
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import User
from groups import services
from groups.models import MAX_MEMBERS, Group

# The chat limit is 3 messages in any 2 s, counted when a frame reaches the server: 1 s apart
# leaves room for frames that a busy client or server bunches up on the way.
SEND_INTERVAL = 1.0
OPEN_TIMEOUT = 60.0  # a socket whose group_state has not come by then is left out (and counted)


class GroupClient(Client):
    """lobby_chat's client on the group socket (its first frame is ``group_state``)."""

    async def open(self) -> None:
        from websockets.asyncio.client import connect

        self.ws = await connect(
            self.url, additional_headers={"Authorization": f"Bearer {self.token}"}, max_queue=None, compression=None
        )
        while json.loads(await self.ws.recv())["type"] != "group_state":
            pass
        self.last_frame = time.perf_counter()
        self.reader = asyncio.create_task(self.read())

    async def read(self) -> None:
        # One process reads all 500 sockets: the presence frames are counted, not parsed.
        async for text in self.ws:
            now = self.last_frame = time.perf_counter()
            if '"chat_message"' in text:
                frame = json.loads(text)
                if frame["message"]["content"].startswith("bench "):
                    self.latencies.append(now - float(frame["message"]["content"].split()[2]))
                    if len(self.latencies) >= self.expected:
                        self.done.set()
            elif '"error"' in text:
                self.refused += 1


def prepare(members: int) -> tuple[int, list[str]]:
    """A fresh group with ``members`` members (the first its superadmin); their access tokens."""
    users = []
    for n in range(members):
        user, _ = User.objects.get_or_create(
            username=f"bench_group_{n}", defaults={"email": f"bench_group_{n}@example.com"}
        )
        users.append(user)
    group = services.group_create(creator=users[0], name=f"bench {time.time():.3f}", max_members=max(members, 2))
    for user in users[1:]:
        services.group_join(group_id=group.pk, user=user)
    return group.pk, [str(AccessToken.for_user(u)) for u in users]


def percentile(values: list[float], share: float) -> float:
    return values[int(share * (len(values) - 1))]


async def run(args) -> dict:
    group_id, tokens = await asyncio.to_thread(prepare, args.members)
    urls = [f"{args.servers[n % len(args.servers)]}/ws/groups/{group_id}/" for n in range(args.members)]
    peers = [GroupClient(url, token, args.messages) for url, token in zip(urls, tokens, strict=True)]
    opened = []
    for batch in range(0, len(peers), 25):
        outcomes = await asyncio.gather(
            *(asyncio.wait_for(peer.open(), OPEN_TIMEOUT) for peer in peers[batch : batch + 25]), return_exceptions=True
        )
        opened += [peer for peer, outcome in zip(peers[batch : batch + 25], outcomes, strict=True) if outcome is None]
        print(f"{len(opened)} of {batch + 25} sockets open", file=sys.stderr)
    not_opened, peers = len(peers) - len(opened), opened
    # The sockets' presence_join frames (N x N of them) pass before the clock starts.
    while time.perf_counter() - max(p.last_frame for p in peers) < 2.0:  # noqa: ASYNC110 (a quiet spell, no event)
        await asyncio.sleep(0.5)

    sending = peers[: args.senders]

    async def sender(index: int, peer: GroupClient) -> None:
        await asyncio.sleep(args.interval * index / len(sending))  # spread the senders over one interval
        for seq in range(index, args.messages, len(sending)):
            await peer.send(seq)
            await asyncio.sleep(args.interval)

    cpu_before, started = cpu_seconds(args.server_pids), time.perf_counter()
    await asyncio.gather(*(sender(i, p) for i, p in enumerate(sending)))
    try:
        await asyncio.wait_for(asyncio.gather(*(p.done.wait() for p in peers)), args.timeout)
    except TimeoutError:
        pass
    elapsed = time.perf_counter() - started
    cpu_used = cpu_seconds(args.server_pids) - cpu_before
    for peer in peers:
        peer.reader.cancel()
        await peer.ws.close()
    await asyncio.to_thread(lambda: Group.objects.filter(pk=group_id).delete())

    latencies = sorted(lat for p in peers for lat in p.latencies)
    deliveries = len(latencies)
    result = {
        "servers": len(args.servers),
        "members": args.members,
        "sockets_not_opened": not_opened,
        "senders": len(sending),
        "messages": args.messages,
        "deliveries": f"{deliveries} of {args.messages * len(peers)}",
        "refused": sum(p.refused for p in peers),
        "elapsed_s": round(elapsed, 2),
        "messages_per_s": round(args.messages / elapsed, 1),
        "deliveries_per_s": round(deliveries / elapsed, 1),
        "latency_p50_ms": round(statistics.median(latencies) * 1000, 2) if latencies else None,
        "latency_p99_ms": round(percentile(latencies, 0.99) * 1000, 2) if latencies else None,
        "latency_max_ms": round(latencies[-1] * 1000, 2) if latencies else None,
    }
    if args.server_pids:
        result["server_cpu_us_per_delivery"] = round(cpu_used / max(deliveries, 1) * 1e6, 1)
    return result


def _ints(value: str) -> list[int]:
    return [int(part) for part in value.split(",") if part]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--servers", type=lambda v: v.split(","), default=["ws://127.0.0.1:8400"])
    parser.add_argument("--members", type=int, default=MAX_MEMBERS, help=f"members on the socket (2..{MAX_MEMBERS})")
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--senders", type=int, default=10, help="members that send")
    parser.add_argument("--interval", type=float, default=SEND_INTERVAL, help="seconds between one sender's messages")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for deliveries after sending")
    parser.add_argument("--server-pid", dest="server_pids", type=_ints, default=[], help="pid(s) for CPU figures")
    args = parser.parse_args()
    args.members = max(2, min(args.members, MAX_MEMBERS))
    args.senders = max(1, min(args.senders, args.members))
    for key, value in asyncio.run(run(args)).items():
        print(f"{key:>28}: {value}")


if __name__ == "__main__":
    main()

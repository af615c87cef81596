"""A mute and a suspension under load (issue #51): from the staff's call to the last refused frame
and the last closed socket, with 2,000 sockets of the player's friends and lobbies on two processes.

    .venv/bin/python bench/sanctions.py                      # 2,000 sockets, 5 rounds: a few minutes
    .venv/bin/python bench/sanctions.py --quick              # 200 sockets, 2 rounds
    .venv/bin/python bench/sanctions.py --json sanctions.json --plot sanctions.png

Two server processes (the Makefile's uvicorn line, one process each: A on ``--port``, B on the
next) over PostgreSQL and Redis. The bench makes in its own database a staff member (``is_staff``,
role ``moderator``), ``--lobbies`` lobbies and, for each round, two fresh targets (one muted, one
suspended) who are members of every lobby and friends of every friend. The crowd, ``--sockets``
sockets in all, half on each process, is opened once by a child process of the bench and stays
open: the lobby members' lobby sockets (as many as the lobbies hold) and the friends'
notification sockets (the rest). It records every message of a target it receives.

Each round, for a fresh target each:

- **mute**: the target opens its notification socket and one socket per lobby, alternating
  between the processes, and sends a ``chat_message`` (with a ``ref``) every ``--interval`` s on
  each lobby socket. After ``--warmup`` s and a random share of the mutes' refresh period (so
  that the call falls anywhere in process B's second between two reads of the mutes), the staff
  call ``POST /api/moderation/sanctions/`` ``{action: "mute"}`` on A (t0). Timed: from t0 to
  each socket's first ``muted`` refusal; the round's figure is the last of them. Counted:
  messages sent after t0 that were still delivered, and any message delivered (to the crowd or
  back to the target) that the target sent after its socket's first refusal: there must be none.
- **suspension**: the target opens the same sockets, idle; at t0 the staff call
  ``{action: "suspend"}`` on A while the target's old token asks ``GET /api/me/`` on B every
  ``--poll`` s. Timed: from t0 to each socket's close 4403 (after its ``account_suspended``
  error frame); the round's figure is the last close. And from t0 to the first 403
  ``account_suspended`` on B.

The goal is 2 s for both (docs/player-safety.md). The servers run ``bench/sanction_settings.py``
(our settings with the chat budget raised: under the default 3 messages per 2 s the target's
frames would be refused ``rate_limited`` before the mute is asked). The CPU seconds of each
server process over the rounds are read from /proc.

The database and Redis db are the bench's own (``--database-url`` / ``--redis-url``; created if
missing and migrated, never flushed). Its users and lobbies are removed at the end; the staff
audit rows stay (the audit table refuses DELETE; their ``staff`` has no database constraint).
Traffic goes to 127.0.0.1 only. The plot needs matplotlib, which the project does not install:
without it the plot is skipped with a note. Exit status 1 when a goal is missed or a check fails.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import multiprocessing  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import signal  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402

import httpx  # noqa: E402
from figures import (  # noqa: E402
    close_all,
    ms,
    own_cpu_seconds,
    prepare_platform,
    raise_open_files,
    retry,
    run_async,
    terminated,
    ws_open,
)
from procstat import cpu_seconds  # noqa: E402

PREFIX = "pbsanction"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/gp_sanction_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/12"
GOAL_S = 2.0
LOBBY_CAPACITY = 64  # chat.models.MAX_PARTICIPANTS
MARK = "sbench@"  # a target's message: MARK + "<round>:<socket>:<seq>"; found without a JSON decode
FIRST_FRAME = {"lobbies": "lobby_state", "notifications": "badge"}


# --- the crowd: the friends' and lobby members' sockets, in a child process ---------------------


def crowd_main(conn, specs: list[tuple[str, str, str]]) -> None:
    """The child process: open every socket of ``specs`` [(url, token, first frame)], then answer
    the parent's ``collect`` (the targets' messages received since) and ``close``."""
    raise_open_files()
    run_async(crowd_run(conn, specs))


async def crowd_run(conn, specs: list[tuple[str, str, str]]) -> None:
    received: dict[str, float] = {}  # a target's message -> when it first arrived
    dropped = [0]
    sockets = []

    async def open_one(url: str, token: str, first: str) -> None:
        ws = await ws_open(url, token)
        while json.loads(await ws.recv())["type"] != first:
            pass
        sockets.append(ws)

    async def read(ws) -> None:
        try:
            async for text in ws:
                at = text.find(MARK)
                if at >= 0:
                    tag = text[at + len(MARK) : text.index('"', at)]
                    received.setdefault(tag, time.monotonic())
        except Exception:
            pass
        dropped[0] += 1

    errors = []
    for start in range(0, len(specs), 50):
        done = await asyncio.gather(*(open_one(*spec) for spec in specs[start : start + 50]), return_exceptions=True)
        errors += [repr(e) for e in done if isinstance(e, BaseException)]
    readers = [asyncio.create_task(read(ws)) for ws in sockets]
    conn.send(("ready", len(sockets), errors[:5]))
    while True:
        command = await asyncio.to_thread(conn.recv)
        if command == "collect":
            conn.send((dict(received), dropped[0]))
            received.clear()
        elif command == "close":
            for task in readers:
                task.cancel()
            await close_all(sockets)
            conn.send("closed")
            return


class Crowd:
    def __init__(self, specs: list[tuple[str, str, str]]) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child_conn = context.Pipe()
        self.proc = context.Process(target=crowd_main, args=(child_conn, specs), daemon=True)

    def open(self, timeout: float = 300.0) -> int:
        self.proc.start()
        if not self.conn.poll(timeout):
            raise RuntimeError("the crowd's sockets did not open in time")
        _, opened, errors = self.conn.recv()
        if errors:
            print(f"  crowd: {len(errors)}+ sockets failed to open, e.g. {errors[0]}")
        return opened

    def collect(self) -> tuple[dict[str, float], int]:
        self.conn.send("collect")
        return self.conn.recv()

    def close(self) -> None:
        if self.proc.is_alive():
            try:
                self.conn.send("close")
                self.conn.poll(60) and self.conn.recv()
            except (OSError, EOFError):
                pass
            self.proc.join(10)
        if self.proc.is_alive():
            self.proc.kill()


# --- the world: users, lobbies, friendships --------------------------------------------------


@dataclass
class World:
    staff_token: str
    lobby_ids: list[int]
    crowd: list[tuple[str, str]]  # (path, token) of each crowd socket
    targets: list[tuple[int, str]]  # (user id, token): two per round, the muted one first
    per_lobby: int
    friends: int


def make_world(sockets: int, lobbies: int, rounds: int) -> World:
    """Users made in bulk (bench/queue_fill.py's ``make_users``), lobbies through the services,
    friendships in bulk (both directions, as ``friendship_create`` writes them)."""
    from django.contrib.auth.models import Group
    from queue_fill import make_users

    from accounts.models import User
    from chat.lobbies import services
    from friends.models import Friendship
    from staff.roles import MODERATOR

    targets_n = 2 * rounds
    per_lobby = max(1, min(LOBBY_CAPACITY - targets_n, sockets // 2 // lobbies))
    friends = sockets - per_lobby * lobbies
    if friends < 0:
        raise SystemExit(f"{sockets} sockets are fewer than {lobbies} lobbies x {per_lobby} members")
    users = make_users(PREFIX, 1 + targets_n + per_lobby * lobbies + friends)
    (staff, staff_token), targets = users[0], users[1 : 1 + targets_n]
    members = users[1 + targets_n : 1 + targets_n + per_lobby * lobbies]
    friend_users = users[1 + targets_n + per_lobby * lobbies :]
    User.objects.filter(pk=staff.pk).update(is_staff=True)
    staff.groups.add(Group.objects.get(name=MODERATOR))

    lobby_ids, crowd = [], []
    for n in range(lobbies):
        group = members[n * per_lobby : (n + 1) * per_lobby]
        owner = group[0][0]
        User.objects.filter(pk=owner.pk).update(is_premium=True)
        owner.is_premium = True
        lobby = services.lobby_create(owner=owner, name=f"{PREFIX} {n}", max_participants=LOBBY_CAPACITY)
        for user, _ in group[1:] + targets:
            services.lobby_join(lobby_id=lobby.pk, user=user)
        lobby_ids.append(lobby.pk)
        crowd += [(f"/ws/lobbies/{lobby.pk}/", token) for _, token in group]
    Friendship.objects.bulk_create(
        [Friendship(user=a, friend=b) for t, _ in targets for f, _ in friend_users for a, b in ((t, f), (f, t))],
        batch_size=5000,
    )
    crowd += [("/ws/notifications/", token) for _, token in friend_users]
    return World(staff_token, lobby_ids, crowd, [(u.pk, tok) for u, tok in targets], per_lobby, len(friend_users))


def drop_world(lobby_ids: list[int]) -> None:
    from queue_fill import drop_users

    from chat.models import Lobby

    Lobby.objects.filter(pk__in=lobby_ids).delete()
    drop_users(PREFIX)


# --- the target's sockets ------------------------------------------------------------------------


@dataclass
class TargetSocket:
    """One socket of the target, its times in seconds on this machine's monotonic clock."""

    url: str
    process: str  # "A" or "B"
    ws: object = None
    sent: dict[int, float] = field(default_factory=dict)  # seq -> when it was sent
    echoed: set[int] = field(default_factory=set)  # seqs the lobby sent back (delivered)
    muted_seq: int | None = None  # the first frame refused muted
    muted_at: float | None = None
    refused_after: int = 0  # later frames refused muted
    other_errors: list[str] = field(default_factory=list)
    suspended_at: float | None = None  # the account_suspended error frame
    closed_at: float | None = None
    close_code: int | None = None
    notified_at: float | None = None  # the sanction notification (the notification socket)
    muted: asyncio.Event = field(default_factory=asyncio.Event)  # set at the first refusal

    async def read(self) -> None:
        try:
            async for text in self.ws:
                now = time.monotonic()
                frame = json.loads(text)
                kind = frame.get("type")
                if kind == "chat_message":
                    content = frame["message"]["content"]
                    if content.startswith(MARK):
                        self.echoed.add(int(content.rsplit(":", 1)[1]))
                elif kind == "error":
                    self._error(frame, now)
                elif kind == "notification" and frame.get("kind") == "sanction" and self.notified_at is None:
                    self.notified_at = now
        except Exception:
            pass
        self.closed_at = time.monotonic()
        self.close_code = self.ws.close_code

    def _error(self, frame: dict, now: float) -> None:
        code = frame.get("code")
        if code == "muted":
            seq = int(str(frame.get("ref", "-1")).rsplit("-", 1)[1])
            if self.muted_at is None:
                self.muted_seq, self.muted_at = seq, now
                self.muted.set()
            else:
                self.refused_after += 1
        elif code == "account_suspended" and self.suspended_at is None:
            self.suspended_at = now
        else:
            self.other_errors.append(str(code))


async def open_target(bases: list[str], lobby_ids: list[int], token: str, first: int) -> list[TargetSocket]:
    """The notification socket on process ``first``, then one socket per lobby, alternating."""
    paths = ["/ws/notifications/"] + [f"/ws/lobbies/{lobby_id}/" for lobby_id in lobby_ids]
    sockets = []
    for n, path in enumerate(paths):
        k = (first + n) % 2
        sockets.append(TargetSocket(bases[k].replace("http", "ws", 1) + path, "AB"[k]))

    async def one(sock: TargetSocket) -> None:
        sock.ws = await ws_open(sock.url, token)
        wanted = FIRST_FRAME["notifications" if "notifications" in sock.url else "lobbies"]
        while json.loads(await sock.ws.recv())["type"] != wanted:
            pass

    await asyncio.gather(*(one(s) for s in sockets))
    for sock in sockets:
        sock.reader = asyncio.create_task(sock.read())
    return sockets


async def sanction(client: httpx.AsyncClient, base: str, staff_token: str, user_id: int, action: str) -> float:
    """The staff's call; the seconds it took. Raises unless 201."""
    began = time.monotonic()
    answer = await client.post(
        f"{base}/api/moderation/sanctions/",
        json={"user_id": user_id, "action": action, "duration_hours": 24, "statement": f"bench {action}"},
        headers={"Authorization": f"Bearer {staff_token}"},
    )
    if answer.status_code != 201:
        raise RuntimeError(f"the staff's {action} answered {answer.status_code}: {answer.text[:300]}")
    return time.monotonic() - began


# --- a mute ------------------------------------------------------------------------------------------


def refresh_period() -> float:
    from safety.mutes import MUTES_REFRESH_SECONDS

    return MUTES_REFRESH_SECONDS


async def mute_round(bases, world: World, round_no: int, args) -> tuple[dict, list[TargetSocket], float]:
    user_id, token = world.targets[2 * round_no]
    sockets = await open_target(bases, world.lobby_ids, token, first=round_no % 2)
    lobby_sockets = [s for s in sockets if "/lobbies/" in s.url]
    stop = asyncio.Event()

    async def keep_sending(index: int, sock: TargetSocket) -> None:
        await asyncio.sleep(args.interval * index / len(lobby_sockets))  # spread over one interval
        seq = 0
        while not stop.is_set():
            sock.sent[seq] = time.monotonic()
            text = f"{MARK}{round_no}:{index}:{seq}"
            try:
                await sock.ws.send(json.dumps({"type": "chat_message", "message": text, "ref": f"{index}-{seq}"}))
            except Exception:
                return
            seq += 1
            await asyncio.sleep(args.interval)

    senders = [asyncio.create_task(keep_sending(i, s)) for i, s in enumerate(lobby_sockets)]
    # The first message makes B read the running mutes; a fixed warm-up would impose every mute at the
    # same point of B's refresh period. A random share of the period puts it anywhere in it.
    await asyncio.sleep(args.warmup + args.rng.uniform(0, refresh_period()))
    async with httpx.AsyncClient(timeout=30) as client:
        t0 = time.monotonic()
        call_s = await sanction(client, bases[0], world.staff_token, user_id, "mute")
    try:
        await asyncio.wait_for(asyncio.gather(*(s.muted.wait() for s in lobby_sockets)), args.timeout)
    except TimeoutError:
        pass
    await asyncio.sleep(args.after)  # frames sent after each socket's first refusal must all be refused too
    stop.set()
    await asyncio.gather(*senders)
    await asyncio.sleep(0.5)  # deliveries in flight
    await close_all([s.ws for s in sockets])
    return {"call_s": call_s, "user_id": user_id}, sockets, t0


def mute_figures(sockets: list[TargetSocket], t0: float, received: dict[str, float], round_no: int, call_s) -> dict:
    lobby_sockets = [s for s in sockets if "/lobbies/" in s.url]
    delivered: dict[int, set[int]] = {i: set(s.echoed) for i, s in enumerate(lobby_sockets)}
    for tag in received:
        r, index, seq = (int(x) for x in tag.split(":"))
        if r == round_no:
            delivered[index].add(seq)
    after_t0 = leaked = 0
    for index, sock in enumerate(lobby_sockets):
        after_t0 += sum(1 for seq in delivered[index] if sock.sent.get(seq, 0) >= t0)
        if sock.muted_seq is not None:
            leaked += sum(1 for seq in delivered[index] if seq > sock.muted_seq)
    refusals = {s.process: [] for s in lobby_sockets}
    for sock in lobby_sockets:
        if sock.muted_at is not None:
            refusals[sock.process].append(sock.muted_at - t0)
    notification = next((s.notified_at for s in sockets if s.notified_at is not None), None)
    return {
        "sockets": len(lobby_sockets),
        "refused": sum(1 for s in lobby_sockets if s.muted_at is not None),
        "last_refusal_s": max((s.muted_at - t0 for s in lobby_sockets if s.muted_at is not None), default=None),
        "refusal_s_by_process": refusals,
        "sent": sum(len(s.sent) for s in lobby_sockets),
        "sent_after_t0": sum(1 for s in lobby_sockets for at in s.sent.values() if at >= t0),
        "delivered_after_t0": after_t0,
        "delivered_after_refusal": leaked,
        "refused_after_first": sum(s.refused_after for s in lobby_sockets),
        "other_errors": sorted({e for s in lobby_sockets for e in s.other_errors}),
        "notification_s": None if notification is None else notification - t0,
        "call_s": call_s,
    }


# --- a suspension ----------------------------------------------------------------------------------


async def poll_locked(client: httpx.AsyncClient, base: str, token: str, t0: float, timeout: float, every: float):
    """Seconds from t0 until ``GET /api/me/`` with the old token answers 403 account_suspended."""
    while time.monotonic() < t0 + timeout:
        answer = await client.get(f"{base}/api/me/", headers={"Authorization": f"Bearer {token}"})
        if answer.status_code == 403 and answer.json().get("code") == "account_suspended":
            return time.monotonic() - t0
        await asyncio.sleep(every)
    return None


async def suspend_round(bases, world: World, round_no: int, args) -> dict:
    user_id, token = world.targets[2 * round_no + 1]
    sockets = await open_target(bases, world.lobby_ids, token, first=(round_no + 1) % 2)
    await asyncio.sleep(args.warmup)
    async with httpx.AsyncClient(timeout=30) as staff_client, httpx.AsyncClient(timeout=30) as player_client:
        answer = await player_client.get(f"{bases[1]}/api/me/", headers={"Authorization": f"Bearer {token}"})
        if answer.status_code != 200:
            raise RuntimeError(f"the target's token answered {answer.status_code} before the suspension")
        t0 = time.monotonic()
        polling = asyncio.create_task(poll_locked(player_client, bases[1], token, t0, args.timeout, args.poll))
        call_s = await sanction(staff_client, bases[0], world.staff_token, user_id, "suspend")
        rest_s = await polling
    await asyncio.wait([s.reader for s in sockets], timeout=max(0.1, t0 + args.timeout - time.monotonic()))
    await close_all([s.ws for s in sockets])
    closes = [s.closed_at - t0 for s in sockets if s.close_code == 4403]
    return {
        "sockets": len(sockets),
        "closed_4403": len(closes),
        "told": sum(1 for s in sockets if s.suspended_at is not None and s.close_code == 4403),
        "close_codes": sorted({s.close_code for s in sockets}, key=str),
        "last_close_s": max(closes) if len(closes) == len(sockets) else None,
        "close_s_by_process": {p: [s.closed_at - t0 for s in sockets if s.process == p] for p in "AB"},
        "rest_403_s": rest_s,
        "call_s": call_s,
    }


# --- the run ---------------------------------------------------------------------------------------


async def run_rounds(bases: list[str], world: World, crowd: Crowd, args, pids: list[int]) -> dict:
    mutes, suspensions = [], []
    for round_no in range(args.rounds):
        info, sockets, t0 = await mute_round(bases, world, round_no, args)
        received, dropped = await asyncio.to_thread(crowd.collect)
        mute = mute_figures(sockets, t0, received, round_no, info["call_s"])
        mute["crowd_sockets_dropped"] = dropped
        mutes.append(mute)
        await asyncio.sleep(args.pause)
        suspension = await suspend_round(bases, world, round_no, args)
        suspensions.append(suspension)
        print(
            f"  round {round_no + 1}: mute last refusal {fmt_s(mute['last_refusal_s'])}"
            f" ({mute['refused']}/{mute['sockets']} sockets, {mute['delivered_after_t0']} delivered after t0,"
            f" {mute['delivered_after_refusal']} after a refusal); suspension last close"
            f" {fmt_s(suspension['last_close_s'])} ({suspension['closed_4403']}/{suspension['sockets']} 4403),"
            f" REST 403 {fmt_s(suspension['rest_403_s'])}"
        )
        await asyncio.sleep(args.pause)
    return {"mutes": mutes, "suspensions": suspensions}


def fmt_s(value: float | None) -> str:
    return "MISSING" if value is None else f"{value * 1000:.0f} ms"


def p50(values: list[float]) -> float | None:
    ordered = sorted(values)
    return ordered[(len(ordered) - 1) // 2] if ordered else None


def summarise(rounds: dict, world: World, args, cpu: dict) -> dict:
    mutes, suspensions = rounds["mutes"], rounds["suspensions"]

    def stat(rows: list[dict], key: str) -> dict:
        values = [row[key] for row in rows]
        present = [v for v in values if v is not None]
        return {
            "p50_ms": ms(p50(present)),
            "max_ms": ms(max(present, default=None)),
            "missing": len(values) - len(present),
        }

    return {
        "rounds": len(mutes),
        "crowd_sockets": len(world.crowd),
        "lobbies": len(world.lobby_ids),
        "members_per_lobby": world.per_lobby,
        "friends": world.friends,
        "target_sockets": 1 + len(world.lobby_ids),
        "interval_s": args.interval,
        "mute_last_refusal": stat(mutes, "last_refusal_s"),
        "mute_refusal_all_sockets_p50_ms": ms(
            p50([v for m in mutes for vs in m["refusal_s_by_process"].values() for v in vs])
        ),
        "mute_refusal_by_process_max_ms": {
            p: ms(max((v for m in mutes for v in m["refusal_s_by_process"].get(p, [])), default=None)) for p in "AB"
        },
        "mute_delivered_after_t0": sum(m["delivered_after_t0"] for m in mutes),
        "mute_sent_after_t0": sum(m["sent_after_t0"] for m in mutes),
        "mute_delivered_after_refusal": sum(m["delivered_after_refusal"] for m in mutes),
        "mute_other_errors": sorted({e for m in mutes for e in m["other_errors"]}),
        "mute_notification": stat(mutes, "notification_s"),
        "suspension_last_close": stat(suspensions, "last_close_s"),
        "suspension_close_by_process_max_ms": {
            p: ms(max((v for s in suspensions for v in s["close_s_by_process"][p]), default=None)) for p in "AB"
        },
        "suspension_told": f"{sum(s['told'] for s in suspensions)} of {sum(s['sockets'] for s in suspensions)}",
        "suspension_close_codes": sorted({c for s in suspensions for c in s["close_codes"]}, key=str),
        "suspension_rest_403": stat(suspensions, "rest_403_s"),
        "staff_call": stat(mutes + suspensions, "call_s"),
        "crowd_sockets_dropped": max((m["crowd_sockets_dropped"] for m in mutes), default=0),
        "cpu_s": cpu,
        "goal_ms": GOAL_S * 1000,
        "detail": rounds,
    }


def verdict(summary: dict) -> list[str]:
    """What failed: a goal missed, a socket that never refused or closed, a message that leaked."""
    failed = []
    for key in ("mute_last_refusal", "suspension_last_close", "suspension_rest_403"):
        row = summary[key]
        if row["missing"] or row["max_ms"] is None or row["max_ms"] > summary["goal_ms"]:
            failed.append(f"{key}: max {row['max_ms']} ms, {row['missing']} rounds missing (goal {GOAL_S:.0f} s)")
    if summary["mute_delivered_after_refusal"]:
        failed.append(f"{summary['mute_delivered_after_refusal']} messages delivered after their socket's refusal")
    if summary["suspension_close_codes"] != [4403]:
        failed.append(f"suspension close codes {summary['suspension_close_codes']}")
    if summary["crowd_sockets_dropped"]:
        failed.append(f"{summary['crowd_sockets_dropped']} crowd sockets closed during the run")
    return failed


def print_summary(summary: dict) -> None:
    print(
        f"\n{summary['rounds']} rounds; crowd {summary['crowd_sockets']} sockets on two processes"
        f" ({summary['lobbies']} lobbies x {summary['members_per_lobby']} members, {summary['friends']} friends'"
        f" notification sockets); target {summary['target_sockets']} sockets; a message every"
        f" {summary['interval_s'] * 1000:.0f} ms per lobby socket"
    )
    rows = [
        ("mute: staff call -> last socket refuses `muted`", summary["mute_last_refusal"]),
        ("suspension: staff call -> last socket closed 4403", summary["suspension_last_close"]),
        ("suspension: staff call -> REST 403 on B", summary["suspension_rest_403"]),
        ("mute: staff call -> `sanction` notification", summary["mute_notification"]),
        ("the staff call itself (POST on A)", summary["staff_call"]),
    ]
    for name, row in rows:
        missing = f", {row['missing']} missing" if row["missing"] else ""
        print(f"  {name:<52} p50 {row['p50_ms']} ms, max {row['max_ms']} ms{missing}")
    print(f"  mute refusals, every socket: p50 {summary['mute_refusal_all_sockets_p50_ms']} ms,")
    print(f"    max by process {summary['mute_refusal_by_process_max_ms']} (ms)")
    print(f"  suspension closes, max by process {summary['suspension_close_by_process_max_ms']} (ms)")
    print(
        f"  mute: {summary['mute_delivered_after_t0']} of {summary['mute_sent_after_t0']} messages sent after t0"
        f" still delivered; {summary['mute_delivered_after_refusal']} delivered after their socket's refusal"
        f"; other errors {summary['mute_other_errors']}"
    )
    print(
        f"  suspension: {summary['suspension_told']} sockets told account_suspended, close codes"
        f" {summary['suspension_close_codes']}"
    )
    print(f"  CPU seconds over the rounds: {summary['cpu_s']}")


def plot(summary: dict, path: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(no plot: matplotlib is not installed)")
        return
    fig, ax = plt.subplots(figsize=(8, 4))
    detail = summary["detail"]
    for n, (mute, suspension) in enumerate(zip(detail["mutes"], detail["suspensions"], strict=True)):
        for p, marker in (("A", "o"), ("B", "s")):
            ax.scatter(
                [n - 0.1] * len(mute["refusal_s_by_process"].get(p, [])),
                mute["refusal_s_by_process"].get(p, []),
                marker=marker,
                color="tab:blue",
                label=f"mute, first refusal, process {p}" if n == 0 else None,
            )
            ax.scatter(
                [n + 0.1] * len(suspension["close_s_by_process"][p]),
                suspension["close_s_by_process"][p],
                marker=marker,
                color="tab:red",
                label=f"suspension, close 4403, process {p}" if n == 0 else None,
            )
        if suspension["rest_403_s"] is not None:
            ax.scatter(
                [n + 0.2],
                [suspension["rest_403_s"]],
                marker="x",
                color="black",
                label="suspension, REST 403 on B" if n == 0 else None,
            )
    ax.axhline(GOAL_S, color="grey", linestyle="--", label="goal")
    ax.set_xlabel("round")
    ax.set_ylabel("seconds from the staff's call")
    ax.set_title(f"sanctions with {summary['crowd_sockets']} sockets on two processes")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    print(f"plot: {path}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sockets", type=int, default=2000, help="the crowd: friends' and lobby members' sockets")
    parser.add_argument("--rounds", type=int, default=5, help="a mute and a suspension each, fresh targets")
    parser.add_argument("--quick", action="store_true", help="200 sockets, 2 rounds")
    parser.add_argument("--lobbies", type=int, default=10, help="lobbies the targets are in")
    parser.add_argument("--interval", type=float, default=0.05, help="seconds between a lobby socket's messages")
    parser.add_argument(
        "--warmup", type=float, default=0.5, help="seconds of sending before the staff's call (plus 0-1 s at random)"
    )
    parser.add_argument("--seed", type=int, default=51, help="seeds the random share of the warm-up")
    parser.add_argument("--after", type=float, default=0.5, help="seconds of sending after the last first refusal")
    parser.add_argument("--poll", type=float, default=0.02, help="seconds between the old token's REST calls")
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between measurements")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds a sanction may take")
    parser.add_argument("--port", type=int, default=8970)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--secret-key", default="bench-secret-key-not-for-production-0123456789")
    parser.add_argument("--json", help="write the figures here")
    parser.add_argument("--plot", help="write a plot of the times here (needs matplotlib)")
    args = parser.parse_args()
    if args.quick:
        args.sockets, args.rounds = 200, 2
    args.rng = random.Random(args.seed)
    signal.signal(signal.SIGTERM, terminated)
    raise_open_files()

    from figures import server_environment
    from game_starts import MakefileServer

    env = server_environment(args)
    env.update(LOG_LEVEL="WARNING", DJANGO_SETTINGS_MODULE="bench.sanction_settings")
    if not prepare_platform(env):
        return 2
    run_dir = Path(tempfile.mkdtemp(prefix="sanctions-"))
    servers, crowd, world = [], None, None
    try:
        print(f"making {args.sockets} crowd users, {args.lobbies} lobbies, {2 * args.rounds} targets ...")
        drop_world([])
        world = make_world(args.sockets, args.lobbies, args.rounds)
        for k in range(2):
            server = MakefileServer("uvicorn", args.port + k, env, run_dir / f"server-{'AB'[k]}.log")
            server.nofile = 8192
            servers.append(server.start())
        bases = [s.base for s in servers]
        ws_bases = [b.replace("http", "ws", 1) for b in bases]
        specs = [
            (ws_bases[n % 2] + path, token, FIRST_FRAME["lobbies" if "/lobbies/" in path else "notifications"])
            for n, (path, token) in enumerate(world.crowd)
        ]
        crowd = Crowd(specs)
        began = time.monotonic()
        opened = crowd.open()
        print(f"crowd: {opened} of {len(specs)} sockets open in {time.monotonic() - began:.1f} s")
        time.sleep(2)  # the ramp's presence frames go by
        pids = [s.proc.pid for s in servers]
        cpu_before, own_before, rounds_began = [cpu_seconds([p]) for p in pids], own_cpu_seconds(), time.monotonic()
        rounds = run_async(run_rounds(bases, world, crowd, args, pids))
        cpu = {f"server {'AB'[k]}": round(cpu_seconds([p]) - cpu_before[k], 1) for k, p in enumerate(pids)}
        cpu["bench (targets, staff)"] = round(own_cpu_seconds() - own_before, 1)
        cpu["seconds"] = round(time.monotonic() - rounds_began, 1)
    finally:
        if crowd is not None:
            crowd.close()
        for server in servers:
            server.stop()
        retry(lambda: drop_world(world.lobby_ids if world else []))
    summary = summarise(rounds, world, args, cpu)
    print_summary(summary)
    failed = verdict(summary)
    for line in failed:
        print(f"  FAILED: {line}")
    if not failed:
        print(f"  every figure within the {GOAL_S:.0f} s goal; nothing delivered after a refusal")
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2))
    if args.plot:
        plot(summary, args.plot)
    print(f"server logs: {run_dir}")
    return 1 if failed else 0


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gameplatform.settings")
    sys.exit(main())

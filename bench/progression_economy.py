"""Progression under load: concurrent purchases (with and without Idempotency-Key), a stock race,
and a cooperative battle where every participant attacks over the socket.

Prints request rates and latencies, then checks the invariants: every balance equals the sum of
its ledger, nothing sold beyond stock, HP lost equals the damage the attack frames announced.

  export DATABASE_URL=postgres://postgres@127.0.0.1:5432/gp_issue6 REDIS_URL=redis://127.0.0.1:6379/6 SECRET_KEY=bench
  .venv/bin/python manage.py migrate
  .venv/bin/daphne --access-log /dev/null -b 127.0.0.1 -p 8600 gameplatform.asgi:application &
  .venv/bin/daphne --access-log /dev/null -b 127.0.0.1 -p 8601 gameplatform.asgi:application &
  .venv/bin/python bench/progression_economy.py --ports 8600,8601
"""

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gameplatform.settings")

import django  # noqa: E402

django.setup()

import logging  # noqa: E402

logging.getLogger("httpx").setLevel(logging.WARNING)

import httpx  # noqa: E402
import websockets  # noqa: E402
from asgiref.sync import sync_to_async  # noqa: E402
from rest_framework_simplejwt.tokens import AccessToken  # noqa: E402


def setup(users: int, stock: int) -> dict:
    from accounts.models import User
    from progression import services
    from progression.models import EnemyTemplate, ItemTemplate, ShopItem

    run = uuid.uuid4().hex[:6]
    people = [
        User.objects.create_user(username=f"bench_{run}_{n}", email=f"bench_{run}_{n}@example.com")
        for n in range(users)
    ]
    for user in people:
        services.player_grant(user=user, gold=10_000, reason="bench")
    cheap = ItemTemplate.objects.create(name=f"Bench Dagger {run}", slot="weapon", rarity="common", strength=1)
    rare = ItemTemplate.objects.create(name=f"Bench Relic {run}", slot="accessory", rarity="legendary")
    enemy = EnemyTemplate.objects.create(
        name=f"Bench Titan {run}", max_hp=10_000_000, stamina_cost=1, max_participants=users
    )
    battle = services.battle_create(enemy=enemy)
    for user in people:
        services.battle_join(user=user, battle_id=battle.pk)
    return {
        "users": people,
        "tokens": [str(AccessToken.for_user(u)) for u in people],
        "cheap": ShopItem.objects.create(item=cheap, price_gold=7).pk,
        "rare": ShopItem.objects.create(item=rare, price_gold=100, stock=stock).pk,
        "battle": battle.pk,
    }


def check_invariants(data: dict) -> dict:
    from progression.models import Battle, BattleParticipant, Player, Purchase, ShopItem
    from progression.selectors import ledger_totals

    mismatched = 0
    for user in data["users"]:
        player = Player.objects.get(pk=user.pk)
        totals = ledger_totals(user_id=user.pk)
        if (player.gold, player.gems, player.stamina) != (
            totals.get("gold", 0),
            totals.get("gems", 0),
            totals.get("stamina", 0),
        ):
            mismatched += 1
    battle = Battle.objects.get(pk=data["battle"])
    dealt = sum(BattleParticipant.objects.filter(battle=battle).values_list("damage_dealt", flat=True))
    return {
        "purchases_made": Purchase.objects.filter(shop_item_id=data["cheap"]).count(),
        "ledger_mismatches": mismatched,
        "rare_stock_left": ShopItem.objects.get(pk=data["rare"]).stock,
        "hp_lost": battle.max_hp - battle.hp,
        "damage_recorded": dealt,
    }


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1000


async def purchases(ports, tokens, shop_item_id, per_user, concurrency) -> dict:
    latencies, codes = [], {}
    limit = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=concurrency)) as client:

        async def buy(n: int, token: str, i: int):
            # Requests go in pairs with one Idempotency-Key, sent at once: each pair charges once.
            headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"k{i // 2}"}
            url = f"http://127.0.0.1:{ports[(n + i) % len(ports)]}/api/shop/purchase/"
            async with limit:
                start = time.perf_counter()
                response = await client.post(url, json={"shop_item_id": shop_item_id}, headers=headers)
                latencies.append(time.perf_counter() - start)
            codes[response.status_code] = codes.get(response.status_code, 0) + 1

        start = time.perf_counter()
        await asyncio.gather(*(buy(n, t, i) for n, t in enumerate(tokens) for i in range(per_user)))
        elapsed = time.perf_counter() - start
    return {
        "requests": len(latencies),
        "req_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(pct(latencies, 0.5), 1),
        "p95_ms": round(pct(latencies, 0.95), 1),
        "codes": codes,
    }


async def battle(ports, tokens, battle_id, seconds) -> dict:
    sockets = []
    for n, token in enumerate(tokens):
        url = f"ws://127.0.0.1:{ports[n % len(ports)]}/ws/battle/{battle_id}/?token={token}"
        ws = await websockets.connect(url, max_size=None)
        await ws.recv()  # connected
        sockets.append(ws)
    await asyncio.sleep(0.5)

    own_latency, received, announced = [], [0] * len(sockets), []
    stop_at = time.perf_counter() + seconds

    async def player(n: int, ws):
        sent_at = None
        while True:
            now = time.perf_counter()
            if sent_at is None and now < stop_at:
                sent_at = now
                await ws.send('{"type": "attack", "damage": 999999}')
            try:
                frame = json.loads(await asyncio.wait_for(ws.recv(), timeout=2.5))
            except TimeoutError:
                return
            if frame["type"] == "attack":
                received[n] += 1
                if n == 0:
                    announced.append(frame["damage"])
                if frame["user_id"] == user_ids[n] and sent_at is not None:
                    own_latency.append(time.perf_counter() - sent_at)
                    await asyncio.sleep(max(0.0, 1.05 - (time.perf_counter() - sent_at)))
                    sent_at = None
            elif frame["type"] == "error" and frame["code"] == "attack_cooldown":
                await asyncio.sleep(frame["retry_after"])
                sent_at = None

    user_ids = [AccessToken(t)["user_id"] for t in tokens]
    user_ids = [int(u) for u in user_ids]
    start = time.perf_counter()
    await asyncio.gather(*(player(n, ws) for n, ws in enumerate(sockets)))
    elapsed = time.perf_counter() - start
    for ws in sockets:
        await ws.close()
    total = len(announced)
    return {
        "sockets": len(sockets),
        "attacks": total,
        "attacks_per_s": round(total / max(elapsed - 2.5, 0.001), 1),
        "frames_delivered": sum(received),
        "frames_expected": total * len(sockets),
        "attack_to_own_frame_p50_ms": round(pct(own_latency, 0.5), 1),
        "attack_to_own_frame_p95_ms": round(pct(own_latency, 0.95), 1),
        "damage_announced": sum(announced),
    }


async def stock_race(ports, tokens, shop_item_id) -> dict:
    async with httpx.AsyncClient(timeout=30) as client:

        async def buy(n, token):
            url = f"http://127.0.0.1:{ports[n % len(ports)]}/api/shop/purchase/"
            response = await client.post(
                url, json={"shop_item_id": shop_item_id}, headers={"Authorization": f"Bearer {token}"}
            )
            return response.status_code

        codes = await asyncio.gather(*(buy(n, t) for n, t in enumerate(tokens)))
    return {"bought": codes.count(201), "out_of_stock": codes.count(400)}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ports", default="8600")
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--purchases", type=int, default=10, help="per user")
    parser.add_argument("--concurrency", type=int, default=40)
    parser.add_argument("--stock", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    ports = [int(p) for p in args.ports.split(",")]
    data = await sync_to_async(setup)(args.users, args.stock)
    print("purchases", await purchases(ports, data["tokens"], data["cheap"], args.purchases, args.concurrency))
    print("stock race", await stock_race(ports, data["tokens"], data["rare"]))
    result = await battle(ports, data["tokens"], data["battle"], args.seconds)
    print("battle", result)
    print("invariants", await sync_to_async(check_invariants)(data))


if __name__ == "__main__":
    asyncio.run(main())

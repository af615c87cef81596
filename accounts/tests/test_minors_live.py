"""Minors' chat rule holds on every process: two live servers on one PostgreSQL and one Redis.

A child declares their age on server B; their lobby messages on server A are refused
``chat_restricted`` within 2 s (each process reads the accounts it must refuse once a second). A
moderator records a parent's consent on B; the child speaks on A at once (A checks a refusal
against the database)."""

import asyncio
import time
import uuid
from datetime import date

import httpx
import pytest

from conftest import requires_postgres, requires_redis
from gameplatform.tests.live import Pair, bearer
from gameplatform.tests.test_faults import requires_redis_server

pytestmark = [pytest.mark.live, requires_postgres, requires_redis, requires_redis_server]

WITHIN = 2.0
_run = uuid.uuid4().hex[:6]


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    with Pair(tmp_path_factory.mktemp("b"), "minors") as pair:
        a = pair.second(tmp_path_factory.mktemp("a"))
        try:
            yield a, pair.survivor
        finally:
            a.stop()


async def call(server, method: str, path: str, access: str, **body) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.http, timeout=10) as http:
        return await http.request(method, path, json=body, headers=bearer(access))


async def test_a_child_s_age_on_one_process_closes_chat_on_the_other_and_a_consent_opens_it_at_once(servers):
    a, b = servers
    moderator = await asyncio.to_thread(b.moderator)
    owner = await asyncio.to_thread(a.register, f"owner_{_run}")
    child = await asyncio.to_thread(a.register, f"child_{_run}")
    code = (
        "from accounts.models import User; from chat.lobbies.services import lobby_create, lobby_join; "
        f"o = User.objects.get(pk={owner['id']}); o.is_premium = True; o.save(update_fields=['is_premium']); "
        f"lobby = lobby_create(owner=o, name='minors {_run}'); "
        f"lobby_join(lobby_id=lobby.pk, user=User.objects.get(pk={child['id']})); print(lobby.pk)"
    )
    lobby_id = int((await asyncio.to_thread(a.shell, code)).strip().splitlines()[-1])
    messages = f"/api/lobbies/{lobby_id}/messages/"
    assert (await call(a, "POST", messages, child["access"], content="before")).status_code == 201

    declared = await call(b, "PUT", "/api/me/age/", child["access"], birth_date=f"{date.today().year - 10}-01-01")
    assert declared.json()["age_band"] == "under_13"
    started = time.monotonic()
    while (said := await call(a, "POST", messages, child["access"], content="after")).status_code != 403:
        assert time.monotonic() - started < WITHIN, "the band did not hold on the other process"
        await asyncio.sleep(0.6)  # at most 3 lobby messages in 2 s: the chat's own rate limit
    assert said.json()["code"] == "chat_restricted"

    consent = await call(b, "POST", f"/api/moderation/users/{child['id']}/consent/", moderator["access"])
    assert consent.status_code == 200
    await asyncio.sleep(0.7)  # the lobby's rate limit, not the consent: A's copy still names the child
    spoken = await call(a, "POST", messages, child["access"], content="with consent")
    assert spoken.status_code == 201, spoken.text

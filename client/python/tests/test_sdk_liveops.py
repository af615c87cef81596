"""Live operations from the SDK: the ETag'd answer and flags with defaults, analytics events
batched, retried with their ids and bounded (offline, on httpx's mock transport); live, a
liveops staff user changes a flag a player reads, ``on_change`` fires after the push, and an
event whose answer was lost counts once."""

import asyncio
import json

import httpx
import pytest
from gameplatform_client import Conflict, ConnectionFailed, GameClient, Gone, Unavailable

from .conftest import new_name

ANSWER = {"flags": {"speed": 2}, "experiments": {"exp": 1}, "live_events": [], "messages_unread": 3}


def offline_client(answer) -> tuple[GameClient, list[httpx.Request]]:
    requests: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return answer(request)

    http = httpx.AsyncClient(base_url="http://game.test", transport=httpx.MockTransport(handle))
    return GameClient("http://game.test", http=http).use_tokens("a.b.c"), requests


async def test_refresh_sends_the_etag_back_and_a_304_keeps_the_answer():
    def answer(request):
        if request.headers.get("If-None-Match") == '"v1"':
            return httpx.Response(304, headers={"ETag": '"v1"'})
        return httpx.Response(200, json=ANSWER, headers={"ETag": '"v1"'})

    client, requests = offline_client(answer)
    liveops = client.liveops
    assert liveops.flag("speed", 1) == 1
    await liveops.refresh()
    assert await liveops.refresh() == ANSWER
    assert (liveops.flag("speed", 1), liveops.flag("other", "x"), liveops.experiments, liveops.messages_unread) == (
        2,
        "x",
        {"exp": 1},
        3,
    )
    assert [r.headers.get("If-None-Match") for r in requests] == [None, '"v1"']
    await liveops.set_attributes(country="FR", app_version="1.2.0")
    assert json.loads(requests[-1].content) == {"country": "FR", "app_version": "1.2.0"}
    await client.disconnect()


async def test_claim_posts_to_the_message_and_says_already_claimed_and_expired_as_errors():
    granted = {"grants": {"gold": 100, "gems": 0, "items": []}, "gold": 350, "gems": 10}
    answers = iter(
        [
            httpx.Response(200, json=granted),
            httpx.Response(409, json={"detail": "Claimed.", "code": "already_claimed"}),
            httpx.Response(410, json={"detail": "Expired.", "code": "expired"}),
        ]
    )
    client, requests = offline_client(lambda request: next(answers))
    assert await client.liveops.claim(7) == granted
    with pytest.raises(Conflict) as claimed:
        await client.liveops.claim(7)
    with pytest.raises(Gone) as expired:
        await client.liveops.claim(8)
    assert (claimed.value.code, expired.value.code) == ("already_claimed", "expired")
    assert [(r.method, r.url.path) for r in requests] == [("POST", "/api/liveops/messages/7/claim/")] * 2 + [
        ("POST", "/api/liveops/messages/8/claim/")
    ]
    await client.disconnect()


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
async def test_track_refuses_a_value_the_server_would_refuse_before_it_spoils_a_batch(value):
    client, requests = offline_client(lambda request: httpx.Response(202, json={"accepted": 1, "duplicates": 0}))
    with pytest.raises(ValueError, match="finite number"):
        client.liveops.track("tap", value=value)
    assert client.liveops.queued_events == 0 and requests == []
    await client.disconnect()


async def test_track_batches_by_100_retries_with_the_same_ids_and_drops_the_oldest():
    failures = iter([True])

    def answer(request):
        if next(failures, False):
            return httpx.Response(503, json={"detail": "Down.", "code": "unavailable"})
        return httpx.Response(202, json={"accepted": 1, "duplicates": 0})

    client, requests = offline_client(answer)
    client.liveops.max_queued = 150
    for i in range(160):
        client.liveops.track("tap", value=i, metadata={"i": i})
    assert (client.liveops.queued_events, client.liveops.dropped_events) == (150, 10)
    with pytest.raises(Unavailable):
        await client.liveops.flush_events()
    assert client.liveops.queued_events == 150
    await client.liveops.flush_events()
    batches = [json.loads(r.content)["events"] for r in requests]
    assert [len(b) for b in batches] == [100, 100, 50]
    assert [e["id"] for e in batches[0]] == [e["id"] for e in batches[1]]
    assert (batches[0][0]["name"], batches[0][0]["value"], batches[0][0]["metadata"]) == ("tap", 10, {"i": 10})
    assert len({e["id"] for b in batches for e in b}) == 150
    await client.disconnect()


async def test_a_flag_staff_change_reaches_on_change_and_a_resent_event_counts_once(server, make_client):
    staff_user = server.liveops_staff()
    name = new_name("flag")
    async with GameClient(server.http) as staff:
        await staff.login(staff_user["username"], staff_user["password"])
        await staff.post("/api/liveops/admin/flags/", {"name": name, "defaultValue": "blue"})

        player = await make_client("lo")
        await player.liveops.refresh()
        assert player.liveops.flag(name, "none") == "blue"
        changed = asyncio.get_running_loop().create_future()
        await player.liveops.on_change(lambda answer: changed.done() or changed.set_result(answer))
        await staff.request("PUT", f"/api/liveops/admin/flags/{name}/", json={"name": name, "defaultValue": "red"})
        answer = await asyncio.wait_for(changed, 10)
        assert answer["flags"][name] == "red" and player.liveops.flag(name) == "red"

    answers = []
    lost = [True]  # the first batch reaches the server, but its answer is lost on the way back

    async def losing(response: httpx.Response) -> None:
        if response.request.url.path == "/api/liveops/events/":
            await response.aread()
            answers.append(response.json())
            if lost.pop() if lost else False:
                raise httpx.ReadError("connection reset", request=response.request)

    player._http.event_hooks["response"].append(losing)
    player.liveops.track("level_up", value=3)
    with pytest.raises(ConnectionFailed):
        await player.liveops.flush_events()
    assert player.liveops.queued_events == 1
    await player.liveops.flush_events()
    assert player.liveops.queued_events == 0
    assert answers == [{"accepted": 1, "duplicates": 0}, {"accepted": 0, "duplicates": 1}]

"""Webhooks survive a server restart: a live server sends a sanction's webhook, the receiver
answers 500, the server is killed (SIGKILL, nothing shut down) before it retries; a fresh server on
the same database sends the same event again, signed, once the receiver answers 200."""

import json

import httpx
import pytest

from conftest import requires_postgres
from gameplatform.tests.live import LiveServer, bearer
from webhooks.tests.conftest import SECRET
from webhooks.tests.receiver import Receiver
from webhooks.tests.test_webhooks import docs_verify

pytestmark = [pytest.mark.live, requires_postgres]


def wait_for(receiver: Receiver, count: int, seconds: float = 40) -> None:
    assert receiver.wait_for(count, seconds), f"{len(receiver.received)} requests, waited for {count}"


def test_a_webhook_answered_500_is_sent_again_by_a_fresh_server_after_a_kill(tmp_path):
    with Receiver() as receiver:
        receiver.script.extend([500])
        env = {"WEBHOOKS": json.dumps([{"url": receiver.url, "secret": SECRET, "events": ["sanction.imposed"]}])}
        first = LiveServer(tmp_path / "a", env=env)
        (tmp_path / "a").mkdir()
        second = None
        try:
            first.start()
            moderator = first.moderator()
            player = first.register("hooked_player")
            access = first.login(moderator["username"], moderator["password"])["access"]
            answer = httpx.post(
                f"{first.http}/api/moderation/sanctions/",
                json={"user_id": player["id"], "action": "warn", "statement": "be nice"},
                headers=bearer(access),
                timeout=10,
            )
            assert answer.status_code in (200, 201), answer.text
            wait_for(receiver, 1)  # the first attempt: answered 500
            first.kill()
            (tmp_path / "b").mkdir()
            second = LiveServer(tmp_path / "b", database_url=first.env["DATABASE_URL"], prepare=False, env=env)
            second.start()
            wait_for(receiver, 2)  # retried by the fresh process after the backoff
            (_, failed), (headers, body) = receiver.received[:2]
            assert failed == body
            sent = json.loads(body)
            assert sent["type"] == "sanction.imposed"
            assert sent["data"]["sanction"]["user_id"] == player["id"]
            assert docs_verify()(SECRET, headers["gameplatform-signature"], body)
        finally:
            if second is not None:
                second.stop()
            first.stop()

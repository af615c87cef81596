"""The SDK's pieces without a server: error mapping, backoff, frames, token timing."""

import ast
import base64
import json
import pathlib
import random

import gameplatform_client
import httpx
import pytest
from gameplatform_client import (
    BadRequest,
    Conflict,
    Frame,
    GameClient,
    MessageType,
    NotFound,
    PatchError,
    RateLimited,
    ReconnectPolicy,
    Unavailable,
    ValidationError,
    VersionConflict,
    apply_patch,
)
from gameplatform_client.errors import error_from_frame, error_from_response


def test_rest_errors_become_the_exception_of_their_status_and_code():
    limited = error_from_response(429, {"detail": "Slow down.", "code": "rate_limited", "retry_after": 1.5}, {})
    assert isinstance(limited, RateLimited) and (limited.status, limited.code, limited.retry_after) == (
        429,
        "rate_limited",
        1.5,
    )
    busy = error_from_response(503, {"detail": "Busy.", "code": "overloaded"}, httpx.Headers({"Retry-After": "2"}))
    assert isinstance(busy, Unavailable) and busy.retry_after == 2.0
    assert isinstance(error_from_response(409, {"detail": "Full.", "code": "lobby_full"}, {}), Conflict)
    stale = error_from_response(412, {"detail": "Changed.", "code": "version_conflict"}, {})
    assert isinstance(stale, VersionConflict) and stale.code == "version_conflict"
    assert isinstance(error_from_response(404, {"detail": "No.", "code": "lobby_not_found"}, {}), NotFound)
    fields = error_from_response(400, {"username": ["Taken."]}, {})
    assert isinstance(fields, ValidationError) and fields.fields == {"username": ["Taken."]}
    assert isinstance(error_from_response(400, {"detail": "x", "code": "invalid"}, {}), ValidationError)
    assert error_from_response(502, "<html>bad gateway</html>", {}).status == 502


def test_socket_error_frames_map_by_code():
    assert isinstance(error_from_frame({"type": "error", "code": "rate_limited", "retry_after": 0.4}), RateLimited)
    assert isinstance(error_from_frame({"type": "error", "code": "invalid", "fields": {"m": ["x"]}}), ValidationError)
    assert isinstance(error_from_frame({"type": "error", "code": "character_not_found"}), NotFound)
    illegal = error_from_frame({"type": "error", "code": "illegal_move", "message": "Taken."})
    assert isinstance(illegal, BadRequest) and (illegal.status, illegal.detail) == (None, "Taken.")


def test_backoff_grows_exponentially_with_bounded_jitter():
    policy = ReconnectPolicy(initial=0.5, factor=2, max_delay=4, jitter=0.5)
    for attempt, base in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (10, 4.0)]:
        delays = [policy.delay(attempt) for _ in range(200)]
        assert base * 0.5 <= min(delays) and max(delays) <= base
        assert max(delays) - min(delays) > 0  # jittered


def test_frames_read_as_dicts_and_attributes():
    frame = Frame({"type": "chat", "channel": "global", "message": "hi"}, "world")
    assert frame.type == MessageType.CHAT and frame.message == frame["message"] == "hi"
    assert (frame.source, frame.replayed, dict(frame)["channel"]) == ("world", False, "global")


def token(**claims) -> str:
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"e30.{body}.sig"


async def test_access_token_refresh_is_due_near_exp():
    client = GameClient("http://127.0.0.1:1", clock=lambda: 1000.0, refresh_margin=60)
    client.use_tokens(token(user_id="7", iat=0, exp=1800), "refresh")
    assert client.user_id == 7 and client.access_expires_at == 1800.0 and not client._needs_refresh()
    client.clock = lambda: 1750.0
    assert client._needs_refresh()  # 50 s left < 60 s margin
    client.use_tokens(token(user_id="7", iat=1000, exp=1120), "refresh")  # a 2-minute token
    client.clock = lambda: 1080.0
    assert not client._needs_refresh()  # the margin is at most a quarter of the lifetime (30 s)
    client.clock = lambda: 1095.0
    assert client._needs_refresh()
    await client.disconnect()


def test_json_patch_applies_every_rfc_6902_operation():
    doc = {"a": {"b": [1, 2, 3]}, "c": "x"}
    ops = [
        {"op": "add", "path": "/a/b/1", "value": 9},
        {"op": "add", "path": "/a/b/-", "value": 4},
        {"op": "remove", "path": "/a/b/0"},
        {"op": "replace", "path": "/c", "value": {"d": True}},
        {"op": "copy", "from": "/c", "path": "/e"},
        {"op": "move", "from": "/e/d", "path": "/f"},
        {"op": "test", "path": "/a/b", "value": [9, 2, 3, 4]},
        {"op": "add", "path": "/g~1h~0", "value": None},
    ]
    assert apply_patch(doc, ops) == {"a": {"b": [9, 2, 3, 4]}, "c": {"d": True}, "e": {}, "f": True, "g/h~": None}
    assert doc == {"a": {"b": [1, 2, 3]}, "c": "x"}  # the original is left alone
    assert apply_patch(doc, [{"op": "replace", "path": "", "value": [1]}]) == [1]


def test_json_patch_that_does_not_apply_raises_patch_error():
    for ops in (
        [{"op": "replace", "path": "/missing", "value": 1}],
        [{"op": "remove", "path": "/a/5"}],
        [{"op": "add", "path": "/a/01", "value": 1}],
        [{"op": "test", "path": "/a/0", "value": True}],  # 1 is not true in JSON
        [{"op": "move", "from": "/a", "path": "/a/0"}],
        [{"op": "frobnicate", "path": "/a"}],
        [{"op": "add", "path": "a", "value": 1}],
    ):
        with pytest.raises(PatchError):
            apply_patch({"a": [1]}, ops)


def test_json_patch_applies_what_the_servers_diff_makes():
    from gameplatform.modes.patch import diff  # the server's side, in the test only

    rng = random.Random(23)

    def value(depth: int = 0):
        kind = rng.randrange(7 if depth < 3 else 4)
        if kind == 0:
            return rng.randrange(5)
        if kind == 1:
            return rng.choice([True, False, None])
        if kind == 2:
            return rng.choice(["a", "b/c", "~d"])
        if kind == 3:
            return rng.random()
        if kind in (4, 5):
            return {rng.choice("abcde/~"): value(depth + 1) for _ in range(rng.randrange(4))}
        return [value(depth + 1) for _ in range(rng.randrange(4))]

    doc = value()
    for _ in range(500):
        new = value()
        assert apply_patch(doc, diff(doc, new)) == new
        doc = new


def test_the_sdk_does_not_import_the_server():
    package = pathlib.Path(gameplatform_client.__file__).parent
    for source in package.glob("*.py"):
        tree = ast.parse(source.read_text())
        imported = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        imported += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and not n.level]
        assert not [m for m in imported if m.split(".")[0] in ("gameplatform", "game", "django")], source.name

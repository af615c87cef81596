"""The SDK's pieces without a server: error mapping, backoff, frames, token timing."""

import base64
import json

import httpx
from gameplatform_client import (
    BadRequest,
    Conflict,
    Frame,
    GameClient,
    MessageType,
    NotFound,
    RateLimited,
    ReconnectPolicy,
    Unavailable,
    ValidationError,
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

"""The middleware and the base consumer, through the real ASGI application."""

import asyncio
import gc
import json
import logging
import time

import pytest
from asgiref.sync import sync_to_async
from autobahn.exception import Disconnected
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.test import override_settings
from rest_framework_simplejwt.tokens import AccessToken
from uvicorn.protocols.utils import ClientDisconnected

from conftest import access_token_for
from gameplatform.broadcast.hub import get_hub
from gameplatform.broadcast.realtime import agroup_send
from gameplatform.sockets import presence
from gameplatform.sockets.consumers import EXPIRIES
from gameplatform.sockets.wsauth import JWTAuthMiddleware, OriginCheck
from gameplatform.tests.consumers import EchoConsumer, test_urlpatterns

pytestmark = pytest.mark.django_db(transaction=True)

application = OriginCheck(JWTAuthMiddleware(URLRouter(test_urlpatterns)))


async def open_echo(*, headers=(), query="", origin="http://localhost"):
    all_headers = list(headers)
    if origin:
        all_headers.append((b"origin", origin.encode()))
    path = "/ws/test/echo/" + (f"?{query}" if query else "")
    communicator = WebsocketCommunicator(application, path, headers=all_headers)
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


def bearer(user) -> tuple[bytes, bytes]:
    return (b"authorization", f"Bearer {access_token_for(user)}".encode())


async def closed_with(communicator) -> int:
    message = await communicator.receive_output(timeout=3)
    assert message["type"] == "websocket.close", message
    return message.get("code")


async def test_bearer_header_authenticates(alice):
    ws, connected, _ = await open_echo(headers=[bearer(alice)])
    assert connected
    await ws.send_json_to({"type": "ping"})
    assert await ws.receive_json_from() == {"type": "pong"}
    await ws.disconnect()


async def test_a_closed_socket_is_freed_when_it_ends_not_left_for_the_collector(alice):
    """A server holds thousands of sockets: one that kept itself alive through a reference
    cycle would wait, with everything it holds, for the collector's full pass (which pauses
    every socket of the process for a third of a second under 1,000 games)."""
    # A first socket makes the process's Redis connections: redis-py's connect can leave a
    # cycle of its own (an error kept with its traceback), which holds whatever called it.
    ws, connected, _ = await open_echo(headers=[bearer(alice)])
    assert connected
    await ws.disconnect()
    gc.collect()
    gc.disable()
    try:
        ws, connected, _ = await open_echo(headers=[bearer(alice)])
        assert connected
        consumer = EchoConsumer.opened[-1]
        await ws.send_json_to({"type": "echo", "text": "hi"})
        assert await ws.receive_json_from() == {"type": "echo", "text": "hi"}
        assert consumer() is not None
        await ws.disconnect()
        del ws
        assert consumer() is None
    finally:
        gc.enable()


async def test_query_token_authenticates(alice):
    ws, connected, _ = await open_echo(query=f"token={access_token_for(alice)}")
    assert connected
    await ws.send_json_to({"type": "echo", "text": "hi"})
    assert await ws.receive_json_from() == {"type": "echo", "text": "hi"}
    await ws.disconnect()


async def test_ticket_works_once_and_reuse_is_refused(client_for, alice):
    from asgiref.sync import sync_to_async

    response = await sync_to_async(lambda: client_for(alice).post("/api/auth/ws-ticket/"))()
    ticket = response.json()["ticket"]
    first, connected, _ = await open_echo(query=f"ticket={ticket}")
    assert connected
    await first.send_json_to({"type": "ping"})
    assert (await first.receive_json_from())["type"] == "pong"
    second, connected, _ = await open_echo(query=f"ticket={ticket}")
    assert connected  # accepted, then closed, so a browser can read the code
    assert await closed_with(second) == 4401
    await first.disconnect()


async def test_missing_credentials_close_4401():
    ws, connected, _ = await open_echo()
    assert connected
    assert await closed_with(ws) == 4401


async def test_garbage_token_closes_4401():
    ws, _, _ = await open_echo(query="token=not.a.jwt")
    assert await closed_with(ws) == 4401


async def test_a_deactivated_users_token_closes_4401(alice):
    from asgiref.sync import sync_to_async

    from accounts.models import User

    token = access_token_for(alice)
    await sync_to_async(lambda: User.objects.filter(pk=alice.pk).update(is_active=False))()
    ws, connected, _ = await open_echo(query=f"token={token}")
    assert connected  # accepted, then closed, so a browser can read the code
    assert await closed_with(ws) == 4401


async def test_expired_token_closes_4401(alice):
    token = AccessToken.for_user(alice)
    token.set_exp(lifetime=-__import__("datetime").timedelta(seconds=5))
    ws, _, _ = await open_echo(query=f"token={token}")
    assert await closed_with(ws) == 4401


async def test_socket_closes_4401_when_its_token_expires(alice):
    token = AccessToken.for_user(alice)
    token.payload["exp"] = int(time.time()) + 2
    ws, connected, _ = await open_echo(query=f"token={token}")
    assert connected
    frame = await ws.receive_json_from(timeout=4)
    assert frame["code"] == "token_expired"
    assert await closed_with(ws) == 4401


async def test_a_closed_socket_leaves_no_token_expiry_behind(alice):
    expiries = EXPIRIES()
    token = AccessToken.for_user(alice)
    ws, connected, _ = await open_echo(query=f"token={token}")
    assert connected
    assert len(expiries) == 1
    await ws.disconnect()
    assert len(expiries) == 0 and expiries.timer is None


async def test_foreign_origin_is_refused(alice):
    ws, connected, code = await open_echo(headers=[bearer(alice)], origin="http://evil.example")
    assert not connected


async def test_on_connect_refusal_closes_with_its_code(make_user):
    from asgiref.sync import sync_to_async

    mallory = await sync_to_async(make_user)("mallory")
    ws, connected, _ = await open_echo(headers=[bearer(mallory)])
    assert connected
    assert await closed_with(ws) == 4403


@pytest.mark.parametrize(
    "raw, code",
    [
        ("{not json", "bad_json"),
        ("[1, 2]", "bad_json"),
        ('{"no_type": 1}', "invalid"),
        ('{"type": "teleport"}', "unknown_type"),
        ('{"type": "echo", "text": ""}', "invalid"),
        ('{"type": "echo", "text": "' + "x" * 30 + '"}', "invalid"),
        ('{"type": "explode"}', "server_error"),
    ],
)
async def test_bad_frames_get_error_frames_and_socket_stays_open(alice, raw, code):
    ws, _, _ = await open_echo(headers=[bearer(alice)])
    await ws.send_to(text_data=raw)
    error = await ws.receive_json_from()
    assert error["type"] == "error" and error["code"] == code
    await ws.send_json_to({"type": "ping"})
    assert (await ws.receive_json_from())["type"] == "pong"
    await ws.disconnect()


async def test_invalid_frame_lists_field_errors_and_echoes_ref(alice):
    ws, _, _ = await open_echo(headers=[bearer(alice)])
    await ws.send_json_to({"type": "echo", "ref": "r-7"})
    error = await ws.receive_json_from()
    assert error["code"] == "invalid"
    assert "text" in error["fields"]
    assert error["ref"] == "r-7"
    await ws.disconnect()


async def test_binary_frame_is_answered_bad_json(alice):
    ws, _, _ = await open_echo(headers=[bearer(alice)])
    await ws.send_to(bytes_data=b"\x00\x01")
    assert (await ws.receive_json_from())["code"] == "bad_json"
    await ws.disconnect()


@override_settings(WS_MAX_FRAME_BYTES=1024)
async def test_oversized_frame_says_frame_too_large_then_closes_1009(alice):
    ws, _, _ = await open_echo(headers=[bearer(alice)])
    await ws.send_to(text_data=json.dumps({"type": "echo", "text": "x" * 2000}))
    error = await ws.receive_json_from()  # the frame is not read: no ``ref`` to echo
    assert (error["type"], error["code"]) == ("error", "frame_too_large")
    assert "1024" in error["message"]
    assert await closed_with(ws) == 1009


# --- WS_PRIVATE_CLOSE_CODES (daphne: autobahn refuses to send 1001-2999) -----------------------


@override_settings(WS_PRIVATE_CLOSE_CODES=True, WS_MAX_FRAME_BYTES=1024)
async def test_with_private_close_codes_an_oversized_frame_closes_4009_after_saying_why(alice):
    ws, _, _ = await open_echo(headers=[bearer(alice)])
    await ws.send_to(text_data=json.dumps({"type": "echo", "text": "x" * 2000}))
    assert (await ws.receive_json_from())["code"] == "frame_too_large"
    assert await closed_with(ws) == 4009


@override_settings(WS_PRIVATE_CLOSE_CODES=True, WS_FLOOD_FRAMES=5, WS_FLOOD_WINDOW_SECONDS=600.0)
async def test_with_private_close_codes_a_flood_closes_4008_after_saying_why(alice):
    ws, _, _ = await open_echo(headers=[bearer(alice)])
    for _ in range(6):
        await ws.send_json_to({"type": "ping"})
    frames = [await ws.receive_json_from() for _ in range(6)]
    assert [f["type"] for f in frames] == ["pong"] * 5 + ["error"] and frames[-1]["code"] == "flooding"
    assert await closed_with(ws) == 4008


@override_settings(WS_PRIVATE_CLOSE_CODES=True)
async def test_with_private_close_codes_the_contracts_own_4xxx_codes_are_unchanged(alice):
    ws, _, _ = await open_echo(headers=[bearer(alice)])
    await ws.send_json_to({"type": "replace_me"})
    assert (await ws.receive_json_from())["code"] == "replaced"
    assert await closed_with(ws) == 4409
    anonymous, _, _ = await open_echo()
    assert await closed_with(anonymous) == 4401


async def test_group_frame_reaches_every_socket_and_skip_user_is_honoured(alice, bob):
    a, _, _ = await open_echo(headers=[bearer(alice)])
    b, _, _ = await open_echo(headers=[bearer(bob)])
    await agroup_send("game_1", {"type": "hello", "n": 1})
    assert await a.receive_json_from() == {"type": "hello", "n": 1}
    assert await b.receive_json_from() == {"type": "hello", "n": 1}
    await agroup_send("game_1", {"type": "typing"}, skip_user=alice.pk)
    assert (await b.receive_json_from())["type"] == "typing"
    assert await a.receive_nothing(timeout=0.3)
    await a.disconnect()
    await b.disconnect()


async def test_unknown_socket_route_closes_4404(ws_connect, alice):
    ws, connected, _ = await ws_connect("/ws/nowhere/", alice)
    assert connected
    assert await closed_with(ws) == 4404


async def test_notification_socket_receives_user_events(ws_connect, alice):
    from gameplatform.broadcast.realtime import asend_to_user

    ws, connected, _ = await ws_connect("/ws/notifications/", alice)
    assert connected
    await asyncio.sleep(0)
    assert (await ws.receive_json_from())["type"] == "badge"  # sent on connect
    await asend_to_user(alice.pk, {"type": "match_found", "game_id": 9})
    assert await ws.receive_json_from() == {"type": "match_found", "game_id": 9}
    await ws.disconnect()


async def test_query_token_never_reaches_a_log_line(caplog, ws_connect, alice):
    import logging

    caplog.set_level(logging.DEBUG)
    token = access_token_for(alice)
    ws, connected, _ = await ws_connect("/ws/notifications/", None, query=f"token={token}")
    assert connected
    await ws.disconnect()
    bad, _, _ = await ws_connect("/ws/notifications/", None, query="token=secret-garbage-token")
    await bad.receive_output(timeout=3)
    logged = "\n".join(f"{r.getMessage()} {vars(r)}" for r in caplog.records)
    assert "socket open" in logged
    assert token not in logged and "secret-garbage-token" not in logged


async def test_ending_a_socket_says_why_once_then_closes_with_the_first_code(alice):
    ws, _, _ = await open_echo(headers=[bearer(alice)])
    await ws.send_json_to({"type": "replace_me"})
    error = await ws.receive_json_from()
    assert (error["type"], error["code"]) == ("error", "replaced")
    assert await closed_with(ws) == 4409
    assert await ws.receive_nothing(timeout=0.2)


@pytest.mark.parametrize(
    "gone",
    [Disconnected("Attempt to send on a closed protocol"), ClientDisconnected()],
    ids=["daphne's Disconnected", "uvicorn's ClientDisconnected"],
)
async def test_a_client_gone_as_its_socket_is_accepted_leaves_no_group_presence_or_error_behind(alice, gone, caplog):
    # The friends socket sends its first frame (the friends' presence) as it is accepted; the
    # client has just closed, and the server's send raises. The server sends no disconnect then.
    from gameplatform.asgi import application as platform

    async def client_left_before_the_first_frame(scope, receive, send):
        async def send_until_gone(message):
            if message["type"] == "websocket.send":
                raise gone
            await send(message)

        await platform(scope, receive, send_until_gone)

    headers = [(b"origin", b"http://localhost"), bearer(alice)]
    communicator = WebsocketCommunicator(client_left_before_the_first_frame, "/ws/friends/status/", headers=headers)
    with caplog.at_level(logging.INFO):
        connected, _ = await communicator.connect(timeout=5)
        assert connected
        await communicator.wait(timeout=5)  # the socket's task ends, raising nothing
    assert await sync_to_async(presence.online_ids)([alice.pk]) == set()  # it kept the user online
    assert not any(member.user_id == alice.pk for members in get_hub().members.values() for member in members)
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []

"""Outages: Redis or the database gone answers 503 ``unavailable`` (sockets: ``error``
unavailable, close 1013), and everything works again once it is back, without a restart.

The Redis tests start a redis-server of their own on a free port (never the shared
one), point the app at it, kill it and start it again on the same port.
"""

import asyncio
import json
import shutil
import socket
import subprocess
import time

import pytest
import redis
from channels.testing import HttpCommunicator
from django.db import OperationalError

from chat.lobbies.factories import make_lobby
from conftest import receive_type, requires_binaries
from gameplatform.core.errors import Unavailable, exception_handler, is_outage
from gameplatform.data import ratelimit
from gameplatform.data.redis import reset_redis
from gameplatform.sockets import presence

requires_redis_server = requires_binaries(None if shutil.which("redis-server") else "needs redis-server on PATH")

LOGIN = "/api/auth/login/"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OwnRedis:
    """A throwaway redis-server on a port of its own: stopped and started again by the test."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
            finally:
                client.connection_pool.disconnect()

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None


def reset_redis_clients() -> None:
    """Forget every Redis client the process keeps, so the next use builds one from settings."""
    reset_redis()
    presence._redis_store = None
    ratelimit._redis_window = None


@pytest.fixture
def own_redis(settings):
    server = OwnRedis(free_port())
    server.start()
    settings.REDIS_URL = server.url
    # The shapes of gameplatform/settings.py, on this server.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": server.url,
            "KEY_PREFIX": "gp",
            "OPTIONS": {
                "pool_class": "redis.BlockingConnectionPool",
                "max_connections": settings.REDIS_MAX_CONNECTIONS,
                "timeout": 5,
                "socket_connect_timeout": settings.REDIS_CONNECT_TIMEOUT,
                "socket_timeout": settings.REDIS_SOCKET_TIMEOUT,
                "retry": settings.REDIS_RETRY,
            },
        }
    }
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": server.url,
                        "socket_connect_timeout": settings.REDIS_CONNECT_TIMEOUT,
                        "socket_timeout": settings.REDIS_SOCKET_TIMEOUT,
                        "retry": settings.REDIS_ASYNC_RETRY,
                        "health_check_interval": 10,
                    }
                ],
                "prefix": "gpfault:",
            },
        }
    }
    reset_redis_clients()
    presence._local_store.clear()
    yield server
    server.stop()
    reset_redis_clients()


def assert_unavailable(response) -> None:
    assert response.status_code == 503, (response.status_code, response.content[:300])
    body = response.json()
    assert body["code"] == "unavailable" and body["detail"]
    assert int(response["Retry-After"]) >= 1


# --- Redis -------------------------------------------------------------------------


@requires_redis_server
@pytest.mark.django_db
def test_rest_answers_503_unavailable_while_redis_is_down_and_recovers(
    own_redis, api_client, client_for, alice, premium_owner
):
    login = {"username": "alice", "password": "pass-w0rd-long"}
    lobby = make_lobby(owner=premium_owner, members=[alice], name="fault room", max_participants=4)
    assert api_client.post(LOGIN, login).status_code == 200
    assert api_client.get("/api/status/").status_code == 200

    own_redis.stop()
    started = time.monotonic()
    status = api_client.get("/api/status/")
    assert status.status_code == 503
    body = status.json()
    assert body["status"] == "degraded" and body["redis"] == "error" and body["channel_layer"] == "error"
    assert body["database"] == "ok" and body["online_users"] is None
    assert_unavailable(api_client.post(LOGIN, login))
    assert_unavailable(client_for(alice).post("/api/auth/ws-ticket/"))
    assert_unavailable(client_for(alice).post(f"/api/lobbies/{lobby.pk}/messages/", {"content": "hi"}))
    assert time.monotonic() - started < 30  # short client timeouts: nothing hangs

    own_redis.start()  # same port, empty
    assert api_client.post(LOGIN, login).status_code == 200
    assert client_for(alice).post("/api/auth/ws-ticket/").status_code in (200, 201)
    assert client_for(alice).post(f"/api/lobbies/{lobby.pk}/messages/", {"content": "hi"}).status_code == 201
    status = api_client.get("/api/status/")
    assert status.status_code == 200 and status.json()["redis"] == "ok"


async def http_get(path: str) -> tuple[int, dict, bytes]:
    from gameplatform.asgi import application

    response = await HttpCommunicator(application, "GET", path).get_response(timeout=30)
    return response["status"], dict(response["headers"]), response["body"]


@requires_redis_server
@pytest.mark.django_db(transaction=True)
async def test_sockets_get_unavailable_while_redis_is_down_and_recover(
    own_redis, ws_connect, alice, bob, befriend, premium_owner
):
    from asgiref.sync import sync_to_async

    await sync_to_async(befriend)(alice, bob)
    lobby = await sync_to_async(make_lobby)(owner=premium_owner, members=[alice], name="fault room", max_participants=4)

    # Open before the outage: stays open through it.
    open_socket, connected, _ = await ws_connect(f"/ws/lobbies/{lobby.pk}/", alice)
    assert connected
    await receive_type(open_socket, "lobby_state")

    own_redis.stop()
    # A new handshake: accepted, then ``error`` unavailable and close 1013 (never an HTTP 500).
    refused, connected, _ = await ws_connect("/ws/friends/status/", bob)
    assert connected
    frame = await refused.receive_json_from(timeout=15)
    assert frame["type"] == "error" and frame["code"] == "unavailable"
    closed = await refused.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": 1013}

    # A frame that needs Redis on the open socket: ``error`` unavailable, the socket stays open.
    await open_socket.send_json_to({"type": "chat_message", "message": "during", "ref": 7})
    frame = await receive_type(open_socket, "error", timeout=15)
    assert frame["code"] == "unavailable" and frame["ref"] == 7
    await open_socket.send_json_to({"type": "ping"})
    assert (await receive_type(open_socket, "pong"))["type"] == "pong"

    # REST through the real ASGI bridge: the JSON 503 too.
    status, headers, body = await http_get("/api/status/")
    assert status == 503 and json.loads(body)["redis"] == "error"

    own_redis.start()
    # Every handshake works again, without a restart (the hub and the pools recover).
    for _ in range(5):
        socket_again, connected, _ = await ws_connect("/ws/friends/status/", bob)
        assert connected
        assert (await receive_type(socket_again, "presence_snapshot", timeout=10))["type"] == "presence_snapshot"
        await socket_again.disconnect()
    status, _, body = await http_get("/api/status/")
    assert status == 200, body
    # Broadcasts reach the socket opened before the outage again.
    await open_socket.send_json_to({"type": "chat_message", "message": "after", "ref": 8})
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        frame = await open_socket.receive_json_from(timeout=10)
        assert frame.get("code") != "unavailable", frame
        if frame.get("type") == "chat_message":
            assert frame["message"]["content"] == "after"
            break
        assert asyncio.get_running_loop().time() < deadline
    await open_socket.disconnect()


# --- database ------------------------------------------------------------------------


@pytest.fixture
def database(monkeypatch):
    """``database.down = True``: every new cursor fails as psycopg does when PostgreSQL is gone.

    (Opening a cursor is where Django connects, and where the pool's ``couldn't get a
    connection`` timeout surfaces, both as ``django.db.OperationalError``.)
    """
    from django.db.backends.base.base import BaseDatabaseWrapper

    class Switch:
        down = False

    original = BaseDatabaseWrapper.ensure_connection

    def ensure_connection(self):
        if Switch.down:
            raise OperationalError('connection failed: connection to server at "127.0.0.1", port 1 failed')
        return original(self)

    monkeypatch.setattr(BaseDatabaseWrapper, "ensure_connection", ensure_connection)
    yield Switch
    Switch.down = False


@pytest.mark.django_db
def test_rest_answers_503_unavailable_while_the_database_is_down(database, api_client, client_for, alice):
    from django.test import Client

    login = {"username": "alice", "password": "pass-w0rd-long"}
    database.down = True
    assert_unavailable(api_client.post(LOGIN, login))
    assert_unavailable(client_for(alice).get("/api/me/"))
    status = api_client.get("/api/status/")
    assert status.status_code == 503 and status.json()["database"] == "error"
    # Outside DRF (the admin's session lookup): handler500 answers the JSON 503 too.
    browser = Client(raise_request_exception=False)
    browser.cookies["sessionid"] = "x" * 32
    assert_unavailable(browser.get("/admin/"))

    database.down = False
    assert api_client.post(LOGIN, login).status_code == 200
    assert client_for(alice).get("/api/me/").status_code == 200


@pytest.mark.django_db(transaction=True)
async def test_sockets_get_unavailable_while_the_database_is_down(database, ws_connect, bob):
    database.down = True
    refused, connected, _ = await ws_connect("/ws/friends/status/", bob)
    assert connected
    frame = await refused.receive_json_from(timeout=10)
    assert frame["type"] == "error" and frame["code"] == "unavailable"
    assert await refused.receive_output(timeout=5) == {"type": "websocket.close", "code": 1013}

    database.down = False
    socket_again, connected, _ = await ws_connect("/ws/friends/status/", bob)
    assert connected
    assert (await receive_type(socket_again, "presence_snapshot"))["type"] == "presence_snapshot"
    await socket_again.disconnect()


def test_database_errors_are_outages():
    """psycopg's refused connection and the pool's timeout reach the views as these."""
    assert is_outage(OperationalError("connection failed: Connection refused"))
    assert is_outage(OperationalError("couldn't get a connection after 10.00 sec"))
    assert not is_outage(ValueError("no"))
    response = exception_handler(OperationalError("connection refused"), {})
    assert response.status_code == 503 and response.data["code"] == "unavailable"
    assert response["Retry-After"]
    assert Unavailable().close_code == 1013

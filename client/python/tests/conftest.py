"""A real server process for the SDK's end-to-end tests, and SDK clients on it.

The server is the session's ``live`` server (root conftest.py, ``gameplatform/tests/live.py``): the
Makefile's uvicorn command line on a database of its own (SQLite, or PostgreSQL beside the test
database) with the demo data.
"""

import itertools
import uuid

import pytest
from gameplatform_client import GameClient, ReconnectPolicy

PASSWORD = "pass-w0rd-long-enough"
_names = itertools.count(1)
_run = uuid.uuid4().hex[:6]


def new_name(prefix: str) -> str:
    return f"{prefix}_{_run}_{next(_names)}"


@pytest.fixture
def server(live):
    """The session's live server (root conftest.py), checked for logged errors after each test."""
    return live


# Fast, predictable reconnection for tests (the default starts at 0.25 s and doubles to 10 s).
FAST = ReconnectPolicy(initial=0.1, factor=2.0, max_delay=1.0, jitter=0.5)


@pytest.fixture
async def make_client(server):
    """``await make_client()``: a new registered user's client; ``login=`` a demo user instead."""
    clients: list[GameClient] = []

    async def make(prefix: str = "sdk", *, login: str | None = None, reconnect=FAST, **options) -> GameClient:
        client = GameClient(server.http, reconnect=reconnect, **options)
        clients.append(client)
        if login:
            await client.login(login, "testpass123")
            await client.me()
        else:
            await client.register(new_name(prefix), PASSWORD)
            await client.me()
        return client

    yield make
    for client in clients:
        await client.disconnect()

"""The seed-004 lobby socket by name takes any text as the name: a name no lobby can have closes 4404."""

import pytest

from gameplatform.tests.test_seed_routes import closed_with

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("name", ["nul\x00room", "x" * 300])
async def test_lobby_socket_by_an_impossible_name_closes_4404(ws_connect, alice, name):
    ws, connected, _ = await ws_connect(f"/ws/chat/lobby/{name}/", alice)
    assert connected
    assert await closed_with(ws) == 4404

"""Fixtures of the kit's own tests."""

import pytest

from gameplatform.tests.live import LiveServer


@pytest.fixture(scope="session")
def live_server_process(tmp_path_factory):
    """One real uvicorn process (the Makefile's flags) for every black-box test of the session."""
    server = LiveServer(tmp_path_factory.mktemp("live")).start()
    yield server
    server.stop()


@pytest.fixture
def live(live_server_process):
    """The live server; the test fails if the server logged an error or died meanwhile."""
    offset = live_server_process.log_size()
    yield live_server_process
    live_server_process.assert_alive()
    errors = live_server_process.errors_since(offset)
    assert not errors, "the server logged errors:\n" + "\n".join(errors)

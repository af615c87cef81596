"""The operations endpoints under races and lost messages: never stuck, never a 500."""

import asyncio
import json
import os
import subprocess
import sys

import pytest

from gameplatform import ops, realtime
from gameplatform.tests.asgi_http import http


@pytest.mark.django_db(transaction=True)
async def test_readyz_recovers_after_a_channel_layer_probe_signal_was_lost(settings, monkeypatch):
    settings.READYZ_TIMEOUT_SECONDS = 0.3

    async def lost(group, signal, layer=None, **data):  # published, never heard (an outage)
        return None

    with monkeypatch.context() as patch:
        patch.setattr(realtime, "agroup_signal", lost)  # what the probe sends through
        status, _, body = await http("/readyz")
    assert status == 503 and json.loads(body)["checks"]["channel_layer"] == "timeout"
    # The layer delivers again: readiness comes back instead of awaiting the lost check for good.
    for _ in range(20):
        status, _, body = await http("/readyz")
        if status == 200:
            break
        await asyncio.sleep(0.1)
    assert status == 200, body


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_forgetting_a_dead_process_that_another_scrape_forgot_first_is_no_error(tmp_path, monkeypatch):
    pid = _dead_pid()
    live = tmp_path / f"gauge_livesum_{pid}.db"
    live.write_bytes(b"")
    real_remove = os.remove

    def another_scrape_wins(path, *args, **kwargs):  # removed between the glob and the remove
        if os.path.exists(path):
            real_remove(path)
        return real_remove(path, *args, **kwargs)

    monkeypatch.setattr(os, "remove", another_scrape_wins)
    ops._forget_dead_processes(str(tmp_path))
    assert not live.exists()

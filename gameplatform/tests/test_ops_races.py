"""The operations endpoints under races and lost messages: never stuck, never a 500."""

import asyncio
import json
import os
import subprocess
import sys

import pytest

from gameplatform.broadcast import realtime
from gameplatform.core import metrics
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


def _sockets_open(path) -> list[float]:
    from prometheus_client import CollectorRegistry, multiprocess

    collected = CollectorRegistry()
    multiprocess.MultiProcessCollector(collected, path=str(path))
    return [
        sample.value
        for family in collected.collect()
        for sample in family.samples
        if sample.name == "gameplatform_ws_connections_open"
    ]


def test_forgetting_a_dead_process_that_another_scrape_forgot_first_is_no_error(tmp_path, monkeypatch):
    # A server process that held a socket open, then died without closing it.
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    script = "from gameplatform.core import metrics; metrics.SOCKETS_OPEN.labels(route='ws/x/').inc()"
    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=60)
    assert _sockets_open(tmp_path) == [1.0]
    real_remove = os.remove

    def another_scrape_wins(path, *args, **kwargs):  # removed between the listing and the remove
        if os.path.exists(path):
            real_remove(path)
        return real_remove(path, *args, **kwargs)

    monkeypatch.setattr(os, "remove", another_scrape_wins)
    assert len(metrics.forget_dead_processes(str(tmp_path))) == 1
    monkeypatch.undo()
    assert _sockets_open(tmp_path) == []
    assert metrics.forget_dead_processes(str(tmp_path)) == []  # forgotten once

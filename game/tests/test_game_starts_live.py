"""Two hundred game starts on two server processes, none silent (issue #55): bench/game_starts.py at CI's size.

Two processes of the server under test (``LIVE_SERVER``: the Makefile's uvicorn line, or its
daphne line) over PostgreSQL and a redis-server of the test's own.
Each game's two players have their sockets on different processes, as a round robin balancer
spreads them, both opened at once and readied as soon as they open; the two processes are
started again at each quarter of the games, so four waves of games meet cold processes (the
silent starts were all among the first games after a start). Every player must get ``game_state`` and the ``ack`` of
their ``player_ready``, and see the game active; then the game ends by a forfeit. Before the room
heard its game's group from its claim on, 50 of 300 such starts were silent on this machine.
(The bench's own default is 1,000 starts in four waves; CI runs 200 in as many waves, 50 a wave:
the cold starts, where the silent ones were, are the first games of each wave, and every one of
them is played; the warm tail of each wave is shorter. It ran 500 until the suite's time was cut
(docs/development.md, "Where CI's time goes"): about 75 s of the serial run.)

Under daphne the test plays 100 starts, still in four waves: the four cold starts of both
processes and the first games of each wave that meet them. ``make test`` runs it under uvicorn
(a serial test); ``LIVE_SERVER=daphne`` runs it by hand.
"""

import json
import os
import subprocess
import sys
from urllib.parse import urlparse, urlunparse

import pytest
from django.conf import settings

from conftest import requires_postgres, requires_redis
from gameplatform.tests.live import ROOT, LiveServer, free_port, live_server_name
from gameplatform.tests.test_faults import OwnRedis, requires_redis_server

# Times itself or loads the whole machine: `make test` runs it alone, after the tests it runs side by side.
pytestmark = [pytest.mark.serial, pytest.mark.live, requires_postgres, requires_redis, requires_redis_server]

STARTS = 100 if live_server_name() == "daphne" else 200
WAVES = 4


def test_games_started_across_two_cold_processes_four_times_all_start_and_answer_every_ready(tmp_path):
    redis_server = OwnRedis(free_port())
    redis_server.start()
    url = urlparse(settings.DATABASE_URL)
    database = f"{settings.DATABASES['default']['NAME']}_starts"[:60]
    out = tmp_path / "starts.json"
    try:
        # Migrated as the bench would (its own migrate then finds nothing to do), or a copy of a
        # database this process migrated already.
        LiveServer(tmp_path, database_url=urlunparse(url._replace(path=f"/{database}"))).prepare_database(seed=False)
        done = subprocess.run(
            [sys.executable, "bench/game_starts.py", "--games", str(STARTS), "--restart-every", str(STARTS // WAVES)]
            + ["--server", live_server_name(), "--port", "0", "--json", str(out)]
            + ["--database-url", urlunparse(url._replace(path=f"/{database}")), "--redis-url", redis_server.url],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "gameplatform.settings"},
        )
    finally:
        redis_server.stop()
        import psycopg

        with psycopg.connect(urlunparse(url._replace(path="/postgres")), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    told = f"\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert done.returncode in (0, 1), f"the bench failed (exit {done.returncode}):{told}"
    assert out.exists(), f"the bench left no figures (exit {done.returncode}):{told}"
    figures = json.loads(out.read_text())
    assert figures["starts"] == STARTS and figures["waves"] == WAVES
    assert figures["silent"] == 0, figures["silent_starts"]
    assert figures["unfinished"] == 0, done.stdout[-3000:]

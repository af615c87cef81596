"""``make cluster`` (deploy/cluster/cluster.py) as a developer runs it: it prints its address, serves
the platform there, and Ctrl-C stops every process it started, removes its directory and drops its
database.

Not ``serial``: it measures no time against a bound (its deadlines are for failure), so it runs side
by side with the rest; the cluster's fault test (test_cluster_faults.py) runs alone.
"""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx
import psycopg
import pytest

from conftest import requires_binaries, requires_postgres
from deploy.cluster.cluster import layout
from gameplatform.tests.live import ROOT
from gameplatform.tests.test_cluster_faults import LAYOUT_PORTS, cluster_unavailable, consecutive_free_ports, port_free

pytestmark = [
    requires_postgres,
    pytest.mark.cluster,
    requires_binaries(cluster_unavailable()),
    pytest.mark.timeout(300),
]


def test_make_cluster_prints_its_url_serves_it_and_stops_everything_on_ctrl_c(tmp_path):
    from django.conf import settings

    base = consecutive_free_ports(LAYOUT_PORTS)
    database = f"{urlparse(settings.DATABASE_URL).path.lstrip('/')[:40]}_cluster_cli"
    command = [sys.executable, "deploy/cluster/cluster.py", "--base-port", str(base), "--database", database]
    env = {**os.environ, "CLUSTER_POSTGRES": settings.DATABASE_URL}
    with open(tmp_path / "out.txt", "wb") as out:
        cluster = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while "Ctrl-C stops everything" not in (text := (tmp_path / "out.txt").read_text()):
            assert cluster.poll() is None and time.monotonic() < deadline, text
            time.sleep(0.3)
        url = re.search(r"gameplatform cluster on (http://\S+)/", text).group(1)
        assert url == f"http://127.0.0.1:{base}"
        status = httpx.get(f"{url}/api/status/", timeout=10).json()
        assert (status["database"], status["channel_layer"], status["redis"]) == ("ok", "ok", "ok")
        login = httpx.post(f"{url}/api/auth/login/", json={"username": "user_1", "password": "testpass123"}, timeout=10)
        assert login.status_code == 200
        workdir = Path(re.search(r"logs\s+(\S+)", text).group(1))
        assert workdir.is_dir()
        cluster.send_signal(signal.SIGINT)  # what Ctrl-C sends
        assert cluster.wait(60) == 0
    finally:
        if cluster.poll() is None:
            cluster.kill()
            cluster.wait(10)
    text = (tmp_path / "out.txt").read_text()
    assert "stopping the cluster" in text and text.rstrip().endswith("stopped"), text
    # Every process gone (its port free again), the directory removed, the database dropped.
    layout_ports = layout(base)
    ports = [layout_ports["nginx"], layout_ports["pgbouncer"], *layout_ports["servers"], *layout_ports["shards"]]
    ports += [*layout_ports["redis"], *layout_ports["sentinels"]]
    assert [p for p in ports if not port_free(p)] == []
    assert not workdir.exists()
    with psycopg.connect(urlparse(settings.DATABASE_URL)._replace(path="/postgres").geturl()) as conn:
        assert conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone() is None

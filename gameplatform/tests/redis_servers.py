"""Redis servers and sentinels that a test starts itself, each on a free port with a directory of its own."""

import shutil
import subprocess
import time
from pathlib import Path

import pytest
import redis

from conftest import requires_binaries
from gameplatform.tests.test_faults import free_port

requires_sentinel = requires_binaries(
    "needs redis-server and redis-sentinel on PATH"
    if shutil.which("redis-server") is None or shutil.which("redis-sentinel") is None
    else None
)


def wait_until(check, *, timeout: float, what: str, every: float = 0.05):
    """``check()``'s first true answer; fails the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            answer = check()
            if answer:
                return answer
        except redis.RedisError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout} s waiting for {what}")
        time.sleep(every)


class RedisProcess:
    """One redis-server (or, with ``sentinel=True``, redis-sentinel) on a free port in ``directory``."""

    def __init__(self, directory: Path, config: str = "", *, sentinel: bool = False) -> None:
        self.port = free_port()
        self.directory = directory / str(self.port)
        self.directory.mkdir(parents=True)
        self.config = self.directory / ("sentinel.conf" if sentinel else "redis.conf")
        base = f'port {self.port}\nbind 127.0.0.1\ndir {self.directory}\nsave ""\nappendonly no\n'
        self.config.write_text(base + config)  # a sentinel rewrites its file: each has its own
        self.binary = "redis-sentinel" if sentinel else "redis-server"
        self.process: subprocess.Popen | None = None

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=0.5, socket_timeout=2)

    def start(self) -> "RedisProcess":
        self.process = subprocess.Popen(
            [self.binary, str(self.config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        client = self.client()
        wait_until(client.ping, timeout=10, what=f"{self.binary} on port {self.port}")
        client.close()
        return self

    def kill(self) -> None:
        """SIGKILL: the process dies without a word to its clients, replicas or sentinels."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None


class Servers:
    """Everything a test started, killed at its end whatever happened."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.started: list[RedisProcess] = []

    def redis(self, config: str = "") -> RedisProcess:
        server = RedisProcess(self.directory, config).start()
        self.started.append(server)
        return server

    def sentinel(self, config: str) -> RedisProcess:
        server = RedisProcess(self.directory, config, sentinel=True).start()
        self.started.append(server)
        return server

    def stop_all(self) -> None:
        for server in self.started:
            server.kill()


@pytest.fixture
def redis_servers(tmp_path):
    servers = Servers(tmp_path)
    yield servers
    servers.stop_all()

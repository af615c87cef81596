"""Settings for the test suite: the real settings, with a throwaway key and fast hashing.

``DATABASE_URL`` and ``REDIS_URL`` still decide between the embedded defaults
and real PostgreSQL/Redis (CI sets both). Tests flush the Redis database they
are given, so point ``REDIS_URL`` at a database of its own.
"""

import os
from urllib.parse import urlparse, urlunparse

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production")


def _worker_deployment(worker: str) -> None:
    """Under pytest-xdist (``make test`` runs several workers) each worker is a deployment of its own:
    its database name carries the worker's id (so does every database a test derives from it: a live
    server's, a cluster's) and it takes two Redis databases of its own, its tests' and its live
    server's (``gameplatform.tests.live.session_redis_url``): from ``REDIS_URL``'s database on, two a
    worker, downwards from 8 and above (15 and 14, 13 and 12, ...), upwards below it. Written to the
    environment, which every server process a test starts inherits."""
    n = int(worker.removeprefix("gw"))
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        url = urlparse(os.environ["DATABASE_URL"])
        os.environ["DATABASE_URL"] = urlunparse(url._replace(path=f"{url.path.rstrip('/')}_{worker}"))
    if os.environ.get("REDIS_URL"):
        url = urlparse(os.environ["REDIS_URL"])
        base = int(url.path.lstrip("/") or 0)
        index = base - 2 * n if base >= 8 else base + 2 * n
        assert 0 <= index <= 15, f"REDIS_URL's database {base} leaves no two databases for worker {worker}"
        os.environ["REDIS_URL"] = urlunparse(url._replace(path=f"/{index}"))


if os.environ.get("PYTEST_XDIST_WORKER") and not os.environ.get("TEST_WORKER_DEPLOYMENT"):
    _worker_deployment(os.environ["PYTEST_XDIST_WORKER"])
    os.environ["TEST_WORKER_DEPLOYMENT"] = "1"  # once per process (settings can be imported again)

from gameplatform.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGGING["root"]["level"] = os.environ.get("LOG_LEVEL", "WARNING")  # noqa: F405

# Tests run timer jobs themselves, at the moment they choose.
RUN_TIMERS_IN_SERVER = False

# Two players queued for a mode of more (relay, the arena) are matched at once, as before the
# queue had a fill window; the window's own tests set it (matchmaking/tests/test_queue_groups.py).
QUEUE_FILL_SECONDS = 0

# In-process tests open a game's room where its socket is, as the tests of the rooms expect; the
# placement's own tests set ``load`` (game/tests/test_room_placement.py). The live servers a test
# starts read their settings from the environment: ``load`` unless a test says otherwise.
ROOM_PLACEMENT = "local"

# The test-only app whose ``flush`` empties only what a test filled (gameplatform/tests/quickflush):
# first, so its command is the one ``TransactionTestCase`` calls after each test.
INSTALLED_APPS = ["gameplatform.tests.quickflush", *INSTALLED_APPS]  # noqa: F405

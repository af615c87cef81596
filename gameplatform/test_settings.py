"""Settings for the test suite: the real settings, with a throwaway key and fast hashing.

``DATABASE_URL`` and ``REDIS_URL`` still decide between the embedded defaults
and real PostgreSQL/Redis (CI sets both). Tests flush the Redis database they
are given, so point ``REDIS_URL`` at a database of its own.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production")

from gameplatform.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGGING["root"]["level"] = os.environ.get("LOG_LEVEL", "WARNING")  # noqa: F405

# The test runner empties every table after a transactional test, on PostgreSQL with one TRUNCATE,
# which the audit log refuses unless the session allows it (staff/migrations/0002_append_only.py).
if IS_POSTGRES:  # noqa: F405
    _options = DATABASES["default"].setdefault("OPTIONS", {})  # noqa: F405
    _options["options"] = (_options.get("options", "") + " -c gameplatform.audit_truncate=allow").strip()

# Tests run timer jobs themselves, at the moment they choose.
RUN_TIMERS_IN_SERVER = False

# Two players queued for a mode of more (relay, the arena) are matched at once, as before the
# queue had a fill window; the window's own tests set it (matchmaking/tests/test_queue_groups.py).
QUEUE_FILL_SECONDS = 0

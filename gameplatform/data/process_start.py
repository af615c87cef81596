"""The start of a database worker process (``gameplatform.data.db.run_apart``).

A module of its own with nothing but the standard library at its top: a new process imports
it to call ``start`` before Django is loaded, and Django's modules cannot be imported then.
"""

import atexit
import multiprocessing
import multiprocessing.connection
import os
import threading


def start(database_name: str) -> None:
    """Django loaded as the server loads it, on the database its server uses (a test server's
    database has another name than the settings give, as Django's test runner sets it).

    The worker runs one unit at a time: its connection pool holds one or two connections, not a
    server's. It ends when its server does, however that ends (a server killed outright runs no
    shutdown): a worker left behind would hold its database connections for good."""
    _end_with_parent()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gameplatform.settings")
    os.environ["DB_POOL_MIN_SIZE"], os.environ["DB_POOL_MAX_SIZE"] = "1", "2"
    import django

    django.setup(set_prefix=False)
    from django.conf import settings
    from django.db import connections

    if connections["default"].settings_dict["NAME"] != database_name:
        settings.DATABASES["default"]["NAME"] = database_name
        connections["default"].settings_dict["NAME"] = database_name
    atexit.register(_close_pool)


def _close_pool() -> None:
    """At a clean end (the server's shutdown): the pool's connections closed, not dropped."""
    from django.db import connections

    conn = connections["default"]
    if hasattr(conn, "close_pool"):
        conn.close_pool()


def _end_with_parent() -> None:
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()

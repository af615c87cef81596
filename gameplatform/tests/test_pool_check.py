"""Pooled PostgreSQL connections are checked before use without a round trip, and broken ones are replaced."""

import asyncio

import psycopg
import pytest
from django.db import connection

from conftest import requires_postgres
from gameplatform.data import db
from gameplatform.data.pgpool import check_pooled_connection
from gameplatform.testhelpers import eventually, wait_until

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def _dsn() -> str:
    keys = ("dbname", "user", "password", "host", "port")
    return psycopg.conninfo.make_conninfo(**{k: v for k, v in connection.get_connection_params().items() if k in keys})


def _gone(admin: psycopg.Connection, pids) -> bool:
    """None of the backends ``pids`` runs any more: each has sent its goodbye and exited."""
    running = admin.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", [list(pids)])
    return running.fetchone()[0] == 0


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_a_quiet_connection_passes_the_check_without_sending_anything(tmp_path):
    trace = tmp_path / "protocol.trace"
    with psycopg.connect(_dsn(), autocommit=True) as conn, open(trace, "w") as out:
        conn.execute("SELECT 1")
        conn.pgconn.trace(out.fileno())
        check_pooled_connection(conn)
        conn.pgconn.untrace()
    assert trace.read_text() == ""  # psycopg's own check would have sent an empty Query here


def test_a_connection_whose_server_went_away_fails_the_check():
    with psycopg.connect(_dsn(), autocommit=True) as conn, psycopg.connect(_dsn(), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [conn.info.backend_pid])
        with pytest.raises(psycopg.OperationalError):
            for _ in range(50):  # until the goodbye has arrived on the socket
                check_pooled_connection(conn)
                admin.execute("SELECT pg_sleep(0.02)")


async def test_units_after_every_pooled_connection_was_terminated_all_succeed():
    # Fill the pool with idle connections, then end every one of them on the server side,
    # as a PostgreSQL restart does.
    pids = set(await asyncio.gather(*(db.run(_backend_pid) for _ in range(20))))
    with psycopg.connect(_dsn(), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) AS pid", [list(pids)])
        await eventually(lambda: _gone(admin, pids), timeout=10, what="the terminated backends exited")
    # Every unit gets a working connection: the broken ones are dropped, none fails a unit.
    after = await asyncio.gather(*(db.run(_backend_pid) for _ in range(20)))
    assert not pids & set(after)


def test_a_pool_with_the_check_hands_out_a_working_connection_after_its_idle_ones_were_terminated():
    # psycopg_pool's contract the settings rely on (Django 6.1 on): a connection whose check
    # raises is discarded and the next one is tried.
    from psycopg_pool import ConnectionPool

    with ConnectionPool(_dsn(), min_size=2, max_size=2, check=check_pooled_connection, timeout=10) as pool:
        pool.wait()
        with pool.connection() as a, pool.connection() as b:
            pids = [a.info.backend_pid, b.info.backend_pid]
        with psycopg.connect(_dsn(), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) AS pid", [pids])
            wait_until(lambda: _gone(admin, pids), timeout=10, what="the terminated backends exited")
        with pool.connection() as conn:
            assert conn.execute("SELECT pg_backend_pid()").fetchone()[0] not in pids

"""Django's PostgreSQL backend; a pooled connection is checked before use, mostly without a round trip.

psycopg's own check (``ConnectionPool.check_connection``, what Django's ``CONN_HEALTH_CHECKS``
turns on) sends an empty query every time a connection leaves the pool: one round trip per
unit of work, about a tenth of a tic-tac-toe move's database time. A connection resting in
the pool has nothing to read; when the server goes away (a restart, a terminated backend)
it sends its goodbye or closes the socket, and the socket becomes readable. So the socket is
polled first, without waiting, and only a readable, closed or not-idle connection gets the
real check; a broken one goes back to the pool (which drops it and opens another) and the
next one is tried. A host that vanishes without closing anything is not caught here: the
unit's first statement then fails with a connection error, answered 503 ``unavailable``.
"""

import select

from django.conf import settings
from django.db.backends.postgresql import base
from psycopg import Connection
from psycopg.pq import TransactionStatus
from psycopg_pool import ConnectionPool


def _has_input(conn: Connection) -> bool:
    poller = select.poll()  # not select.select: a server holding many sockets has descriptors past 1024
    poller.register(conn.fileno(), select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))


def check_pooled_connection(conn: Connection) -> None:
    """Return quietly for a healthy connection; raise for a broken one."""
    try:
        quiet = not conn.closed and conn.info.transaction_status == TransactionStatus.IDLE and not _has_input(conn)
    except (OSError, ValueError):  # no usable descriptor
        quiet = False
    if not quiet:
        ConnectionPool.check_connection(conn)


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        if self.pool is None or not settings.DB_POOL_CHECK:
            return connection
        # Every pooled connection may be broken after a restart: try each once, then a new one.
        for _ in range(self.pool.max_size):
            try:
                check_pooled_connection(connection)
                return connection
            except Exception:
                self.pool.putconn(connection)  # a broken connection is discarded, not kept
                connection = super().get_new_connection(conn_params)
        check_pooled_connection(connection)
        return connection

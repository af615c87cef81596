"""The check a pooled PostgreSQL connection passes before it is handed out.

Django gives ``OPTIONS["pool"]`` to psycopg_pool's ``ConnectionPool`` as keyword arguments,
and the pool's public ``check`` callable runs in ``getconn()`` each time a connection leaves
the pool. When the check raises, the pool gives the connection back (a broken one is
discarded and replaced by a new one in the background) and tries the next one, waiting
about a second before the second try and twice as long before each further try, until its
``timeout`` (psycopg_pool 3.3, ``ConnectionPool._getconn_with_check_loop``; documented as
``check`` in psycopg's "Connection pools" page).

psycopg's own check (``ConnectionPool.check_connection``, what Django's ``CONN_HEALTH_CHECKS``
installs) sends an empty query every time: one round trip per unit of work, measured here at
about 27 µs of CPU and 50 µs of waiting, where this one takes about 2 µs. A connection resting
in the pool has nothing to read; when the server goes away (a restart, a terminated backend)
it sends its goodbye or closes the socket, and the socket becomes readable. So the socket is
polled first, without waiting, and only a readable, closed or not-idle connection gets
psycopg's check. A host that vanishes without closing anything is not caught here: the unit's
first statement then fails with a connection error, answered 503 ``unavailable``.

A database worker checks the connection it keeps between units the same way before each unit
(``gameplatform.data.db``), whatever the pool's own check is.

Django takes a ``check`` in ``OPTIONS["pool"]`` from 6.1 on; before, it passes its own
``check`` argument and another is a ``TypeError``: see ``pool_check_options`` in the settings.
"""

import select

from psycopg import Connection
from psycopg.pq import TransactionStatus
from psycopg_pool import ConnectionPool


def _has_input(conn: Connection) -> bool:
    poller = select.poll()  # not select.select: a server holding many sockets has descriptors past 1024
    poller.register(conn.fileno(), select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))


def check_pooled_connection(conn: Connection) -> None:
    """Return quietly for a healthy connection; raise for a broken one (the pool then takes another)."""
    try:
        quiet = not conn.closed and conn.info.transaction_status == TransactionStatus.IDLE and not _has_input(conn)
    except (OSError, ValueError):  # no usable descriptor
        quiet = False
    if not quiet:
        ConnectionPool.check_connection(conn)

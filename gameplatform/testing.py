"""Helpers for tests that race real threads against PostgreSQL."""

import threading
from collections.abc import Callable

from django.db import connection

from gameplatform.core.errors import ApplicationError


def run_at_once(*calls: Callable, timeout: float = 60) -> list:
    """Run the calls in threads released by one barrier; results in call order.

    Each result is what the call returned, the ``code`` of the ApplicationError it
    raised, or any other exception it raised. Every thread gives its database
    connection back, so the test database can be dropped afterwards.
    """
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index: int, call: Callable) -> None:
        try:
            barrier.wait()
            results[index] = call()
        except ApplicationError as exc:
            results[index] = exc.code
        except Exception as exc:  # noqa: BLE001 - handed to the test to assert on
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n, call)) for n, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return results

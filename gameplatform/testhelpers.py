"""Helpers for tests: threads raced against PostgreSQL, and waits for an event with a bound."""

import asyncio
import inspect
import threading
import time
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


async def eventually(check: Callable, *, timeout: float = 10.0, what: str = "", every: float = 0.05):
    """``check()``'s first true answer (awaited when it is a coroutine), asked every ``every``
    seconds; the test fails after ``timeout`` seconds. For what has no event to wait on: another
    process's state, a database row, a metric, a transport's flag. The bound is how long the
    thing may take, not how long a test waits when it comes at once."""
    deadline = time.monotonic() + timeout
    while True:
        answer = check()
        if inspect.isawaitable(answer):
            answer = await answer
        if answer:
            return answer
        assert time.monotonic() < deadline, f"not within {timeout} s: {what or check}"
        await asyncio.sleep(every)


def wait_until(check: Callable, *, timeout: float = 10.0, what: str = "", every: float = 0.05):
    """``eventually`` for a test outside an event loop (a thread of its own, a synchronous test)."""
    deadline = time.monotonic() + timeout
    while not (answer := check()):
        assert time.monotonic() < deadline, f"not within {timeout} s: {what or check}"
        time.sleep(every)
    return answer

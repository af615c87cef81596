"""Units of database work for ``test_db_processes``: module-level, so a worker process can import them."""

import os
import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction

from gameplatform.broadcast.realtime import broadcast_on_commit
from gameplatform.core.errors import Conflict


def whose_process() -> int:
    return os.getpid()


def sleep_then_whose_process(*, seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def register_and_announce(*, username: str, group: str) -> int:
    """A user made in a transaction, announced to ``group`` once it commits."""
    with transaction.atomic():
        user = get_user_model().objects.create_user(username=username, password="pass-w0rd-long")
        broadcast_on_commit(group, {"type": "registered", "username": username})
    return user.pk


def refuse() -> None:
    raise Conflict("That seat is taken.", code="seat_taken", extra={"seat": 2})


class NeedsTwo(Exception):
    def __init__(self, first, second) -> None:
        super().__init__(f"{first} and {second}")


def raise_needs_two() -> None:
    raise NeedsTwo("left", "right")


def hold(*, pid_file: str, seconds: float) -> None:
    """Write this process's pid, then take ``seconds``: a unit to kill half-way."""
    Path(pid_file).write_text(str(os.getpid()))
    time.sleep(seconds)

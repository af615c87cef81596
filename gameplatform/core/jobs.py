"""The registry of periodic jobs: ``@periodic(name, every=seconds)`` records a job.

It sits below both the runner (``gameplatform.operations.timers``, which finds the apps' ``timers.py``
modules and runs what registered here) and the kit's own jobs (the presence sweep in
``gameplatform.sockets.presence``), so the runner imports the sweep's module and not the other way round.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Job:
    name: str
    every: float
    func: Callable[[], object]
    next_run: float = 0.0


JOBS: dict[str, Job] = {}


def periodic(name: str, *, every: float):
    def register(func):
        JOBS[name] = Job(name=name, every=every, func=func)
        return func

    return register

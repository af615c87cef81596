"""uvicorn's own lines where Django's logging does not reach: in the platform's format, errors counted.

With several workers (``make serve``, ``--workers``, ``WEB_CONCURRENCY``) uvicorn's parent process
starts the workers, replaces one that died, and on SIGHUP replaces them one by one, each new one
ready before the old one stops. It never loads the application, so ``settings.LOGGING`` never
configures it: what it logs (``Received SIGHUP, restarting processes.``; ``New child process [...]
was not ready in time; keeping worker [...] and aborting the restart.``) would come out as plain
lines beside the JSON of the workers, counted nowhere. The Makefile's uvicorn line gives
``--log-config gameplatform/operations/uvicorn-logging.json``, which uvicorn applies in every process
it starts, before the application loads; in a worker ``settings.LOGGING`` then takes over.

Its two handlers, on uvicorn's documented loggers (no message is read):

- ``console``: each line on stderr, JSON (``gameplatform.core.logs.JsonFormatter``) unless ``DEBUG``,
  from ``LOG_LEVEL`` up, as ``settings.LOGGING``'s console handler writes a worker's lines.
- ``CountErrors``: every ERROR (or worse) adds one to ``gameplatform_uvicorn_errors_total``
  (``gameplatform.core.metrics``), whatever ``LOG_LEVEL`` lets through. With ``PROMETHEUS_MULTIPROC_DIR``
  the parent writes its count there like any process, and every worker's ``/metrics`` includes it.
"""

import logging
import os
import sys

from gameplatform.core.logs import JsonFormatter, RedactSecretsFilter
from gameplatform.core.metrics import UVICORN_ERRORS

_TRUE = {"1", "true", "on"}


def _no_colours(record: logging.LogRecord) -> bool:
    """uvicorn gives some lines a second copy with terminal colours (``color_message``): not in a JSON line."""
    record.__dict__.pop("color_message", None)
    return True


def console() -> logging.Handler:
    """stderr from ``LOG_LEVEL`` (default INFO) up: JSON, or ``settings.LOGGING``'s plain lines under ``DEBUG``."""
    handler = logging.StreamHandler(sys.stderr)
    level = os.environ.get("LOG_LEVEL", "INFO").strip().upper() or "INFO"
    handler.setLevel(level if level in logging.getLevelNamesMapping() else "INFO")
    handler.addFilter(_no_colours)
    handler.addFilter(RedactSecretsFilter())
    if os.environ.get("DEBUG", "").strip().lower() in _TRUE:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [-] %(message)s"))
    else:
        handler.setFormatter(JsonFormatter())
    return handler


class CountErrors(logging.Handler):
    """Counts the ERROR and CRITICAL lines it is given in ``gameplatform_uvicorn_errors_total``."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)

    def emit(self, record: logging.LogRecord) -> None:
        UVICORN_ERRORS.inc()

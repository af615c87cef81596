"""Requests through the real ASGI application from a chosen client address, and scrapes parsed back."""

import contextlib
import logging

from channels.testing import HttpCommunicator
from prometheus_client.parser import text_string_to_metric_families

from gameplatform.core.logs import RequestIdFilter

LOOPBACK = ("127.0.0.1", 40000)
OUTSIDER = ("203.0.113.9", 40000)


async def http(path: str, *, method: str = "GET", client=LOOPBACK, headers=(), body: bytes = b"") -> tuple:
    """One request through the real ASGI application, from ``client`` (an address, port pair)."""
    from gameplatform.asgi import application

    all_headers = list(headers)
    if not any(name == b"host" for name, _ in all_headers):
        all_headers.append((b"host", b"localhost"))
    if body:
        all_headers.append((b"content-type", b"application/json"))
    communicator = HttpCommunicator(application, method, path, body=body, headers=all_headers)
    communicator.scope["client"] = client
    response = await communicator.get_response(timeout=30)
    return response["status"], dict(response["headers"]), response["body"]


def parse(text: str) -> dict[tuple, float]:
    """``{(sample name, ((label, value), ...)): value}`` from the Prometheus text format."""
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


class RootRecords(logging.Handler):
    """The records that reach the root logger's handlers, i.e. what the process writes (caplog
    also hears loggers that propagate nowhere), each with the request id the console prints."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.addFilter(RequestIdFilter())
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextlib.contextmanager
def root_records(level: int = logging.INFO):
    import gameplatform.asgi  # noqa: F401 - its django.setup() configures logging again: before we listen

    handler, root = RootRecords(), logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(level)
    try:
        yield handler.records
    finally:
        root.setLevel(old_level)
        root.removeHandler(handler)

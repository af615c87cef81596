"""Requests through the real ASGI application from a chosen client address, and scrapes parsed back."""

from channels.testing import HttpCommunicator
from prometheus_client.parser import text_string_to_metric_families

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

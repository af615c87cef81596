import pytest

from webhooks.services import TYPES
from webhooks.tests.receiver import Receiver

SECRET = "whsec_test_secret"


@pytest.fixture
def receiver(settings):
    """A local receiver, configured as the only endpoint of ``WEBHOOKS`` for every type."""
    with Receiver() as running:
        settings.WEBHOOKS = [{"url": running.url, "secret": SECRET, "events": list(TYPES)}]
        yield running

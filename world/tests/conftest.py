import io

import pytest

from world import demo


@pytest.fixture
def world(db):
    """The demo world (factions, locations, shards, enemies), without its demo characters."""
    demo.seed(users={}, stdout=io.StringIO())
    return demo

"""The reads the admin's live page makes of presence, the same on Redis and in process memory."""

import pytest

from conftest import requires_redis
from gameplatform.sockets.presence import LocalStore, RedisStore


def stores():
    return [pytest.param(LocalStore, id="local"), pytest.param(RedisStore, id="redis", marks=requires_redis)]


@pytest.mark.parametrize("make_store", stores())
def test_online_sample_gives_at_most_the_limit_of_the_users_online(make_store):
    store = make_store()
    store.open([(1, "a", ()), (2, "b", ()), (2, "c", ()), (3, "d", ())])
    store.close([(3, "d", ())])
    assert store.online_sample(10) == [1, 2]  # several sockets are one user; a closed one is gone
    sample = store.online_sample(1)
    assert len(sample) == 1 and sample[0] in {1, 2}


@pytest.mark.parametrize("make_store", stores())
def test_counts_at_counts_users_not_sockets_at_each_place(make_store):
    store = make_store()
    store.open([(1, "a", ("world", "area:1")), (1, "b", ("world", "area:1")), (2, "c", ("world", "area:2"))])
    assert store.counts_at(["area:1", "area:2", "area:3", "world"]) == {
        "area:1": 1,
        "area:2": 1,
        "area:3": 0,
        "world": 2,
    }

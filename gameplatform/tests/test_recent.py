"""``gameplatform.core.recent.Recent``: a process's bounded memory of derived values."""

import pytest

from gameplatform.core.recent import Recent


def test_it_keeps_at_most_its_bound_forgetting_the_least_recently_used():
    recent = Recent(2)
    recent.put("a", 1)
    recent.put("b", 2)
    assert recent.get("a") == 1  # "a" is now the most recent
    recent.put("c", 3)
    assert (recent.get("a"), recent.get("b"), recent.get("c")) == (1, None, 3)
    assert len(recent) == 2


def test_new_gives_the_keys_it_did_not_hold_and_holds_them_within_its_bound():
    recent = Recent(3)
    assert recent.new(["x", "y"]) == ["x", "y"]
    assert recent.new(["y", "z"]) == ["z"]
    assert recent.new(["w"]) == ["w"] and len(recent) == 3
    assert recent.new(["x"]) == ["x"]  # the oldest went first
    recent.forget(["x"])
    assert recent.new(["x"]) == ["x"]


def test_a_bound_under_one_is_refused():
    with pytest.raises(ValueError):
        Recent(0)

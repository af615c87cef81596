"""A hook runs every registered reaction once, in order, and a failing reaction fails the caller."""

import pytest

from gameplatform.hooks import Hook


def test_reactions_run_in_registration_order_and_once_each():
    seen = []
    hook: Hook[[int]] = Hook("something_happened")

    def first(n: int) -> None:
        seen.append(("first", n))

    hook.register(first)
    hook.register(lambda n: seen.append(("second", n)))
    hook.register(first)  # registering again (a second ready()) adds nothing
    hook(7)
    assert seen == [("first", 7), ("second", 7)]


def test_a_failing_reaction_reaches_the_caller():
    hook: Hook[[]] = Hook("something_happened")

    def broken() -> None:
        raise RuntimeError("reaction failed")

    hook.register(broken)
    with pytest.raises(RuntimeError):
        hook()

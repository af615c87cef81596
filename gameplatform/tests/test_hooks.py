"""A hook runs every registered reaction once, in order, and a failing reaction fails the caller; a
single-provider hook names itself when its provider is missing; a keyed hook holds one function per
key. Hooks are the project's one way for a lower app to let a higher one react: no Django signal
carries a rule."""

import ast

import pytest
from django.core.exceptions import ImproperlyConfigured

from gameplatform.core.hooks import Hook, KeyedHook
from gameplatform.tests.test_layering import LAYERS, ROOT


def test_reactions_run_in_registration_order_and_once_each():
    seen = []
    hook: Hook[[int], None] = Hook("something_happened")

    def first(n: int) -> None:
        seen.append(("first", n))

    hook.register(first)
    hook.register(lambda n: seen.append(("second", n)))
    hook.register(first)  # registering again (a second ready()) adds nothing
    hook(7)
    assert seen == [("first", 7), ("second", 7)]


def test_a_failing_reaction_reaches_the_caller():
    hook: Hook[[], None] = Hook("something_happened")

    def broken() -> None:
        raise RuntimeError("reaction failed")

    hook.register(broken)
    with pytest.raises(RuntimeError):
        hook()


def test_a_single_provider_hook_gives_its_one_function():
    hook: Hook[[int], str] = Hook("user_by_id")
    hook.register(lambda user_id: f"user {user_id}")
    assert hook.one()(7) == "user 7"


@pytest.mark.parametrize("providers", [0, 2])
def test_a_single_provider_hook_without_exactly_one_provider_says_so_by_name(providers):
    hook: Hook[[int], str] = Hook("user_by_id")
    for n in range(providers):
        hook.register(lambda user_id, n=n: f"{n}")
    with pytest.raises(
        ImproperlyConfigured, match=f"'user_by_id' needs exactly one registered function, it has {providers}"
    ):
        hook.one()


def test_a_keyed_hook_gives_each_keys_function_and_none_for_a_key_nobody_registered():
    hook: KeyedHook[[int], str] = KeyedHook("announcer")

    def lobby(n: int) -> str:
        return f"lobby {n}"

    hook.register("lobby", lobby)
    hook.register("lobby", lobby)  # the same function again adds nothing
    assert hook.get("lobby") is lobby
    assert hook.get("area") is None


def test_a_keyed_hook_answers_every_key_in_registration_order():
    hook: KeyedHook[..., int] = KeyedHook("badge_count")
    hook.register("unread_dms", lambda *, user_id: user_id + 1)
    hook.register("pending_invites", lambda *, user_id: user_id * 2)
    answers = hook.answers(user_id=5)
    assert answers == {"unread_dms": 6, "pending_invites": 10}
    assert list(answers) == ["unread_dms", "pending_invites"]


def test_a_second_function_for_a_key_is_refused_and_the_first_stays():
    hook: KeyedHook[[], str] = KeyedHook("invite_accept")

    def party() -> str:
        return "party"

    hook.register("party", party)
    with pytest.raises(ImproperlyConfigured, match="'invite_accept' already has a function for 'party'"):
        hook.register("party", lambda: "other")
    assert hook.get("party") is party


# --- hooks are the one mechanism -----------------------------------------------------------------


def signal_connections() -> list[tuple[str, str]]:
    """``(module path, signal)`` for every Django signal a project module connects or defines
    (``signal.connect(...)``, ``@receiver``, ``Signal()``), read from the source as test_layering does."""
    found = []
    for package in LAYERS:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "tests" in path.parts or "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text())
            signals = {
                alias.asname or alias.name
                for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("django")
                if "signals" in (node.module or "") or node.module == "django.dispatch"
                for alias in node.names
            }
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                if isinstance(func, ast.Attribute) and func.attr == "connect" and isinstance(func.value, ast.Name):
                    if func.value.id in signals:
                        found.append((str(path.relative_to(ROOT)), func.value.id))
                elif isinstance(func, ast.Name) and func.id in signals & {"receiver", "Signal"}:
                    found.append((str(path.relative_to(ROOT)), func.id))
    return found


def test_the_only_django_signal_connected_is_the_one_the_docs_name():
    # Lower apps let higher ones react through hooks; the signals left carry no rule of the
    # platform: one resets the shared cache object when a test changes CACHES, the other gives the
    # staff roles their permissions once migrate has made every app's.
    assert signal_connections() == [
        ("gameplatform/core/cache.py", "setting_changed"),
        ("staff/apps.py", "post_migrate"),
    ]
    concepts = (ROOT / "docs" / "concepts.md").read_text()
    assert "`setting_changed`" in concepts and "`post_migrate`" in concepts

"""Every error code a REST operation can answer is declared, so the schema lists it.

The operations declare their codes on their handlers (``@error_codes``, ``gameplatform/http/openapi.py``);
this test reads the source each handler reaches (``error_walk``) and fails when it can raise a
code that its operation does not document: a service that gains a ``raise Conflict(...,
code="x")`` must be followed by the views that call it.
"""

import re

import pytest
from django.urls import resolve
from drf_spectacular.generators import SchemaGenerator

from gameplatform.tests.error_walk import operation_errors

# Codes the walk finds that no request can meet, by operation, each with the reason. The walk
# follows every call a handler can make, whatever its arguments.
CREDIT_ONLY = {
    # Reading or locking the player tops up its stamina through ``balance_change`` with a
    # credit, and loot is a credit: neither can be short, but the walk sees the function's
    # two refusals all the same.
    (400, "insufficient_funds"),
    (400, "not_enough_stamina"),
}
# The callback answers a refused sign-in with a redirect to next#signin_error=CODE, never an error body.
SIGNIN_REDIRECTS = {(401, "invalid_credentials"), (503, "username_unavailable")}
# A provider's name holding a listed word gives way to a generated one (accounts.services.
# user_create_external catches the filter's refusal): the player did not type it.
PROVIDER_NAMES = {(400, "text_refused")}
# The answer is the lobby as one of its members sees it (its creator, the player who just joined):
# the role check that private lobbies make of staff who are not members cannot meet them.
MEMBERS_DETAIL = {(403, "permission_denied")}
UNREACHABLE = {
    "GET /api/auth/providers/{provider_id}/callback/": SIGNIN_REDIRECTS | PROVIDER_NAMES,
    "POST /api/auth/providers/{provider_id}/token/": PROVIDER_NAMES,
    "POST /api/lobbies/": MEMBERS_DETAIL,
    "POST /api/lobbies/{lobby_id}/join/": MEMBERS_DETAIL,
    "GET /api/player/me/": CREDIT_ONLY,
    "GET /api/player/ledger/": CREDIT_ONLY,
    "POST /api/player/regenerate-stamina/": CREDIT_ONLY,
    "POST /api/player/allocate-stats/": CREDIT_ONLY,
    "POST /api/inventory/equip/{inventory_id}/": CREDIT_ONLY,
    "POST /api/inventory/unequip/{slot}/": CREDIT_ONLY,
    "POST /api/pets/equip/{pet_id}/": CREDIT_ONLY,
    "POST /api/pets/unequip/{pet_id}/": CREDIT_ONLY,
    "POST /api/pets/hatch/{egg_id}/": CREDIT_ONLY,
    "POST /api/battles/claim-loot/{battle_id}/": CREDIT_ONLY,
    "POST /api/payments/apple/": CREDIT_ONLY,  # a purchase credits gems (or items, or premium)
    "POST /api/payments/google/": CREDIT_ONLY,  # as the App Store's
    "POST /api/liveops/messages/{message_id}/claim/": CREDIT_ONLY,  # an inbox gift credits (grants_clean: >= 0)
    # A notification names no player, and a cancel is of a subscription the player holds: the
    # refusal of a subscription another player redeemed first cannot meet either.
    "POST /api/payments/google/notifications/": CREDIT_ONLY | {(409, "already_redeemed")},
    "POST /api/payments/subscriptions/{subscription_id}/cancel/": {(409, "already_redeemed")},
    # Feeding pays gold; a purchase pays gold or gems (the input's choices); joining a battle
    # pays stamina: the other currency's refusal cannot happen.
    "POST /api/pets/feed/{pet_id}/": {(400, "not_enough_stamina")},
    "POST /api/shop/purchase/": {(400, "not_enough_stamina")},
    "POST /api/battles/join/{battle_id}/": {(400, "insufficient_funds")},
    # The fee is checked against the locked player's gold first (402 ``insufficient_funds``):
    # the debit that follows cannot be short, and it is gold.
    "POST /api/tournaments/{tournament_id}/join/": CREDIT_ONLY,
    # The lobby checks its member count against the mode first (409 ``invalid_player_count``),
    # and members are distinct users: the game's own 400 checks cannot fail.
    "POST /api/lobbies/{lobby_id}/start/": {(400, "invalid_player_count"), (400, "invalid_players")},
}


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    """``(method, path, operation, view class)`` of every operation in the schema."""
    for path, item in schema["paths"].items():
        view_class = resolve(re.sub(r"\{[^}]+\}", "1", path)).func.cls
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield method.upper(), path, operation, view_class


def documented(operation) -> set[tuple[int, str]]:
    """``{(status, code)}`` the operation's error answers list."""
    return {
        (int(status), code)
        for status, answer in operation["responses"].items()
        if int(status) >= 400
        for code in re.findall(r"`([a-z0-9_]+)`", answer["description"].partition("Codes:")[2])
    }


def test_every_code_an_operation_can_raise_is_declared(schema):
    missing = {}
    for method, path, operation, view_class in operations(schema):
        listed = documented(operation)
        unreachable = UNREACHABLE.get(f"{method} {path}", set())
        for status, code in operation_errors(view_class, method) - unreachable:
            if code is None:  # computed at run time: the operation must declare what it can be
                if not any(s == status for s, _ in listed):
                    missing.setdefault(f"{method} {path}", set()).add(f"{status} <computed>")
            elif (status, code) not in listed:
                missing.setdefault(f"{method} {path}", set()).add(f"{status} {code}")
    assert not missing, (
        "codes the handlers can raise but do not declare; add them to the handler's @error_codes({status: codes}) "
        f"(or, when no request can meet them, to UNREACHABLE with the reason): {missing}"
    )


def test_the_unreachable_codes_are_ones_the_walk_still_finds_and_no_operation_declares(schema):
    """An exception that no longer applies (the code moved, the view was fixed) is removed."""
    seen = {f"{method} {path}": (operation, view_class) for method, path, operation, view_class in operations(schema)}
    for key, codes in UNREACHABLE.items():
        assert key in seen, f"{key} is no operation"
        operation, view_class = seen[key]
        assert codes <= operation_errors(view_class, key.split()[0]), f"{key}: the walk no longer finds {codes}"
        assert not codes & documented(operation), f"{key}: declares {codes & documented(operation)}"

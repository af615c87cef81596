"""What an age band may do: the one place every app asks (docs/accounts-and-the-law.md prints the table).

The apps never compare bands themselves; they ask ``may(user, action)`` or ``require(user,
action)`` (which raises the refusal the contract names), and the user search excludes
``minors_q()``. The actions:

- ``listed``: shown in ``GET /api/users/?search=`` (minors are not: the EU's DSA Art. 28 guidelines,
  the UK's Age Appropriate Design Code: private by default);
- ``asked_by_strangers``: receives friend requests from players they never shared a game, lobby or
  group with (minors do not: no unsolicited contact from strangers);
- ``chat``: free-text chat (lobby, DM, group, world, party): under 13 only once staff recorded a
  parent's consent (COPPA); with ``AGE_REQUIRED`` none for an unknown band;
- ``play`` (matchmaking) and ``shop``: with ``AGE_REQUIRED`` none for an unknown band.

A band comes from a declared birth date when the account has one (so it grows up with the player),
else from the stored band (a store's signal, staff).
"""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from accounts import hooks
from accounts.models import AgeBand, User
from gameplatform.core.errors import Forbidden

MINORS = frozenset({AgeBand.UNDER_13, AgeBand.FROM_13_TO_15, AgeBand.FROM_16_TO_17})
# Youngest first: a declaration may not move a band up this list (``age_locked``).
ORDER = [AgeBand.UNDER_13, AgeBand.FROM_13_TO_15, AgeBand.FROM_16_TO_17, AgeBand.ADULT]
# The band's lower bound in years, for the birth-date arithmetic.
THRESHOLDS = [(18, AgeBand.ADULT), (16, AgeBand.FROM_16_TO_17), (13, AgeBand.FROM_13_TO_15)]


@dataclass(frozen=True)
class Rules:
    listed: bool
    asked_by_strangers: bool
    chat: str  # "yes", "with_consent" (a parent's, recorded by staff)


POLICY: dict[str, Rules] = {
    AgeBand.UNDER_13: Rules(listed=False, asked_by_strangers=False, chat="with_consent"),
    AgeBand.FROM_13_TO_15: Rules(listed=False, asked_by_strangers=False, chat="yes"),
    AgeBand.FROM_16_TO_17: Rules(listed=False, asked_by_strangers=False, chat="yes"),
    AgeBand.ADULT: Rules(listed=True, asked_by_strangers=True, chat="yes"),
    AgeBand.UNKNOWN: Rules(listed=True, asked_by_strangers=True, chat="yes"),
}
# What ``AGE_REQUIRED`` closes to an account whose band is unknown.
AGE_GATED = frozenset({"chat", "play", "shop"})
ACTIONS = frozenset({"listed", "asked_by_strangers", "chat", "play", "shop"})


def years_since(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def band_from_birth_date(born: date, today: date | None = None) -> str:
    age = years_since(born, today or timezone.localdate())
    return next((band for years, band in THRESHOLDS if age >= years), AgeBand.UNDER_13)


def band_of(user: User) -> str:
    """The user's band today: from their declared birth date when they gave one."""
    if user.birth_date is not None:
        return band_from_birth_date(user.birth_date)
    return user.age_band


def is_raise(old: str, new: str) -> bool:
    """Whether ``new`` is an older band than a known ``old``."""
    return old in ORDER and new in ORDER and ORDER.index(new) > ORDER.index(old)


def _born_after(years: int, today: date) -> date:
    """Born after this day: younger than ``years`` today (29 February's children turn a year
    older on 1 March in a common year)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def band_q(bands: set[str], today: date | None = None) -> Q:
    """The accounts whose band today (``band_of``) is one of ``bands``, as a query."""
    today = today or timezone.localdate()
    declared = Q(pk__in=[])
    bounds = {AgeBand.UNDER_13: (13, None), AgeBand.FROM_13_TO_15: (16, 13), AgeBand.FROM_16_TO_17: (18, 16)}
    for band in bands:
        if band == AgeBand.ADULT:
            declared |= Q(birth_date__lte=_born_after(18, today))
        elif band in bounds:
            under, over = bounds[band]
            span = Q(birth_date__gt=_born_after(under, today))
            if over is not None:
                span &= Q(birth_date__lte=_born_after(over, today))
            declared |= span
    return Q(birth_date__isnull=True, age_band__in=bands) | (Q(birth_date__isnull=False) & declared)


def minors_q(today: date | None = None) -> Q:
    return band_q(set(MINORS), today)


def age_required() -> bool:
    return settings.AGE_REQUIRED


def refusal(user: User, action: str) -> Forbidden | None:
    """Why ``user`` may not do ``action``, or None when they may."""
    if action not in ACTIONS:
        raise ValueError(f"no such action: {action!r}")
    band = band_of(user)
    if action in AGE_GATED and band == AgeBand.UNKNOWN and age_required():
        return Forbidden("Tell us your age first (PUT /api/me/age/).", code="age_required")
    rules = POLICY[band]
    if action == "chat" and rules.chat == "with_consent" and user.parental_consent_at is None:
        return Forbidden("Chat opens once a parent has given their consent.", code="chat_restricted")
    if action == "listed" and not rules.listed:
        return Forbidden("Not listed.", code="not_allowed")
    if action == "asked_by_strangers" and not rules.asked_by_strangers:
        return Forbidden("This player accepts friend requests only from players they have met.", code="not_allowed")
    return None


def may(user: User, action: str) -> bool:
    return refusal(user, action) is None


def require(user: User, action: str) -> None:
    found = refusal(user, action)
    if found is not None:
        raise found


def have_met(user_a_id: int, user_b_id: int) -> bool:
    """Whether the two shared a game, a lobby or a group (the apps' ``hooks.met`` answers)."""
    return any(answer(user_a_id, user_b_id) for answer in hooks.met.reactions)


def contact_require(*, sender_id: int, recipient: User) -> None:
    """403 ``not_allowed`` when ``recipient`` takes requests only from players they met and
    ``sender_id`` is not one."""
    found = refusal(recipient, "asked_by_strangers")
    if found is not None and not have_met(sender_id, recipient.pk):
        raise found


def chat_refused_q() -> Q:
    """The accounts ``refusal(user, "chat")`` refuses, as a query (the chat's per-process copy)."""
    refused = band_q({AgeBand.UNDER_13}) & Q(parental_consent_at__isnull=True)
    if age_required():
        refused |= band_q({AgeBand.UNKNOWN})
    return refused


def may_buy_random_rewards(user: User, country: str, rules: dict[str, str]) -> bool:
    """Whether ``user`` may buy a reward of random outcome in ``country`` under ``rules``
    (``LOOTBOX_RULES``: country -> ``none``, ``adults`` or ``all``; a country not named: ``all``).
    ``adults`` admits an adult band only (an unknown band is not one)."""
    rule = rules.get((country or "").upper(), "all")
    if rule == "none":
        return False
    if rule == "adults":
        return band_of(user) == AgeBand.ADULT
    return True

"""What the progression app asks of higher apps, without knowing them (``gameplatform.core.hooks``).

- ``gem_packs()``: the gem packs on sale for money, as ``[GemPack]`` (payments registers it); the
  shop prices gem-priced items in real money at the cheapest one. Nobody registered: no real prices.
- ``player_country(user_id)``: the country the player's client last declared (ISO 3166-1 alpha-2,
  or ""), when the balancer sent none (liveops registers it from the player's attributes).
"""

from typing import NamedTuple

from gameplatform.core.hooks import Hook


class GemPack(NamedTuple):
    product_id: str
    gems: int
    price: int  # the currency's minor unit
    currency: str


gem_packs: Hook[[], list[GemPack]] = Hook("gem_packs")
player_country: Hook[[int], str] = Hook("player_country")


def ask(hook: Hook, *args, default):
    """The answer of a hook with at most one provider; ``default`` when none registered."""
    return hook.one()(*args) if hook.reactions else default

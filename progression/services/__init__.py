"""Every write of the progression area. Other apps import from here."""

from progression.services.battles import (
    AttackResult,
    abattle_chat_post,
    battle_attack,
    battle_claim_loot,
    battle_create,
    battle_join,
    battle_require_participant,
    battles_reopen,
)
from progression.services.items import (
    egg_grant,
    egg_hatch,
    inventory_equip,
    inventory_grant,
    inventory_unequip,
    pet_equip,
    pet_feed,
    pet_unequip,
)
from progression.services.players import (
    balance_change,
    player_add_xp,
    player_allocate_stats,
    player_ensure,
    player_grant,
    player_lock,
    player_regenerate_stamina,
    player_sync,
)
from progression.services.shop import idempotency_keys_expire, idempotent, shop_purchase
from progression.services.swaps import Gift, OfferUnavailable, offer_check, trade_swap

__all__ = [
    "AttackResult",
    "Gift",
    "OfferUnavailable",
    "balance_change",
    "battle_attack",
    "abattle_chat_post",
    "battle_claim_loot",
    "battle_create",
    "battle_join",
    "battle_require_participant",
    "battles_reopen",
    "egg_grant",
    "egg_hatch",
    "idempotency_keys_expire",
    "idempotent",
    "inventory_equip",
    "inventory_grant",
    "inventory_unequip",
    "offer_check",
    "pet_equip",
    "pet_feed",
    "pet_unequip",
    "player_add_xp",
    "player_allocate_stats",
    "player_ensure",
    "player_grant",
    "player_lock",
    "player_regenerate_stamina",
    "player_sync",
    "shop_purchase",
    "trade_swap",
]

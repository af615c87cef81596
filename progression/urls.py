from django.urls import path

from progression import apis

urlpatterns = [
    path("player/me/", apis.PlayerMeApi.as_view(), name="player-me"),
    path("player/allocate-stats/", apis.PlayerAllocateStatsApi.as_view(), name="player-allocate-stats"),
    path("player/regenerate-stamina/", apis.PlayerRegenerateStaminaApi.as_view(), name="player-regenerate-stamina"),
    path("player/ledger/", apis.PlayerLedgerApi.as_view(), name="player-ledger"),
    path("inventory/", apis.InventoryListApi.as_view(), name="inventory"),
    path("inventory/equip/<id:inventory_id>/", apis.InventoryEquipApi.as_view(), name="inventory-equip"),
    path("inventory/unequip/<str:slot>/", apis.InventoryUnequipApi.as_view(), name="inventory-unequip"),
    path("pets/", apis.PetListApi.as_view(), name="pets"),
    path("pets/hatch/<id:egg_id>/", apis.PetHatchApi.as_view(), name="pet-hatch"),
    path("pets/feed/<id:pet_id>/", apis.PetFeedApi.as_view(), name="pet-feed"),
    path("pets/equip/<id:pet_id>/", apis.PetEquipApi.as_view(), name="pet-equip"),
    path("pets/unequip/<id:pet_id>/", apis.PetUnequipApi.as_view(), name="pet-unequip"),
    path("shop/items/", apis.ShopItemListApi.as_view(), name="shop-items"),
    path("shop/purchase/", apis.ShopPurchaseApi.as_view(), name="shop-purchase"),
    path("battles/available/", apis.BattleAvailableApi.as_view(), name="battles-available"),
    path("battles/history/", apis.BattleHistoryApi.as_view(), name="battles-history"),
    path("battles/<id:battle_id>/", apis.BattleDetailApi.as_view(), name="battle-detail"),
    path("battles/join/<id:battle_id>/", apis.BattleJoinApi.as_view(), name="battle-join"),
    path("battles/attack/<id:battle_id>/", apis.BattleAttackApi.as_view(), name="battle-attack"),
    path("battles/claim-loot/<id:battle_id>/", apis.BattleClaimLootApi.as_view(), name="battle-claim-loot"),
]

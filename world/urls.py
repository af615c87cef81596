from django.urls import path

from world import apis
from world.parties import apis as party_apis
from world.trading import apis as trade_apis

urlpatterns = [
    path("world/factions/", apis.FactionListApi.as_view(), name="world-factions"),
    path("world/state/", apis.WorldStateApi.as_view(), name="world-state"),
    path("world/shards/", apis.ShardListApi.as_view(), name="world-shards"),
    path("world/events/", apis.EventListApi.as_view(), name="world-events"),
    path("world/locations/", apis.LocationListApi.as_view(), name="world-locations"),
    path("world/locations/<id:location_id>/players/", apis.LocationPlayersApi.as_view(), name="world-location-players"),
    path("world/announcements/", apis.AnnouncementApi.as_view(), name="world-announcements"),
    path("characters/", apis.CharactersApi.as_view(), name="characters"),
    path("characters/select/", apis.CharacterSelectApi.as_view(), name="character-select"),
    path("characters/<id:character_id>/", apis.CharacterDetailApi.as_view(), name="character-detail"),
    path("party/create/", party_apis.PartyCreateApi.as_view(), name="party-create"),
    path("party/invite/", party_apis.PartyInviteApi.as_view(), name="party-invite"),
    path("party/leave/", party_apis.PartyLeaveApi.as_view(), name="party-leave"),
    path("party/kick/", party_apis.PartyKickApi.as_view(), name="party-kick"),
    path("party/disband/", party_apis.PartyDisbandApi.as_view(), name="party-disband"),
    path("party/<id:party_id>/", party_apis.PartyDetailApi.as_view(), name="party-detail"),
    path("trades/", trade_apis.TradeListApi.as_view(), name="trades"),
]

from django.urls import path

from chat.dms import apis as dm_apis
from chat.lobbies import apis as lobby_apis

urlpatterns = [
    path("lobbies/", lobby_apis.LobbiesApi.as_view(), name="lobby-list"),
    path("lobbies/<id:lobby_id>/", lobby_apis.LobbyDetailApi.as_view(), name="lobby-detail"),
    path("lobbies/<id:lobby_id>/join/", lobby_apis.LobbyJoinApi.as_view(), name="lobby-join"),
    path("lobbies/<id:lobby_id>/leave/", lobby_apis.LobbyLeaveApi.as_view(), name="lobby-leave"),
    path("lobbies/<id:lobby_id>/start/", lobby_apis.LobbyStartApi.as_view(), name="lobby-start"),
    path("lobbies/<id:lobby_id>/kick/", lobby_apis.LobbyKickApi.as_view(), name="lobby-kick"),
    path("lobbies/<id:lobby_id>/ban/", lobby_apis.LobbyBanApi.as_view(), name="lobby-ban"),
    path("lobbies/<id:lobby_id>/bans/", lobby_apis.LobbyBansApi.as_view(), name="lobby-bans"),
    path("lobbies/<id:lobby_id>/events/", lobby_apis.LobbyEventsApi.as_view(), name="lobby-events"),
    path("lobbies/<id:lobby_id>/unban/", lobby_apis.LobbyUnbanApi.as_view(), name="lobby-unban"),
    path("lobbies/<id:lobby_id>/moderators/", lobby_apis.LobbyModeratorAddApi.as_view(), name="lobby-moderator-add"),
    path(
        "lobbies/<id:lobby_id>/moderators/<id:user_id>/",
        lobby_apis.LobbyModeratorRemoveApi.as_view(),
        name="lobby-moderator-remove",
    ),
    path("lobbies/<id:lobby_id>/messages/", lobby_apis.LobbyMessagesApi.as_view(), name="lobby-messages"),
    path(
        "lobbies/<id:lobby_id>/messages/<id:message_id>/",
        lobby_apis.LobbyMessageDeleteApi.as_view(),
        name="lobby-message-delete",
    ),
    path("dm/", dm_apis.DmConversationListApi.as_view(), name="dm-conversations"),
    path("dm/<id:user_id>/messages/", dm_apis.DmMessagesApi.as_view(), name="dm-messages"),
    path("dm/<id:user_id>/read/", dm_apis.DmReadApi.as_view(), name="dm-read"),
]

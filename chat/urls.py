from django.urls import path

from chat.dms import apis as dm_apis
from chat.lobbies import apis as lobby_apis

urlpatterns = [
    path("lobbies/", lobby_apis.LobbiesApi.as_view(), name="lobby-list"),
    path("lobbies/<int:lobby_id>/", lobby_apis.LobbyDetailApi.as_view(), name="lobby-detail"),
    path("lobbies/<int:lobby_id>/join/", lobby_apis.LobbyJoinApi.as_view(), name="lobby-join"),
    path("lobbies/<int:lobby_id>/leave/", lobby_apis.LobbyLeaveApi.as_view(), name="lobby-leave"),
    path("lobbies/<int:lobby_id>/start/", lobby_apis.LobbyStartApi.as_view(), name="lobby-start"),
    path("lobbies/<int:lobby_id>/kick/", lobby_apis.LobbyKickApi.as_view(), name="lobby-kick"),
    path("lobbies/<int:lobby_id>/ban/", lobby_apis.LobbyBanApi.as_view(), name="lobby-ban"),
    path("lobbies/<int:lobby_id>/bans/", lobby_apis.LobbyBansApi.as_view(), name="lobby-bans"),
    path("lobbies/<int:lobby_id>/events/", lobby_apis.LobbyEventsApi.as_view(), name="lobby-events"),
    path("lobbies/<int:lobby_id>/unban/", lobby_apis.LobbyUnbanApi.as_view(), name="lobby-unban"),
    path("lobbies/<int:lobby_id>/moderators/", lobby_apis.LobbyModeratorAddApi.as_view(), name="lobby-moderator-add"),
    path(
        "lobbies/<int:lobby_id>/moderators/<int:user_id>/",
        lobby_apis.LobbyModeratorRemoveApi.as_view(),
        name="lobby-moderator-remove",
    ),
    path("lobbies/<int:lobby_id>/messages/", lobby_apis.LobbyMessagesApi.as_view(), name="lobby-messages"),
    path(
        "lobbies/<int:lobby_id>/messages/<int:message_id>/",
        lobby_apis.LobbyMessageDeleteApi.as_view(),
        name="lobby-message-delete",
    ),
    path("dm/", dm_apis.DmConversationListApi.as_view(), name="dm-conversations"),
    path("dm/<int:user_id>/messages/", dm_apis.DmMessagesApi.as_view(), name="dm-messages"),
    path("dm/<int:user_id>/read/", dm_apis.DmReadApi.as_view(), name="dm-read"),
]

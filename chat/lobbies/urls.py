from django.urls import path

from chat.lobbies import apis

urlpatterns = [
    path("lobbies/", apis.LobbiesApi.as_view(), name="lobby-list"),
    path("lobbies/<int:lobby_id>/", apis.LobbyDetailApi.as_view(), name="lobby-detail"),
    path("lobbies/<int:lobby_id>/join/", apis.LobbyJoinApi.as_view(), name="lobby-join"),
    path("lobbies/<int:lobby_id>/leave/", apis.LobbyLeaveApi.as_view(), name="lobby-leave"),
    path("lobbies/<int:lobby_id>/start/", apis.LobbyStartApi.as_view(), name="lobby-start"),
    path("lobbies/<int:lobby_id>/kick/", apis.LobbyKickApi.as_view(), name="lobby-kick"),
    path("lobbies/<int:lobby_id>/ban/", apis.LobbyBanApi.as_view(), name="lobby-ban"),
    path("lobbies/<int:lobby_id>/bans/", apis.LobbyBansApi.as_view(), name="lobby-bans"),
    path("lobbies/<int:lobby_id>/events/", apis.LobbyEventsApi.as_view(), name="lobby-events"),
    path("lobbies/<int:lobby_id>/unban/", apis.LobbyUnbanApi.as_view(), name="lobby-unban"),
    path("lobbies/<int:lobby_id>/moderators/", apis.LobbyModeratorAddApi.as_view(), name="lobby-moderator-add"),
    path(
        "lobbies/<int:lobby_id>/moderators/<int:user_id>/",
        apis.LobbyModeratorRemoveApi.as_view(),
        name="lobby-moderator-remove",
    ),
    path("lobbies/<int:lobby_id>/messages/", apis.LobbyMessagesApi.as_view(), name="lobby-messages"),
    path(
        "lobbies/<int:lobby_id>/messages/<int:message_id>/",
        apis.LobbyMessageDeleteApi.as_view(),
        name="lobby-message-delete",
    ),
]

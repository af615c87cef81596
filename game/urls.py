from django.urls import path

from game import apis

urlpatterns = [
    path("games/", apis.GameListApi.as_view(), name="game-list"),
    path("games/<id:game_id>/", apis.GameDetailApi.as_view(), name="game-detail"),
    path("games/<id:game_id>/replay/", apis.GameReplayApi.as_view(), name="game-replay"),
    path("games/<id:game_id>/replay/frames/", apis.GameReplayFramesApi.as_view(), name="game-replay-frames"),
    path("game/modes/", apis.ModeListApi.as_view(), name="game-modes"),
    path("game/rooms/", apis.RoomListApi.as_view(), name="game-rooms"),
    path("game/rooms/<id:game_id>/join/", apis.RoomJoinApi.as_view(), name="game-room-join"),
    path("leaderboard/", apis.LeaderboardApi.as_view(), name="leaderboard"),
]

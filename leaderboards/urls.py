from django.urls import path

from leaderboards import apis

urlpatterns = [
    path("leaderboards/", apis.LeaderboardListApi.as_view(), name="leaderboard-list"),
    path("leaderboards/<str:board_id>/", apis.LeaderboardDetailApi.as_view(), name="leaderboard-detail"),
    path("leaderboards/<str:board_id>/records/", apis.RecordListApi.as_view(), name="leaderboard-records"),
    path("tournaments/", apis.TournamentListApi.as_view(), name="tournament-list"),
    path("tournaments/<str:tournament_id>/", apis.TournamentDetailApi.as_view(), name="tournament-detail"),
    path("tournaments/<str:tournament_id>/join/", apis.TournamentJoinApi.as_view(), name="tournament-join"),
]

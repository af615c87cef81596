from django.urls import path

from matchmaking.queue import apis

urlpatterns = [
    path("matchmaking/join/", apis.MatchmakingJoinApi.as_view(), name="matchmaking-join"),
    path("matchmaking/leave/", apis.MatchmakingLeaveApi.as_view(), name="matchmaking-leave"),
    path("matchmaking/status/", apis.MatchmakingStatusApi.as_view(), name="matchmaking-status"),
]

from django.urls import path

from matchmaking.invites import apis as invite_apis
from matchmaking.queue import apis as queue_apis

urlpatterns = [
    path("matchmaking/join/", queue_apis.MatchmakingJoinApi.as_view(), name="matchmaking-join"),
    path("matchmaking/leave/", queue_apis.MatchmakingLeaveApi.as_view(), name="matchmaking-leave"),
    path("matchmaking/status/", queue_apis.MatchmakingStatusApi.as_view(), name="matchmaking-status"),
    path("invites/", invite_apis.InviteListCreateApi.as_view(), name="invites"),
    path("invites/<id:invite_id>/accept/", invite_apis.InviteAcceptApi.as_view(), name="invite-accept"),
    path("invites/<id:invite_id>/decline/", invite_apis.InviteDeclineApi.as_view(), name="invite-decline"),
    path("invites/<id:invite_id>/cancel/", invite_apis.InviteCancelApi.as_view(), name="invite-cancel"),
]

# Seed 000's addresses for the queue, outside /api/ (served by gameplatform.urls; kept out of the schema).
root_urlpatterns = [
    path("game/join/", queue_apis.MatchmakingJoinApi.as_view(schema=None), name="seed-game-join"),
    path("game/leave/", queue_apis.MatchmakingLeaveApi.as_view(schema=None), name="seed-game-leave"),
]

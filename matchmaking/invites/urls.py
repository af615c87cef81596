from django.urls import path

from matchmaking.invites import apis

urlpatterns = [
    path("invites/", apis.InviteListCreateApi.as_view(), name="invites"),
    path("invites/<int:invite_id>/accept/", apis.InviteAcceptApi.as_view(), name="invite-accept"),
    path("invites/<int:invite_id>/decline/", apis.InviteDeclineApi.as_view(), name="invite-decline"),
    path("invites/<int:invite_id>/cancel/", apis.InviteCancelApi.as_view(), name="invite-cancel"),
]

from django.urls import path

from friends import apis

urlpatterns = [
    path("friends/", apis.FriendListApi.as_view(), name="friend-list"),
    path("friends/requests/", apis.FriendRequestListApi.as_view(), name="friend-requests"),
    path("friends/requests/<id:request_id>/", apis.FriendRequestCancelApi.as_view(), name="friend-request-cancel"),
    path(
        "friends/requests/<id:request_id>/accept/",
        apis.FriendRequestAcceptApi.as_view(),
        name="friend-request-accept",
    ),
    path(
        "friends/requests/<id:request_id>/decline/",
        apis.FriendRequestDeclineApi.as_view(),
        name="friend-request-decline",
    ),
    path("friends/blocks/", apis.BlockListApi.as_view(), name="friend-blocks"),
    path("friends/blocks/<id:user_id>/", apis.BlockRemoveApi.as_view(), name="friend-block-remove"),
    path("friends/<id:user_id>/", apis.FriendRemoveApi.as_view(), name="friend-remove"),
]

from django.urls import path

from friends import apis

urlpatterns = [
    path("friends/", apis.FriendListApi.as_view(), name="friend-list"),
    path("friends/requests/", apis.FriendRequestListApi.as_view(), name="friend-requests"),
    path("friends/requests/<int:request_id>/", apis.FriendRequestCancelApi.as_view(), name="friend-request-cancel"),
    path(
        "friends/requests/<int:request_id>/accept/",
        apis.FriendRequestAcceptApi.as_view(),
        name="friend-request-accept",
    ),
    path(
        "friends/requests/<int:request_id>/decline/",
        apis.FriendRequestDeclineApi.as_view(),
        name="friend-request-decline",
    ),
    path("friends/blocks/", apis.BlockListApi.as_view(), name="friend-blocks"),
    path("friends/blocks/<int:user_id>/", apis.BlockRemoveApi.as_view(), name="friend-block-remove"),
    path("friends/<int:user_id>/", apis.FriendRemoveApi.as_view(), name="friend-remove"),
]

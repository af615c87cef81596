from django.urls import path

from groups import apis

urlpatterns = [
    path("groups/", apis.GroupsApi.as_view(), name="group-list"),
    path("groups/mine/", apis.GroupMineApi.as_view(), name="group-mine"),
    path("groups/<id:group_id>/", apis.GroupDetailApi.as_view(), name="group-detail"),
    path("groups/<id:group_id>/join/", apis.GroupJoinApi.as_view(), name="group-join"),
    path("groups/<id:group_id>/leave/", apis.GroupLeaveApi.as_view(), name="group-leave"),
    path("groups/<id:group_id>/members/", apis.GroupMembersApi.as_view(), name="group-members"),
    path("groups/<id:group_id>/requests/", apis.GroupRequestsApi.as_view(), name="group-requests"),
    path(
        "groups/<id:group_id>/requests/<id:user_id>/accept/",
        apis.GroupRequestAcceptApi.as_view(),
        name="group-request-accept",
    ),
    path(
        "groups/<id:group_id>/requests/<id:user_id>/decline/",
        apis.GroupRequestDeclineApi.as_view(),
        name="group-request-decline",
    ),
    path("groups/<id:group_id>/promote/", apis.GroupPromoteApi.as_view(), name="group-promote"),
    path("groups/<id:group_id>/demote/", apis.GroupDemoteApi.as_view(), name="group-demote"),
    path("groups/<id:group_id>/kick/", apis.GroupKickApi.as_view(), name="group-kick"),
    path("groups/<id:group_id>/ban/", apis.GroupBanApi.as_view(), name="group-ban"),
    path("groups/<id:group_id>/messages/", apis.GroupMessagesApi.as_view(), name="group-messages"),
]

from django.urls import path

from chat.dms import apis

urlpatterns = [
    path("dm/", apis.DmConversationListApi.as_view(), name="dm-conversations"),
    path("dm/<int:user_id>/messages/", apis.DmMessagesApi.as_view(), name="dm-messages"),
    path("dm/<int:user_id>/read/", apis.DmReadApi.as_view(), name="dm-read"),
]

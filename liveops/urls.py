from django.urls import path

from liveops import apis
from liveops.analytics import apis as analytics_apis
from liveops.inbox import apis as inbox_apis
from liveops.schedule import apis as schedule_apis

urlpatterns = [
    path("liveops/", apis.LiveopsApi.as_view(), name="liveops"),
    path("liveops/attributes/", apis.AttributesApi.as_view(), name="liveops-attributes"),
    path("liveops/admin/flags/", apis.FlagListApi.as_view(), name="liveops-flags"),
    path("liveops/admin/flags/<str:name>/", apis.FlagApi.as_view(), name="liveops-flag"),
    path("liveops/admin/flags/<str:name>/history/", apis.FlagHistoryApi.as_view(), name="liveops-flag-history"),
    path("liveops/admin/flags/<str:name>/rollback/", apis.FlagRollbackApi.as_view(), name="liveops-flag-rollback"),
    path("liveops/admin/live-events/", schedule_apis.LiveEventListApi.as_view(), name="liveops-live-events"),
    path("liveops/admin/live-events/<id:event_id>/", schedule_apis.LiveEventApi.as_view(), name="liveops-live-event"),
    path(
        "liveops/admin/live-events/<id:event_id>/history/",
        schedule_apis.LiveEventHistoryApi.as_view(),
        name="liveops-live-event-history",
    ),
    path(
        "liveops/admin/live-events/<id:event_id>/rollback/",
        schedule_apis.LiveEventRollbackApi.as_view(),
        name="liveops-live-event-rollback",
    ),
    path(
        "liveops/live-events/<id:event_id>/join/",
        schedule_apis.LiveEventJoinApi.as_view(),
        name="liveops-live-event-join",
    ),
    path("liveops/messages/", inbox_apis.InboxApi.as_view(), name="liveops-messages"),
    path("liveops/messages/<id:message_id>/read/", inbox_apis.InboxReadApi.as_view(), name="liveops-message-read"),
    path("liveops/messages/<id:message_id>/claim/", inbox_apis.InboxClaimApi.as_view(), name="liveops-message-claim"),
    path("liveops/admin/messages/", inbox_apis.MessageCreateApi.as_view(), name="liveops-admin-messages"),
    path("liveops/events/", analytics_apis.EventsApi.as_view(), name="liveops-events"),
    path(
        "liveops/admin/experiments/<str:key>/results/",
        analytics_apis.ExperimentResultsApi.as_view(),
        name="liveops-experiment-results",
    ),
]

from django.urls import path

from liveops import apis

urlpatterns = [
    path("liveops/", apis.LiveopsApi.as_view(), name="liveops"),
    path("liveops/attributes/", apis.AttributesApi.as_view(), name="liveops-attributes"),
    path("liveops/admin/flags/", apis.FlagListApi.as_view(), name="liveops-flags"),
    path("liveops/admin/flags/<str:name>/", apis.FlagApi.as_view(), name="liveops-flag"),
]

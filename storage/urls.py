from django.urls import path

from storage import apis

urlpatterns = [
    path("storage/<str:collection>/", apis.StorageListApi.as_view(), name="storage-list"),
    path("storage/<str:collection>/<str:key>/", apis.StorageObjectApi.as_view(), name="storage-object"),
]

from django.urls import path

from wordfilter import apis

urlpatterns = [
    path("moderation/words/", apis.WordsApi.as_view(), name="moderation-words"),
    path("moderation/words/<id:word_id>/", apis.WordApi.as_view(), name="moderation-word"),
]

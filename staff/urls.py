# Under /api/ (gameplatform/urls.py). The moderation prefix is shared with the safety app:
# this module serves only /api/moderation/audit/.
from django.urls import path

from staff.apis import AuditListApi

urlpatterns = [
    path("moderation/audit/", AuditListApi.as_view(), name="moderation-audit"),
]

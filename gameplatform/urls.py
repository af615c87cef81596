from importlib.util import find_spec

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from gameplatform.system import StatusApi

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/status/", StatusApi.as_view(), name="status"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
]

# Each project app that has a urls module serves it under /api/.
urlpatterns += [
    path("api/", include(f"{app}.urls")) for app in settings.PROJECT_APPS if find_spec(f"{app}.urls") is not None
]

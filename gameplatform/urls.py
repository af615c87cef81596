from importlib import import_module
from importlib.util import find_spec

from django.conf import settings
from django.contrib import admin
from django.http import HttpResponse, JsonResponse
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from gameplatform.http.middleware import REDOC_CONTENT_SECURITY_POLICY
from gameplatform.http.paths import API_NOT_FOUND, by_first_segment
from gameplatform.operations.system import StatusApi
from gameplatform.reference.asyncapi import asyncapi_json_view, asyncapi_view


class RedocView(SpectacularRedocView):
    """ReDoc under a policy that lets it show the logo it loads (the site's policy otherwise)."""

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response["Content-Security-Policy"] = REDOC_CONTENT_SECURITY_POLICY
        return response


@csrf_exempt
def api_not_found(request, *args, **kwargs):
    """Any other path under /api/, any method: the contract's JSON 404, never an HTML page."""
    return JsonResponse({"detail": "No such API route.", "code": "not_found"}, status=404)


def favicon(request):
    """No icon, answered: a page that names none (the admin's) makes the browser ask for
    /favicon.ico, whose 404 showed in its console. Kept a day, so it is not asked again."""
    return HttpResponse(status=204, headers={"Cache-Control": "public, max-age=86400"})


# An outage (Redis, database) outside DRF views answers a JSON 503, not an HTML 500; on API
# paths (``/api`` in any case) every error Django answers itself is the contract's JSON.
handler400 = "gameplatform.core.errors.bad_request"
handler403 = "gameplatform.core.errors.permission_denied"
handler404 = "gameplatform.core.errors.page_not_found"
handler500 = "gameplatform.core.errors.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("favicon.ico", favicon, name="favicon"),
    path("api/status/", StatusApi.as_view(), name="status"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    path("api/asyncapi/", asyncapi_view, name="asyncapi"),
    path("api/asyncapi.json", asyncapi_json_view, name="asyncapi-json"),
    # Seed 001's documentation addresses.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="seed-docs"),
    path("redoc/", RedocView.as_view(url_name="schema"), name="redoc"),
]

# Each project app that has a urls module serves it under /api/, its routes grouped by their first
# segment (``by_first_segment``: a route is found after a few dozen failed matches, not a few hundred).
_API_APPS = [app for app in settings.PROJECT_APPS if find_spec(f"{app}.urls") is not None]
urlpatterns += [
    path("api/", include(by_first_segment([p for app in _API_APPS for p in import_module(f"{app}.urls").urlpatterns])))
]

# Routes outside /api/ that a seed's clients call (e.g. matchmaking's ``/game/join/``):
# an app's urls module lists them as ``root_urlpatterns``.
for app in _API_APPS:
    urlpatterns += getattr(import_module(f"{app}.urls"), "root_urlpatterns", [])

urlpatterns += [re_path(r"^api/", api_not_found, name=API_NOT_FOUND)]

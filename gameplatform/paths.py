"""Trailing slash optional, on every route, without a redirect.

Every route is written with a trailing slash. A request or socket whose path lacks
it is served as if it had it: ``POST /api/auth/login`` is ``POST /api/auth/login/``
and ``/ws/battle/7?token=...`` is ``/ws/battle/7/``. Django's ``APPEND_SLASH``
redirect is off (``settings.APPEND_SLASH = False``): a redirect drops a POST body.
"""

from django.urls import Resolver404, resolve

# The name of the ``/api/`` catch-all (``gameplatform.urls``): a path it answers is no real route.
API_NOT_FOUND = "api-not-found"


class TrailingSlashMiddleware:
    """HTTP: a path without its trailing slash is resolved with it, when that names a route."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path and not path.endswith("/"):
            try:
                match = resolve(path + "/", getattr(request, "urlconf", None))
            except Resolver404:
                match = None
            if match is not None and match.url_name != API_NOT_FOUND:
                request.path_info = path + "/"
                request.path = request.path + "/"
        return self.get_response(request)


class WebSocketTrailingSlash:
    """Sockets: every socket route ends with a slash, so a path without one gets it."""

    def __init__(self, application) -> None:
        self.application = application

    async def __call__(self, scope, receive, send):
        path = scope.get("path", "")
        if not path.endswith("/"):
            scope = {**scope, "path": path + "/"}
            if "raw_path" in scope and scope["raw_path"] is not None:
                scope["raw_path"] = scope["raw_path"] + b"/"
        return await self.application(scope, receive, send)

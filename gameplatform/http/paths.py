"""Trailing slash optional, on every route, without a redirect.

Every route is written with a trailing slash. A request or socket whose path lacks
it is served as if it had it: ``POST /api/auth/login`` is ``POST /api/auth/login/``
and ``/ws/battle/7?token=...`` is ``/ws/battle/7/``. Django's ``APPEND_SLASH``
redirect is off (``settings.APPEND_SLASH = False``): a redirect drops a POST body.
"""

from django.urls import Resolver404, URLPattern, include, path, resolve

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

    def __call__(self, scope, receive, send):
        # Not ``async``: the inner app's coroutine goes to the caller to await (a tail call), so no
        # frame of this layer lives as long as the socket (about 250 bytes each). Not for an outermost
        # app: asgiref's guarantee_single_callable would take it for an ASGI 2 app.
        path = scope.get("path", "")
        if not path.endswith("/"):
            scope = {**scope, "path": path + "/"}
            if "raw_path" in scope and scope["raw_path"] is not None:
                scope["raw_path"] = scope["raw_path"] + b"/"
        return self.application(scope, receive, send)


def by_first_segment(patterns: list) -> list:
    """``patterns`` with the routes that begin with a literal segment (``"liveops/admin/flags/"``)
    grouped under it: one ``include`` per segment (``"liveops/"``), each route in it written
    without the segment, in the order it came; the others (a regular expression, a converter first,
    an include) kept where they were. Every route matches what it matched, with the same name,
    view and ``route``.

    Django tries a request's path against each pattern in turn: with every app's routes in one
    list, a route of the last apps was found after some 150 failed matches (335 us for
    ``/api/liveops/`` against 52 for ``/api/me/``); grouped, after a few dozen segments."""
    grouped, groups = [], {}
    for pattern in patterns:
        route = str(pattern.pattern) if isinstance(pattern, URLPattern) else ""
        head, slash, rest = route.partition("/")
        if not slash or not head or any(c in head for c in "^$<>()[]\\?*+"):
            grouped.append(pattern)
            continue
        if head not in groups:
            groups[head] = []
            grouped.append(path(f"{head}/", include(groups[head])))
        groups[head].append(path(rest, pattern.callback, pattern.default_args, pattern.name))
    return grouped

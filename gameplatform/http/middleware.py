"""Project middleware: NUL in query parameters, the Content-Security-Policy of HTML pages, and the
middlewares of cookies and static files, which API requests pass by."""

from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoAuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware as DjangoMessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.http import JsonResponse
from whitenoise.middleware import WhiteNoiseMiddleware as StockWhiteNoiseMiddleware

from gameplatform.core.parsers import NUL_MESSAGE


class SkippedOnApiPaths:
    """Mixin for a middleware class: a request under ``settings.API_PATH_PREFIXES`` goes straight on
    to the rest of the chain; any other one through the middleware, unchanged.

    The REST API authenticates by bearer token, never by cookie, and serves no static files: its
    requests need no session, cookie user, messages or WhiteNoise. The classes below are the
    libraries' own, listed in ``settings.MIDDLEWARE`` under these names; as subclasses they still
    satisfy the admin's checks. CSRF stays Django's own class on every path: Django's deploy checks
    look for it by its dotted path, and every API view is exempt (DRF's views, ``api_not_found``).
    """

    def __init__(self, get_response):
        super().__init__(get_response)
        self.rest_of_chain = get_response
        self.api_prefixes = tuple(settings.API_PATH_PREFIXES)

    def __call__(self, request):
        if request.path_info.startswith(self.api_prefixes):
            return self.rest_of_chain(request)
        return super().__call__(request)


class WhiteNoiseMiddleware(SkippedOnApiPaths, StockWhiteNoiseMiddleware):
    """WhiteNoise's middleware, off API paths only."""


class SessionMiddleware(SkippedOnApiPaths, DjangoSessionMiddleware):
    """Django's session middleware, off API paths only."""


class AuthenticationMiddleware(SkippedOnApiPaths, DjangoAuthenticationMiddleware):
    """Django's cookie user (``request.user``), off API paths only: DRF sets the token's user."""


class MessageMiddleware(SkippedOnApiPaths, DjangoMessageMiddleware):
    """Django's messages, off API paths only."""


class QueryNulMiddleware:
    """A query parameter (name or value) holding NUL is answered 400 ``invalid``, naming it.

    PostgreSQL refuses NUL in text, so such a value reaching a query would be a 500
    (e.g. ``GET /api/users/?search=a%00b``). Refused here once, for every view.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if "%00" in query or "\x00" in query:
            for name, values in request.GET.lists():
                if "\x00" in name or any("\x00" in value for value in values):
                    return JsonResponse(
                        {
                            "detail": f"Null characters (\\u0000) are not allowed: query parameter {name!r}.",
                            "code": "invalid",
                            "fields": {name: [NUL_MESSAGE]},
                        },
                        status=400,
                    )
        return self.get_response(request)


# Compatible with the admin (no inline scripts since Django 3) and the API docs:
# Swagger UI is served as the split view (its init script is a same-origin file, see
# urls.py) from the sidecar's static files; Swagger's and Redoc's inline <style>
# blocks need 'unsafe-inline' for styles only; Redoc loads Google Fonts and runs a
# blob: worker. Scripts come from this origin only.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline' https://fonts.googleapis.com",
        "font-src 'self' data: https://fonts.gstatic.com",
        "img-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def policy_with(**extra: str) -> str:
    """The site's policy with sources added to some directives: ``policy_with(img_src="https://x")``."""
    directives = []
    for directive in CONTENT_SECURITY_POLICY.split("; "):
        name = directive.split(" ", 1)[0]
        more = extra.get(name.replace("-", "_"))
        directives.append(f"{directive} {more}" if more else directive)
    return "; ".join(directives)


# ReDoc's sidebar shows Redocly's logo, an image its bundle loads from cdn.redoc.ly: allowed on
# that page only.
REDOC_CONTENT_SECURITY_POLICY = policy_with(img_src="https://cdn.redoc.ly")


class ContentSecurityPolicyMiddleware:
    """Sets ``Content-Security-Policy`` on HTML responses that have none."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html") and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        return response

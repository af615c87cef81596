"""The admin site, with its login throttled like the API's (``accounts.services`` login windows).

``INSTALLED_APPS`` lists ``accounts.admin_apps.GameAdminConfig`` instead of
``django.contrib.admin``, so ``admin.site`` (and every ``@admin.register``) is this site.

A higher app adds a page of its own to the site with ``admin.site.add_page`` (in its
``AppConfig.ready``): served staff-only under ``/admin/<route>`` and linked from the index;
with ``allowed`` (e.g. a staff role check), only to the staff it allows: the others get 403
and no link.
"""

from collections.abc import Callable

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.urls import path

from accounts import locks, services
from gameplatform.core.errors import RateLimited


def _anyone(request) -> bool:
    return True


def _gated(view, allowed: Callable[..., bool]):
    def gated(request, *args, **kwargs):
        if not allowed(request):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return gated


class ThrottledAdminSite(admin.AdminSite):
    """``/admin/login/`` spends the same failure windows as ``POST /api/auth/login/``: per
    account (whatever name or email was typed) and per client address. Past
    ``LOGIN_FAILURE_LIMIT`` failures in ``LOGIN_FAILURE_WINDOW_SECONDS`` a login POST is
    refused with 429 ``{"detail", "code": "rate_limited", "retry_after"}`` and ``Retry-After``,
    right password or not."""

    index_template = "accounts/admin_index.html"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.pages: list[tuple[str, str, str, object]] = []  # (route, url name, title, view)
        self.listed: list[str] = []  # the url names of the pages the index links
        self.page_allowed: dict[str, Callable] = {}  # url name -> who may open it (request -> bool)

    def add_page(
        self,
        route: str,
        view,
        *,
        name: str,
        title: str,
        listed: bool = True,
        allowed: Callable[..., bool] | None = None,
    ) -> None:
        """Serve ``view`` at ``/admin/<route>`` to staff (``admin_view``), linked from the index as
        ``title`` unless not ``listed`` (a page of one object, ``<int:...>`` in its route, is
        linked from another page). ``allowed(request)``: whether this staff member may open it
        (else 403 and no link on the index); without it, any staff member may."""
        if allowed is not None:
            self.page_allowed[name] = allowed
            view = _gated(view, allowed)
        self.pages.append((route, name, title, view))
        if listed:
            self.listed.append(name)

    def has_permission(self, request) -> bool:
        """Staff whose account is suspended or banned lose the admin at once, their open session too
        (``accounts.locks``): every admin page asks this."""
        return super().has_permission(request) and not locks.is_locked(request.user)

    def get_urls(self):
        pages = [path(route, self.admin_view(view), name=name) for route, name, _, view in self.pages]
        return pages + super().get_urls()

    def index(self, request, extra_context=None):
        pages = [
            (name, title)
            for _, name, title, _ in self.pages
            if name in self.listed and self.page_allowed.get(name, _anyone)(request)
        ]
        extra = {"admin_pages": pages, **(extra_context or {})}
        return super().index(request, extra)

    def login(self, request, extra_context=None):
        if request.method != "POST":
            return super().login(request, extra_context)
        identifier = request.POST.get("username", "")
        budgets = services.login_budgets(
            identifier, request.META.get("REMOTE_ADDR", "unknown"), services.login_account(identifier)
        )
        try:
            services.login_attempt_reserve(budgets)
        except RateLimited as exc:
            response = JsonResponse(exc.as_dict(), status=exc.status_code)
            response["Retry-After"] = str(max(1, int(exc.retry_after + 0.999)))
            return response
        response = super().login(request, extra_context)
        if response.status_code == 302:  # logged in: the login view redirects
            services.login_succeeded(budgets)
        elif response.status_code == 200:  # the form again, with "enter a correct username and password"
            services.login_failed(budgets)
        return response

"""``django.contrib.admin`` with the login-throttled site (``accounts.admin_site``).

Its own module: ``INSTALLED_APPS`` imports it before any model can load."""

from django.contrib.admin.apps import AdminConfig


class GameAdminConfig(AdminConfig):
    default_site = "accounts.admin_site.ThrottledAdminSite"

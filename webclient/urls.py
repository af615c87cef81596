"""Nothing under ``/api/``: the web client's pages sit at the site's root (``root_urlpatterns``,
served by ``gameplatform.urls`` like the seeds' own routes)."""

from django.urls import path

from webclient import account_pages, views

urlpatterns: list = []

root_urlpatterns = [
    path("", views.front_page, name="front-page"),
    path("play/", views.play, name="play"),
    path("account/reset/", account_pages.account_reset, name="account-reset"),
    path("account/verify/", account_pages.account_verify, name="account-verify"),
    path("account/delete/", views.account_delete, name="account-delete"),
]

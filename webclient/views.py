"""The web client's two pages. Everything else is static: the page talks to the public API."""

from django.shortcuts import render
from django.views.decorators.http import require_safe


@require_safe
def front_page(request):
    """``/``: where a newcomer goes next (the web client, the API docs, the admin)."""
    return render(request, "webclient/front.html")


@require_safe
def play(request):
    """``/play/``: the single-page web client (``static/webclient/app.js``)."""
    return render(request, "webclient/play.html")

"""The web client's pages. Everything else is static: the page talks to the public API."""

from django import forms
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_safe

from accounts.services import user_delete_request_signed_in
from gameplatform.core.errors import ApplicationError


@require_safe
def front_page(request):
    """``/``: where a newcomer goes next (the web client, the API docs, the admin)."""
    return render(request, "webclient/front.html")


@require_safe
def play(request):
    """``/play/``: the single-page web client (``static/webclient/app.js``)."""
    return render(request, "webclient/play.html")


class AccountDeleteForm(forms.Form):
    username = forms.CharField(max_length=254, label="Username or email")
    password = forms.CharField(max_length=128, strip=False, widget=forms.PasswordInput)


@require_http_methods(["GET", "HEAD", "POST"])
def account_delete(request):
    """``/account/delete/``: deleting an account without the app (Google Play asks for such a page),
    by the same rules as ``POST /api/me/delete/`` (the grace, then the timer)."""
    form = AccountDeleteForm(request.POST or None)
    delete_at = None
    if request.method == "POST" and form.is_valid():
        try:
            delete_at = user_delete_request_signed_in(
                identifier=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                address=request.META.get("REMOTE_ADDR", "unknown"),
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
    status = 400 if request.method == "POST" and delete_at is None else 200
    return render(request, "webclient/account_delete.html", {"form": form, "delete_at": delete_at}, status=status)

"""The pages the account mails link to: ``/account/reset/`` sets a new password, ``/account/verify/``
confirms an address. Plain forms (no script): they work in any browser, outside the game.

The link's token stays out of other sites' logs (``Referrer-Policy: same-origin``: not
``no-referrer``, under which the browser posts the form with ``Origin: null`` and Django's CSRF
check refuses it) and out of ours (the request log redacts ``token=``). Verification waits for a
press of its button: a mail scanner that opens every link verifies nothing.
"""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from accounts import mail, recovery
from gameplatform.core.errors import ApplicationError
from gameplatform.http.serializers import ValidationError


def _page(request, template: str, context: dict, status: int = 200):
    response = render(request, template, context, status=status)
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "no-store"
    return response


def _link(request) -> dict:
    source = request.POST if request.method == "POST" else request.GET
    return {"uid": source.get("uid", "")[:64], "token": source.get("token", "")[:128]}


def _errors(exc: ValidationError) -> list[str]:
    detail = exc.detail
    if isinstance(detail, dict):
        return [str(message) for messages in detail.values() for message in messages]
    return [str(message) for message in detail]


@require_http_methods(["GET", "POST"])
def account_reset(request):
    """``/account/reset/?uid=&token=``: a form that sets the account's new password (the reset mail's link)."""
    if not mail.mail_configured():
        raise Http404("Mail is not configured on this server.")
    link = _link(request)
    context = {"link": link, "valid": mail.link_user(**link, tokens=mail.reset_tokens) is not None}
    if request.method == "GET" or not context["valid"]:
        return _page(request, "webclient/account_reset.html", context, status=200 if context["valid"] else 400)
    password, again = request.POST.get("new_password", ""), request.POST.get("new_password_again", "")
    if password != again:
        return _page(request, "webclient/account_reset.html", {**context, "errors": ["The passwords differ."]}, 400)
    try:
        recovery.password_reset_confirm(**link, new_password=password, address=request.META.get("REMOTE_ADDR", ""))
    except ValidationError as exc:
        return _page(request, "webclient/account_reset.html", {**context, "errors": _errors(exc)}, 400)
    except ApplicationError as exc:
        return _page(request, "webclient/account_reset.html", {**context, "errors": [exc.message]}, exc.status_code)
    return _page(request, "webclient/account_reset.html", {**context, "done": True})


@require_http_methods(["GET", "POST"])
def account_verify(request):
    """``/account/verify/?uid=&token=``: a button that confirms the address (the verification mail's link)."""
    if not mail.mail_configured():
        raise Http404("Mail is not configured on this server.")
    link = _link(request)
    context = {"link": link, "valid": mail.link_user(**link, tokens=mail.verify_tokens) is not None}
    if request.method == "GET" or not context["valid"]:
        return _page(request, "webclient/account_verify.html", context, status=200 if context["valid"] else 400)
    try:
        recovery.email_verify(**link)
    except ApplicationError as exc:
        return _page(request, "webclient/account_verify.html", {**context, "errors": [exc.message]}, exc.status_code)
    return _page(request, "webclient/account_verify.html", {**context, "done": True})

"""drf-spectacular, as the project uses it: component names, and the error answers of every operation."""

import inspect
import re
from collections.abc import Callable
from typing import TypeVar

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import permissions
from rest_framework.mixins import ListModelMixin

from gameplatform.http import serializers

# --- Error answers ------------------------------------------------------------------
#
# Every operation documents the errors it can answer, in the contract's error shape. The
# answers any operation can give are added by rule from what the view is (its method,
# path, permissions, throttles, pagination and filters): 400 ``invalid``/``parse_error``
# with a body or parameters, 413 with a body, 401 unless it is public, 404 with a path id
# or a page, 429 with a throttle, 503 always. The codes of the operation's own rules are
# declared on its handler with ``@error_codes({status: codes})``; a test
# (``gameplatform/tests/test_error_codes_declared.py``) reads the source the handler
# reaches and fails when a code it can raise is not declared.


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, for people.")
    code = serializers.CharField(help_text="What went wrong, for programs: the codes are listed per answer.")
    retry_after = serializers.FloatField(required=False, help_text="Seconds to wait (429, 503).")
    fields = serializers.DictField(required=False, help_text="Field errors, when the input was invalid.")


Handler = TypeVar("Handler", bound=Callable)


def error_codes(answers: dict[int, tuple[str, ...]]) -> Callable[[Handler], Handler]:
    """Declare the error codes a REST operation answers beyond the generic ones, by status:

    .. code-block:: python

        class LobbyJoinApi(APIView):
            @error_codes({403: ("banned", "private_lobby"), 409: ("lobby_closed", "lobby_full")})
            def post(self, request, lobby_id: int) -> Response:
                ...

    Put it on the handler method (``get``, ``post``, ...): each of a view's operations declares
    its own. List every code the services the handler calls can raise and a client can meet,
    with the status it is answered with (``Conflict`` 409, ``Forbidden`` 403, ...).
    """

    def declare(handler: Handler) -> Handler:
        handler.error_codes = {int(status): tuple(codes) for status, codes in answers.items()}
        return handler

    return declare


def declared_error_codes(handler) -> dict[int, tuple[str, ...]]:
    """``{status: codes}`` a handler declares with ``@error_codes``; empty when it declares none."""
    return getattr(handler, "error_codes", {})


GENERIC_CODES = {
    400: ["invalid", "parse_error"],
    401: ["not_authenticated", "authentication_failed", "token_not_valid"],
    404: ["not_found"],
    413: ["too_large"],
    429: ["rate_limited"],
    503: ["unavailable", "overloaded"],
}
STATUS_TEXT = {
    400: "The input is invalid.",
    401: "Not authenticated.",
    402: "Not enough of a currency to pay.",
    403: "Not allowed.",
    404: "Not found.",
    409: "Refused by the current state.",
    410: "Gone.",
    412: "A precondition failed (`If-Match` / `If-None-Match`): read the object again.",
    413: "The body is larger than HTTP_MAX_BODY_BYTES.",
    429: "Too many requests: wait `retry_after` seconds (also in `Retry-After`).",
    503: "A service the server needs is unavailable, or the process is busy: retry after `retry_after` seconds.",
}


# Summaries made from a view's name: the verb its name holds (``FriendRequestAcceptApi``), else
# one for the method.
NAME_VERBS = {
    word: word
    for word in (
        "Accept",
        "Add",
        "Allocate",
        "Attack",
        "Ban",
        "Cancel",
        "Claim",
        "Decline",
        "Delete",
        "Disband",
        "Equip",
        "Feed",
        "Hatch",
        "Invite",
        "Join",
        "Kick",
        "Leave",
        "Purchase",
        "Read",
        "Regenerate",
        "Remove",
        "Select",
        "Start",
        "Unban",
        "Unequip",
    )
} | {"Login": "Log in", "Logout": "Log out", "Register": "Register", "Refresh": "Refresh"}
METHOD_VERBS = {"POST": "Create", "PUT": "Replace", "PATCH": "Update", "DELETE": "Delete"}


class AutoSchema(SpectacularAutoSchema):
    """Names nested serializers after their view: ``LobbyJoinApi.InputSerializer`` -> ``LobbyJoinInput``.

    Views keep their Input/Output serializers nested (one operation, one place),
    so the plain class name would collide across views.
    """

    def get_summary(self) -> str:
        """The operation's one-line name in Swagger and ReDoc: the first sentence of its docstring
        when that reads as one, else words from the view's name (``LobbyJoinApi`` -> "Join lobby")."""
        handler = getattr(self.view, self.method.lower(), None)
        handler_doc = (inspect.getdoc(handler) or "") if handler is not None else ""
        first = " ".join((handler_doc or self.get_description()).strip().split("\n\n")[0].split())
        sentence = re.split(r"(?<=\.)\s", first, maxsplit=1)[0].rstrip(".").replace("``", "`")
        # A docstring shared by the view's several methods names none of them well.
        shared = not handler_doc and len(set(self.view.allowed_methods) - {"OPTIONS", "HEAD"}) > 1
        readable = (
            not shared
            and len(sentence.split()) >= 4
            and len(sentence) <= 100
            and sentence.count("(") == sentence.count(")")
            and ":" not in sentence  # "Owner only: …", a rule rather than a name
            and not re.search(r"\(\d{3}\)", sentence)  # "… only (403)"
        )
        return sentence if readable else self.summary_from_name()

    def summary_from_name(self) -> str:
        name = re.sub(r"(Api|APIView|View)$", "", type(self.view).__name__)
        named = re.findall(r"[A-Z][a-z0-9]*|[a-z0-9]+", name)
        words = [w for w in named if w not in ("List", "Detail", "Create")]
        # A verb after the noun it acts on (``InviteAccept``); a name of one word may be the verb itself.
        first = 0 if len(named) == 1 else 1
        verb = next((i for i in reversed(range(first, len(words))) if words[i] in NAME_VERBS), None)
        if verb is not None:
            what = " ".join(words[verb + 1 :] or words[:verb]).lower()
            whose = " ".join(words[:verb]).lower() if words[verb + 1 :] and words[:verb] else ""
            return " ".join(filter(None, [NAME_VERBS[words[verb]], what, f"({whose})" if whose else ""]))
        what = " ".join(words).lower()
        if self.method == "GET":
            return f"{'List' if self.answers_a_list() else 'Get'} {what}"
        return f"{METHOD_VERBS.get(self.method, self.method.title())} {what}"

    def get_serializer_name(self, serializer, direction):
        cls = serializer.__class__
        outer, _, inner = cls.__qualname__.rpartition(".")
        if not outer or "<locals>" in outer:
            return super().get_serializer_name(serializer, direction)
        outer = outer.split(".")[-1]
        outer = outer[: -len("Api")] if outer.endswith("Api") else outer
        inner = inner[: -len("Serializer")] if inner.endswith("Serializer") else inner
        return f"{outer}{inner}"

    def answers_a_list(self) -> bool:
        """A GET that answers a list: a generic list view, or one whose answer is ``many=True``."""
        if self.method != "GET":
            return False
        if isinstance(self.view, ListModelMixin):
            return True
        answer = self.get_response_serializers()
        if isinstance(answer, dict):
            answer = answer.get(200, answer.get("200"))
        return isinstance(answer, serializers.ListSerializer)

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:  # excluded from the schema
            return None
        error = self.resolve_serializer(ErrorSerializer, "response").ref
        for status, codes in self.error_answers().items():
            listed = ", ".join(f"`{code}`" for code in sorted(codes))
            operation["responses"][str(status)] = {
                "content": {media_type: {"schema": error} for media_type in self.map_renderers("media_type")},
                "description": STATUS_TEXT.get(status, "Error.") + (f" Codes: {listed}." if listed else ""),
            }
        operation["responses"] = dict(sorted(operation["responses"].items()))
        return operation

    def error_answers(self) -> dict[int, set[str]]:
        """``{status: codes}`` this operation can answer with the contract's error shape: the
        generic answers by rule, and the codes its handler declares."""
        answers: dict[int, set[str]] = {}

        def add(status: int, *codes: str) -> None:
            answers.setdefault(status, set()).update(codes)

        has_body = self.method in ("POST", "PUT", "PATCH")
        has_path_id = "{" in self.path
        paged = self.answers_a_list() and getattr(self.view, "paginator", None) is not None
        filtered = self.answers_a_list() and any(
            backend().get_schema_operation_parameters(self.view) for backend in self.get_filter_backends()
        )
        if has_body or has_path_id or paged or filtered:
            add(400, *GENERIC_CODES[400])
        if has_body:
            add(413, *GENERIC_CODES[413])
        if not all(isinstance(p, permissions.AllowAny) for p in self.view.get_permissions()):
            add(401, *GENERIC_CODES[401])
        if has_path_id or paged:  # no such object, or no such page
            add(404, *GENERIC_CODES[404])
        if self.view.get_throttles():
            add(429, *GENERIC_CODES[429])
        add(503, *GENERIC_CODES[503])
        handler = getattr(type(self.view), self.method.lower(), None)
        for status, codes in declared_error_codes(handler).items():
            add(status, *codes)
        return dict(sorted(answers.items()))

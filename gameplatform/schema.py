"""drf-spectacular, as the project uses it: component names, and the error answers of every operation."""

import ast
import builtins
import functools
import inspect
import re
import textwrap
import types

from django.conf import settings
from django.http import Http404
from drf_spectacular.drainage import warn
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import get_doc
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions as drf_exceptions
from rest_framework import permissions

from gameplatform import serializers
from gameplatform.errors import ApplicationError, RateLimited, Unavailable

# --- Error answers ------------------------------------------------------------------
#
# Every operation documents the errors it can answer. The codes an operation's own code
# raises are read from the source: the view method and, through the calls it makes,
# every project function it reaches (a few levels deep). An ``ApplicationError``
# raised there gives its status and ``code`` (the keyword, or the class's default);
# DRF's exceptions and ``Http404`` give theirs. The answers any operation can give
# (validation, authentication, size, outage) are added from what the view declares.
# So the schema cannot drift from the code: a new ``raise Conflict(..., code="x")``
# in a service shows up on every operation that reaches it.

SEARCH_DEPTH = 5


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, for people.")
    code = serializers.CharField(help_text="What went wrong, for programs: the codes are listed per answer.")
    retry_after = serializers.FloatField(required=False, help_text="Seconds to wait (429, 503).")
    fields = serializers.DictField(required=False, help_text="Field errors, when the input was invalid.")


@functools.cache
def _project_packages() -> frozenset[str]:
    """The project's own packages: the walk follows their code only (never Django's or a library's)."""
    return frozenset(settings.PROJECT_APPS) | {"gameplatform"}


def _is_project_code(obj) -> bool:
    module = getattr(obj, "__module__", None) or ""
    return module.split(".")[0] in _project_packages()


def _resolve(node: ast.expr, namespace: dict, owner: type | None):
    """The object an expression names (``name``, ``a.b.c``, ``self.x``), or None."""
    if isinstance(node, ast.Name):
        if node.id == "self" and owner is not None:
            return owner
        return namespace.get(node.id, getattr(builtins, node.id, None))
    if isinstance(node, ast.Attribute):
        base = _resolve(node.value, namespace, owner)
        if base is None:
            return None
        try:
            return inspect.getattr_static(base, node.attr) if isinstance(base, type) else getattr(base, node.attr)
        except AttributeError:
            return None
    return None


def _function_of(obj):
    """The plain function behind a function, method, static/class method or callable class (its __init__)."""
    if isinstance(obj, staticmethod | classmethod):
        obj = obj.__func__
    if isinstance(obj, types.MethodType):
        obj = obj.__func__
    if isinstance(obj, functools.partial):
        obj = obj.func
    if isinstance(obj, types.FunctionType):
        return inspect.unwrap(obj)
    return None


def _error_of_call(call: ast.expr, namespace: dict, owner, params: set[str]) -> tuple[int, str | None] | None:
    """``(status, code)`` of a raised expression; code ``"$name"`` when it is the parameter ``name``."""
    target = call.func if isinstance(call, ast.Call) else call
    cls = _resolve(target, namespace, owner)
    if not isinstance(cls, type):
        return None
    keywords = {k.arg: k.value for k in call.keywords} if isinstance(call, ast.Call) else {}
    if issubclass(cls, ApplicationError):
        status = cls.status_code
        if isinstance(keywords.get("status_code"), ast.Constant):
            status = keywords["status_code"].value
        code = keywords.get("code")
        if isinstance(code, ast.Constant):
            return status, code.value
        if isinstance(code, ast.Name) and code.id in params:
            return status, f"${code.id}"
        if code is None:
            if issubclass(cls, RateLimited):
                return status, "rate_limited"
            if issubclass(cls, Unavailable):
                return status, "unavailable"
            default = inspect.signature(cls.__init__).parameters.get("code")
            if default is not None and isinstance(default.default, str):
                return status, default.default
            own = _literal_code_in_init(cls)
            if own:
                return status, own
        return status, None  # the code is computed: the view must declare it
    if issubclass(cls, drf_exceptions.APIException):
        return cls.status_code, cls.default_code
    if issubclass(cls, Http404):
        return 404, "not_found"
    return None


@functools.cache
def _literal_code_in_init(cls: type) -> str | None:
    """``code="x"`` passed on in an exception class's own ``__init__``, if it always is."""
    init = cls.__dict__.get("__init__")
    if init is None:
        return None
    codes = {
        keyword.value.value
        for node in ast.walk(ast.parse(textwrap.dedent(inspect.getsource(init))))
        if isinstance(node, ast.Call)
        for keyword in node.keywords
        if keyword.arg == "code" and isinstance(keyword.value, ast.Constant)
    }
    return codes.pop() if len(codes) == 1 else None


def _bind(found: frozenset, call: ast.Call, target) -> set[tuple[int, str | None]]:
    """The callee's errors with parameter codes (``"$code"``) replaced by the literals this call passes."""
    bound = set()
    for status, code in found:
        if code is None or not code.startswith("$"):
            bound.add((status, code))
            continue
        name = code[1:]
        value = next((k.value for k in call.keywords if k.arg == name), None)
        if value is None:
            names = list(inspect.signature(target).parameters)
            index = names.index(name) if name in names else len(call.args)
            value = call.args[index] if index < len(call.args) else None
        bound.add((status, value.value if isinstance(value, ast.Constant) else None))
    return bound


@functools.cache
def raised_errors(func, owner: type | None = None, depth: int = SEARCH_DEPTH) -> frozenset[tuple[int, str | None]]:
    """``{(status, code)}`` that ``func`` and the project code it calls can raise (``None``: a computed code)."""
    func = _function_of(func)
    if func is None or not _is_project_code(func):
        return frozenset()
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    except (OSError, TypeError, SyntaxError):
        return frozenset()
    namespace = dict(func.__globals__)
    if func.__closure__:
        namespace.update(zip(func.__code__.co_freevars, (c.cell_contents for c in func.__closure__), strict=False))
    params = set(inspect.signature(func).parameters)
    found: set[tuple[int, str | None]] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            error = _error_of_call(node.exc, namespace, owner, params)
            if error:
                found.add(error)
        elif isinstance(node, ast.Call) and depth > 0:
            target = _resolve(node.func, namespace, owner)
            if getattr(target, "__name__", "") == "get_object_or_404":
                found.add((404, "not_found"))
                continue
            inner_owner = _owner_of(node.func, target, namespace, owner)
            if isinstance(target, type) and _is_project_code(target) and not issubclass(target, BaseException):
                target = target.__init__
            callee = raised_errors(target, inner_owner, depth - 1)
            if callee:
                found |= _bind(callee, node, _function_of(target))
    return frozenset(found)


def _owner_of(node: ast.expr, target, namespace: dict, owner) -> type | None:
    """The class whose ``self`` the called function sees: for ``self.f()`` the caller's, for
    ``instance.f()`` the instance's class, for ``Class.f()`` that class."""
    if isinstance(target, types.MethodType):
        bound = target.__self__
        return bound if isinstance(bound, type) else type(bound)
    if not isinstance(node, ast.Attribute):
        return None
    base = _resolve(node.value, namespace, owner)
    if isinstance(base, type):
        return base
    return type(base) if base is not None and _is_project_code(type(base)) else None


class ErrorCodes(OpenApiResponse):
    def __init__(self, codes: tuple[str, ...]) -> None:
        super().__init__(response=ErrorSerializer, description=", ".join(codes))
        self.codes = codes


def error_codes(*codes: str) -> ErrorCodes:
    """Codes a view declares where the source cannot show them (chosen at run time, or
    through a hook): ``responses={429: error_codes("rate_limited")}``."""
    return ErrorCodes(codes)


GENERIC_VIEW_HOOKS = {
    "GET": ("get_queryset", "get_object", "list", "retrieve"),
    "POST": ("create", "perform_create"),
    "PUT": ("get_object", "update", "perform_update"),
    "PATCH": ("get_object", "update", "perform_update"),
    "DELETE": ("get_object", "destroy", "perform_destroy"),
}

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
        handler_doc = get_doc(getattr(self.view, self.method.lower(), None))
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
            return f"{'List' if self._is_list_view() else 'Get'} {what}"
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

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        answers = self.error_answers()
        declared = self.get_response_serializers()
        declared = (
            {int(s): r.codes for s, r in declared.items() if isinstance(r, ErrorCodes)}
            if isinstance(declared, dict)
            else {}
        )
        for status, codes in declared.items():
            # A code the view declares under a status is answered with that status only: a
            # callee that raises it with another (``balance_change``'s 400) is overridden.
            for other in [s for s in answers if s != status]:
                answers[other] -= set(codes)
                if not answers[other]:
                    del answers[other]
            answers.setdefault(status, set()).update(codes)
        for status, codes in sorted(answers.items()):
            if None in codes or any(code.startswith("$") for code in codes if code):
                codes -= {code for code in codes if code is None or code.startswith("$")}
                if status not in declared:
                    warn(
                        f"{self.method} {self.path} can answer {status} with a code computed at run time; "
                        f"declare the codes on the view: responses={{{status}: error_codes(...)}}"
                    )
            listed = ", ".join(f"`{code}`" for code in sorted(codes))
            description = STATUS_TEXT.get(status, "Error.") + (f" Codes: {listed}." if listed else "")
            answer = OpenApiResponse(response=ErrorSerializer, description=description)
            responses[str(status)] = self._get_response_for_code(answer, str(status), direction=direction)
        return dict(sorted(responses.items()))

    def error_answers(self) -> dict[int, set[str]]:
        """``{status: codes}`` this operation can answer with the contract's error shape."""
        answers: dict[int, set[str]] = {}

        def add(status: int, *codes: str) -> None:
            answers.setdefault(status, set()).update(codes)

        view_class = type(self.view)
        handler = getattr(view_class, self.method.lower(), None)
        for status, code in raised_errors(handler, view_class):
            add(status, code)
        # Generic views reach the project's code through these hooks rather than the handler.
        for hook in GENERIC_VIEW_HOOKS.get(self.method, ()):
            for status, code in raised_errors(getattr(view_class, hook, None), view_class):
                add(status, code)
        has_body = self.method in ("POST", "PUT", "PATCH")
        if has_body or self._get_filter_parameters() or self._get_pagination_parameters() or "{" in self.path:
            add(400, *GENERIC_CODES[400])
        if has_body:
            add(413, *GENERIC_CODES[413])
        if not all(isinstance(p, permissions.AllowAny) for p in self.view.get_permissions()):
            add(401, *GENERIC_CODES[401])
        if "{" in self.path or self._get_pagination_parameters():  # a path id, or a page that is not there
            add(404, *GENERIC_CODES[404])
        if self.view.get_throttles():
            add(429, *GENERIC_CODES[429])
        add(503, *GENERIC_CODES[503])
        return answers

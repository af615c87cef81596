"""The error codes a function can raise, read from its source: the check behind the REST
operations' and the socket handlers' declared error codes.

The walk reads the function and, through the calls it makes, every project function it
reaches (a few levels deep). An ``ApplicationError`` raised there gives its status and
``code`` (the keyword, the class's default, or a literal passed down as a ``code``
parameter); DRF's exceptions and ``Http404`` give theirs. It finds what a function *can*
reach, so it may list a code that no request meets: the declarations say what is true and
the tests that compare them with this walk list such codes as exceptions, with the reason.
"""

import ast
import builtins
import functools
import inspect
import textwrap
import types

from django.conf import settings
from django.http import Http404
from rest_framework import exceptions as drf_exceptions

from gameplatform.core.errors import ApplicationError, RateLimited, Unavailable

SEARCH_DEPTH = 5


@functools.cache
def project_packages() -> frozenset[str]:
    """The project's own packages: the walk follows their code only (never Django's or a library's)."""
    return frozenset(settings.PROJECT_APPS) | {"gameplatform"}


def is_project_code(obj) -> bool:
    module = getattr(obj, "__module__", None) or ""
    return module.split(".")[0] in project_packages()


def resolve(node: ast.expr, namespace: dict, owner: type | None):
    """The object an expression names (``name``, ``a.b.c``, ``self.x``), or None."""
    if isinstance(node, ast.Name):
        if node.id == "self" and owner is not None:
            return owner
        return namespace.get(node.id, getattr(builtins, node.id, None))
    if isinstance(node, ast.Attribute):
        base = resolve(node.value, namespace, owner)
        if base is None:
            return None
        try:
            return inspect.getattr_static(base, node.attr) if isinstance(base, type) else getattr(base, node.attr)
        except AttributeError:
            return None
    return None


def function_of(obj):
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
    cls = resolve(target, namespace, owner)
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
    func = function_of(func)
    if func is None or not is_project_code(func):
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
            target = resolve(node.func, namespace, owner)
            if getattr(target, "__name__", "") == "get_object_or_404":
                found.add((404, "not_found"))
                continue
            inner_owner = owner_of(node.func, target, namespace, owner)
            if isinstance(target, type) and is_project_code(target) and not issubclass(target, BaseException):
                target = target.__init__
            callee = raised_errors(target, inner_owner, depth - 1)
            if callee:
                found |= _bind(callee, node, function_of(target))
    return frozenset(found)


def owner_of(node: ast.expr, target, namespace: dict, owner) -> type | None:
    """The class whose ``self`` the called function sees: for ``self.f()`` the caller's, for
    ``instance.f()`` the instance's class, for ``Class.f()`` that class."""
    if isinstance(target, types.MethodType):
        bound = target.__self__
        return bound if isinstance(bound, type) else type(bound)
    if not isinstance(node, ast.Attribute):
        return None
    base = resolve(node.value, namespace, owner)
    if isinstance(base, type):
        return base
    return type(base) if base is not None and is_project_code(type(base)) else None


# Generic views reach the project's code through these hooks rather than the handler.
GENERIC_VIEW_HOOKS = {
    "GET": ("get_queryset", "get_object", "list", "retrieve"),
    "POST": ("create", "perform_create"),
    "PUT": ("get_object", "update", "perform_update"),
    "PATCH": ("get_object", "update", "perform_update"),
    "DELETE": ("get_object", "destroy", "perform_destroy"),
}


def operation_errors(view_class: type, method: str) -> frozenset[tuple[int, str | None]]:
    """``{(status, code)}`` a REST operation's handler, and the generic view's hooks it runs, can raise."""
    found = set(raised_errors(getattr(view_class, method.lower(), None), view_class))
    for hook in GENERIC_VIEW_HOOKS.get(method, ()):
        found |= raised_errors(getattr(view_class, hook, None), view_class)
    return frozenset(found)

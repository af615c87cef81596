"""The AsyncAPI 3.0 document of every WebSocket route, built from the consumers themselves.

- channels: one per route of ``collect_websocket_urlpatterns`` (the address with its parameters);
- client frames: the consumer's ``client_types`` (plus the kit's ``ping``), each described by its
  ``handle_<type>`` docstring, with the fields and the error codes its ``@receives`` declares
  (``gameplatform.sockets.consumers.receives``);
- server frames: the consumer's ``server_frames`` (``{type: description}``), plus the kit's
  ``error`` and ``pong``; the socket's close codes go in the channel's description.

Nothing here reads source code: the document is made of declarations only.
``gameplatform/tests/test_asyncapi.py`` checks the declarations against the code: every frame type
the apps send is documented on a channel, every documented one is sent somewhere, and each handler's
``@receives`` names the serializer it validates with and every error code it can raise.
"""

import functools
import inspect
import json
import re

import yaml
from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views.decorators.csrf import csrf_exempt
from rest_framework import serializers

from gameplatform.sockets.consumers import BaseConsumer, client_frame_of
from gameplatform.sockets.routing import UnknownRouteConsumer, collect_websocket_urlpatterns

CLOSE_CODES = {
    1000: "normal closure",
    1008: "policy violation (flooding)",
    1009: "frame too large",
    1011: "never sent: an unexpected error is answered with an error frame",
    1012: "service restart: the server is stopping (a deploy); connect again, its games go on elsewhere",
    1013: "try again later: a service the server needs is unavailable, or a game's room did not answer in time",
    4008: "1008 under daphne (WS_PRIVATE_CLOSE_CODES: autobahn refuses to send 1001-2999)",
    4009: "1009 under daphne (WS_PRIVATE_CLOSE_CODES)",
    4013: "1013 under daphne (WS_PRIVATE_CLOSE_CODES)",
    4400: "unsupported protocol version (world socket)",
    4401: "not authenticated, or the access token expired",
    4403: "not allowed (not a member, banned, kicked, blocked)",
    4404: "no such room",
    4409: "replaced by a newer connection where only one is allowed",
}

KIT_CLIENT_FRAMES = {"ping": "Answered with `pong` (keep-alive)."}
KIT_SERVER_FRAMES = {
    "pong": "The answer to `ping` (with the client's `ref`, if it sent one).",
    "error": (
        "A frame was refused: `{code, message, ref?, retry_after?, fields?}`. Codes: `bad_json`, "
        "`unknown_type`, `invalid` (with `fields`), `rate_limited` (with `retry_after`), `forbidden`, "
        "`conflict`, `unavailable`, `overloaded`, `flooding` (then close 1008), `frame_too_large` (then close"
        " 1009), and the codes each client frame lists as its own."
    ),
}
ERROR_PAYLOAD = {
    "type": "object",
    "required": ["type", "code", "message"],
    "properties": {
        "type": {"const": "error"},
        "code": {"type": "string"},
        "message": {"type": "string"},
        "ref": {"description": "The `ref` of the client frame this answers."},
        "retry_after": {"type": "number"},
        "fields": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    },
}


def channel_address(route: str) -> tuple[str, dict]:
    """``ws/lobbies/<id:lobby_id>/`` -> (``/ws/lobbies/{lobby_id}/``, its parameters)."""
    parameters = {}

    def parameter(match: re.Match) -> str:
        converter, name = match.group(1) or "str", match.group(2)
        kind = "an integer" if converter in ("id", "int") else "a string"
        parameters[name] = {"description": f"{kind} ({converter})"}
        return "{" + name + "}"

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", parameter, route), parameters


def field_schema(field: serializers.Field) -> dict:
    """JSON Schema of one DRF field, for the few kinds frames use."""
    schema: dict
    if isinstance(field, serializers.ChoiceField):
        schema = {"enum": list(field.choices)}
    elif isinstance(field, serializers.BooleanField):
        schema = {"type": "boolean"}
    elif isinstance(field, serializers.IntegerField):
        schema = _bounded({"type": "integer"}, field, minimum="min_value", maximum="max_value")
    elif isinstance(field, serializers.FloatField | serializers.DecimalField):
        schema = {"type": "number"}
    elif isinstance(field, serializers.CharField):
        schema = _bounded({"type": "string"}, field, maxLength="max_length", minLength="min_length")
    elif isinstance(field, serializers.ListSerializer | serializers.ListField):
        child = field.child
        schema = {"type": "array", "items": field_schema(child) if child is not None else {}}
    elif isinstance(field, serializers.Serializer):
        schema = serializer_schema(type(field))
    elif isinstance(field, serializers.DictField):
        schema = {"type": "object"}
    else:
        schema = {}
    if field.help_text:
        schema["description"] = str(field.help_text)
    if getattr(field, "allow_null", False):
        schema = {"oneOf": [schema, {"type": "null"}]}
    return schema


def _bounded(schema: dict, field: serializers.Field, **bounds: str) -> dict:
    """``schema`` with the field's bounds that are set: each JSON Schema keyword from its attribute."""
    for keyword, attribute in bounds.items():
        value = getattr(field, attribute)
        if value is not None:
            schema[keyword] = value
    return schema


def serializer_schema(serializer_class: type[serializers.Serializer]) -> dict:
    fields = serializer_class().fields
    schema = {"type": "object", "properties": {name: field_schema(field) for name, field in fields.items()}}
    required = [name for name, field in fields.items() if field.required]
    if required:
        schema["required"] = required
    return schema


def first_paragraph(text: str | None) -> str:
    """The docstring's first paragraph on one line, its RST literals (````x````) as Markdown's."""
    return markdown_literals(" ".join(inspect.cleandoc(text or "").split("\n\n")[0].split()))


def markdown_literals(text: str) -> str:
    return re.sub(r"``(.+?)``", r"`\1`", text)


def client_frames(consumer: type[BaseConsumer]) -> dict[str, dict]:
    """``{type: {"description", "payload"}}`` of the frames a client may send on this route."""
    frames = {kind: {"description": text, "payload": frame_payload(kind)} for kind, text in KIT_CLIENT_FRAMES.items()}
    for kind in sorted(consumer.client_types):
        handler = getattr(consumer, f"handle_{kind}")
        declared = client_frame_of(handler)
        payload = frame_payload(kind)
        if declared is not None and declared.fields is not None:
            extra = serializer_schema(declared.fields)
            payload["properties"].update(extra["properties"])
            payload["required"] += extra.get("required", [])
        frames[kind] = {"description": first_paragraph(handler.__doc__), "payload": payload}
        if declared is not None and declared.errors:
            frames[kind]["errors"] = sorted(declared.errors)
    return frames


def server_frames(consumer: type[BaseConsumer]) -> dict[str, dict]:
    frames = {
        kind: {"description": markdown_literals(text), "payload": frame_payload(kind, open_=True)}
        for kind, text in {**getattr(consumer, "server_frames", {}), **KIT_SERVER_FRAMES}.items()
    }
    frames["error"]["payload"] = ERROR_PAYLOAD
    return frames


def frame_payload(kind: str, *, open_: bool = False) -> dict:
    payload = {
        "type": "object",
        "required": ["type"],
        "properties": {
            "type": {"const": kind},
            "ref": {"description": "Any JSON value; echoed in the `error` that answers this frame."},
        },
    }
    if open_:
        payload["properties"].pop("ref")
        payload["additionalProperties"] = True
    return payload


def channel_id(route: str) -> str:
    name = re.sub(r"<(?:\w+:)?(\w+)>", r"\1", route).strip("/").replace("/", "_")
    return name or "ws"


@functools.cache
def asyncapi_document() -> dict:
    channels: dict = {}
    operations: dict = {}
    messages: dict = {}
    for pattern in collect_websocket_urlpatterns():
        consumer = pattern.callback.consumer_class
        if consumer is UnknownRouteConsumer:
            continue
        route = str(pattern.pattern)
        address, parameters = channel_address(route)
        cid = channel_id(route)
        refs = {"receive": [], "send": []}
        for action, frames in (("receive", client_frames(consumer)), ("send", server_frames(consumer))):
            for kind, frame in frames.items():
                key = f"{cid}.{'client' if action == 'receive' else 'server'}.{kind}"
                messages[key] = {
                    "name": kind,
                    "title": kind,
                    "summary": frame["description"],
                    "contentType": "application/json",
                    "payload": frame["payload"],
                }
                if frame.get("errors"):
                    codes = ", ".join(f"`{code}`" for code in frame["errors"])
                    messages[key]["description"] = f"Its own error codes: {codes}."
                    messages[key]["x-error-codes"] = frame["errors"]
                refs[action].append({"$ref": f"#/components/messages/{key}"})
        channel = {
            "address": address,
            "title": consumer.__name__,
            "description": first_paragraph(consumer.__doc__)
            + " Close codes: "
            + "; ".join(f"{code} {text}" for code, text in CLOSE_CODES.items())
            + ".",
            "messages": {
                ref["$ref"].rsplit("/", 1)[1].replace(".", "_"): ref for action in refs for ref in refs[action]
            },
        }
        if parameters:
            channel["parameters"] = parameters
        channels[cid] = channel
        for action, verb in (("receive", "client sends"), ("send", "server sends")):
            operations[f"{cid}_{action}"] = {
                "action": action,
                "channel": {"$ref": f"#/channels/{cid}"},
                "summary": f"Frames the {verb} on {address}.",
                "messages": [
                    {"$ref": f"#/channels/{cid}/messages/{ref['$ref'].rsplit('/', 1)[1].replace('.', '_')}"}
                    for ref in refs[action]
                ],
            }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "gameplatform WebSockets",
            "version": settings.SPECTACULAR_SETTINGS["VERSION"],
            "description": (
                "Every socket route and frame. Frames are JSON objects with a `type`; fields sit beside it. "
                "Authenticate with `Authorization: Bearer <access>`, `?ticket=` (POST /api/auth/ws-ticket/) "
                "or `?token=`. Frames are JSON text unless the client offers a WebSocket subprotocol: "
                "`gameplatform.msgpack` carries the same frames as binary MessagePack maps, "
                "`gameplatform.compact` as MessagePack with short decimals and compact `state_patch` arrays "
                "(the manual's REST and sockets page). The REST API is at /api/schema/."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {"default": {"host": "localhost:8000", "protocol": "ws", "description": "make run"}},
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }


def document_for(request) -> dict:
    """The document with the server that answered this request as its server (not a fixed host)."""
    server = {
        "host": request.get_host(),
        "protocol": "wss" if request.is_secure() else "ws",
        "description": "this server",
    }
    return {**asyncapi_document(), "servers": {"default": server}}


def wants_html(request) -> bool:
    """A browser (``Accept: text/html`` first) gets the page; any other client the JSON document."""
    if request.GET.get("format"):
        return request.GET["format"] == "html"
    return request.accepts("text/html") and request.get_preferred_type(["application/json", "text/html"]) == "text/html"


# Read-only documents on an API path, like every API view exempt from CSRF (docs/concepts.md).
@csrf_exempt
def asyncapi_view(request):
    """``GET /api/asyncapi/``: a readable page for a browser (``Accept: text/html``); the document
    as JSON for any other client (or ``?format=json``, or ``/api/asyncapi.json``), YAML with
    ``?format=yaml``."""
    document = document_for(request)
    if request.GET.get("format") == "yaml":
        return HttpResponse(
            yaml.safe_dump(document, sort_keys=False, allow_unicode=True), content_type="application/yaml"
        )
    if wants_html(request):
        return render(request, "gameplatform/asyncapi.html", page_context(document))
    return JsonResponse(document, json_dumps_params={"ensure_ascii": False})


@csrf_exempt
def asyncapi_json_view(request):
    """``GET /api/asyncapi.json``: the JSON document, whatever the client accepts."""
    return JsonResponse(document_for(request), json_dumps_params={"ensure_ascii": False})


def as_html(text: str) -> str:
    """Markdown's inline code (`` `x` ``) as ``<code>``, everything else escaped."""
    return mark_safe(re.sub(r"`([^`]+)`", r"<code>\1</code>", escape(text)))  # noqa: S308 - escaped first


def page_context(document: dict) -> dict:
    """What the page lists: per channel, the frames each side sends, with their fields."""
    messages = document["components"]["messages"]
    channels = []
    for cid, channel in document["channels"].items():
        sides = {"receive": [], "send": []}
        for action in sides:
            for ref in document["operations"][f"{cid}_{action}"]["messages"]:
                key = ref["$ref"].rsplit("/", 1)[1]
                message = messages[channel["messages"][key]["$ref"].rsplit("/", 1)[1]]
                payload = message["payload"]
                fields = [
                    {
                        "name": name,
                        "required": name in payload.get("required", []),
                        "schema": json.dumps(schema, ensure_ascii=False),
                    }
                    for name, schema in payload.get("properties", {}).items()
                    if name != "type"
                ]
                what = " ".join(filter(None, (message["summary"], message.get("description"))))
                sides[action].append({"type": message["name"], "summary": as_html(what), "fields": fields})
        description, _, closes = channel["description"].partition(" Close codes: ")
        channels.append(
            {
                "id": cid,
                "address": channel["address"],
                "title": channel["title"],
                "description": as_html(description),
                "close_codes": closes.rstrip(".").split("; ") if closes else [],
                "client": sides["receive"],
                "server": sides["send"],
            }
        )
    server = document["servers"]["default"]
    return {
        "info": {**document["info"], "description": as_html(document["info"]["description"])},
        "server_url": f"{server['protocol']}://{server['host']}",
        "channels": channels,
    }

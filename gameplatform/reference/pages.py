"""The docs site's API reference pages, generated from the two documents the server serves.

- ``docs/reference/rest.md``: the OpenAPI document (drf-spectacular, ``gameplatform/http/openapi.py``),
  one section per tag and one per operation: method and path, summary, authentication,
  parameters, the request body's fields, every answer with its status and error codes; then every
  schema the operations name, with its fields.
- ``docs/reference/sockets.md``: the AsyncAPI document (``gameplatform/reference/asyncapi.py``), one section
  per socket route: the frames each way with their fields.

``manage.py api_reference`` writes them; ``gameplatform/tests/test_api_reference.py`` fails when
the committed pages are not what the code generates.
"""

import inspect
import json
import re
from http import HTTPStatus
from pathlib import Path

from django.conf import settings
from drf_spectacular.settings import spectacular_settings

from gameplatform.reference.asyncapi import CLOSE_CODES, asyncapi_document

DOCS = Path(settings.BASE_DIR) / "docs"
REST_PAGE = DOCS / "reference" / "rest.md"
SOCKETS_PAGE = DOCS / "reference" / "sockets.md"
REFRESH = ".venv/bin/python manage.py api_reference"
GENERATED = (
    f"<!-- Generated from the code by `{REFRESH}`: edit the code"
    " (or the generator, gameplatform/reference/pages.py), not this page. -->"
)

SECURITY = {
    "[{}]": "none",
    '[{"jwtAuth": []}]': "a Bearer access token (`Authorization: Bearer <access>`)",
    '[{"jwtAuth": []}, {}]': "optional (a Bearer access token, or none)",
}


def openapi_schema() -> dict:
    """The OpenAPI document, as ``manage.py spectacular`` and ``/api/schema/`` build it."""
    generator = spectacular_settings.DEFAULT_GENERATOR_CLASS()
    return generator.get_schema(request=None, public=True)


def pages() -> dict[Path, str]:
    """Each reference page and the text the code gives it now."""
    return {REST_PAGE: rest_reference(openapi_schema()), SOCKETS_PAGE: sockets_reference(asyncapi_document())}


# --- shared: a schema in words, table cells --------------------------------------------------------


def cell(text: str | None) -> str:
    """Text for one table cell: on one line, its pipes escaped."""
    return " ".join(str(text or "").split()).replace("|", "\\|")


def ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[1]


def type_of(schema: dict) -> str:
    """A field's type in a few words: ``string (date-time)``, ``array of [Party](#schema-Party)``."""
    if "$ref" in schema:
        name = ref_name(schema["$ref"])
        words = f"[{name}](#schema-{name})"
    elif "allOf" in schema and len(schema["allOf"]) == 1:
        words = type_of(schema["allOf"][0])
    elif "oneOf" in schema:
        words = " or ".join(type_of(option) for option in schema["oneOf"])
    elif "const" in schema:
        words = f"`{json.dumps(schema['const'])}`"
    elif "enum" in schema:
        words = "one of " + ", ".join(f"`{json.dumps(value)}`" for value in schema["enum"] if value is not None)
    elif schema.get("type") == "array":
        words = f"array of {type_of(schema.get('items') or {})}"
    elif schema.get("type") == "object" and schema.get("additionalProperties") not in (None, {}, True):
        words = f"object of {type_of(schema['additionalProperties'])}"
    elif "type" in schema:
        words = schema["type"]
        if "format" in schema:
            words += f" ({schema['format']})"
    else:
        words = "any JSON"
    limits = [
        f"{word} {schema[key]}"
        for key, word in (
            ("minLength", "min length"),
            ("maxLength", "max length"),
            ("minimum", "min"),
            ("maximum", "max"),
            ("maxItems", "max items"),
        )
        if key in schema
    ]
    if "pattern" in schema:
        limits.append(f"pattern `{schema['pattern']}`")
    if limits:
        words += ", " + ", ".join(limits)
    if schema.get("nullable"):
        words += ", or null"
    return words


def field_rows(schema: dict, *, writing: bool) -> list[str]:
    """``| field | type | required | description |`` rows of an object schema (read-only fields
    left out of what a client writes, write-only ones out of what it reads)."""
    skip = "readOnly" if writing else "writeOnly"
    required = set(schema.get("required", []))
    rows = []
    for name, field in schema.get("properties", {}).items():
        if field.get("const") is not None or field.get(skip):
            continue
        description = field.get("description", "")
        if "default" in field:
            description = f"{description} Default: `{json.dumps(field['default'])}`.".strip()
        rows.append(
            f"| `{name}` | {cell(type_of(field))} | {'yes' if name in required else ''} | {cell(description)} |"
        )
    return rows


def fields_table(schema: dict, *, writing: bool) -> list[str]:
    rows = field_rows(schema, writing=writing)
    if not rows:
        return ["No fields."]
    return ["| field | type | required | description |", "|---|---|---|---|", *rows]


# --- REST -----------------------------------------------------------------------------------------


def rest_reference(schema: dict) -> str:
    components = schema["components"]["schemas"]
    operations: dict[str, list[tuple[str, str, dict]]] = {}
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            for tag in operation.get("tags", ["other"]):
                operations.setdefault(tag, []).append((method.upper(), path, operation))
    tags = sorted(operations)
    lines = [
        "# REST API",
        "",
        GENERATED,
        "",
        f"Every route of the REST API ({sum(len(ops) for ops in operations.values())} operations), by tag, "
        "as the server's OpenAPI document (`/api/schema/`, Swagger UI at `/api/docs/`) describes it. "
        "Bodies are JSON. An error answer is `{detail, code}` ([Error](#schema-Error)); the codes each "
        "answer can carry are listed with it. The conventions every route shares are in "
        "[REST and WebSocket conventions](../rest-and-sockets.md); the sockets, in the "
        "[WebSocket API](sockets.md).",
        "",
        "Tags: " + " · ".join(f"[{tag}](#tag-{slug(tag)})" for tag in tags) + ".",
        "",
    ]
    for tag in tags:
        lines += [f"## {tag} {{#tag-{slug(tag)}}}", ""]
        for method, path, operation in operations[tag]:
            lines += operation_section(method, path, operation, components)
    lines += [
        "## Schemas {#schemas}",
        "",
        "The bodies the operations above name, with their fields (a request body's are listed with its operation too).",
        "",
    ]
    for name in sorted(components):
        lines += [f"### {name} {{#schema-{name}}}", ""]
        component = components[name]
        if component.get("description"):
            lines += [cell(component["description"]), ""]
        if "enum" in component:
            lines += [cell(type_of({"enum": component["enum"]})) + ".", ""]
        else:
            lines += [*fields_table(component, writing=name.endswith("Request")), ""]
    return "\n".join(lines).rstrip() + "\n"


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def operation_section(method: str, path: str, operation: dict, components: dict) -> list[str]:
    lines = [f"### `{method} {path}` {{#{operation['operationId']}}}", ""]
    lines += [f"**{operation.get('summary', '')}.**" if operation.get("summary") else "", ""]
    if operation.get("description"):
        lines += [inspect.cleandoc(operation["description"]), ""]
    security = json.dumps(operation.get("security", [{}]))
    lines += [f"Authentication: {SECURITY.get(security, security)}.", ""]
    parameters = operation.get("parameters", [])
    if parameters:
        lines += ["| parameter | in | type | required | description |", "|---|---|---|---|---|"]
        lines += [
            f"| `{p['name']}` | {p['in']} | {cell(type_of(p.get('schema', {})))} | "
            f"{'yes' if p.get('required') else ''} | {cell(p.get('description'))} |"
            for p in parameters
        ]
        lines.append("")
    body = operation.get("requestBody")
    if body:
        body_schema = body["content"].get("application/json", next(iter(body["content"].values())))["schema"]
        optional = "" if body.get("required") else " (optional)"
        if "$ref" in body_schema:
            lines += [f"Body{optional}: {type_of(body_schema)}", ""]
            lines += [*fields_table(components[ref_name(body_schema["$ref"])], writing=True), ""]
        else:
            lines += [f"Body{optional}: {type_of(body_schema)}.", ""]
    lines += ["| answer | body | meaning |", "|---|---|---|"]
    for status, answer in operation["responses"].items():
        content = answer.get("content", {})
        shape = type_of(next(iter(content.values()))["schema"]) if content else "none"
        phrase = HTTPStatus(int(status)).phrase
        lines.append(f"| {status} {phrase} | {cell(shape)} | {cell(answer.get('description'))} |")
    lines.append("")
    return lines


# --- WebSocket ------------------------------------------------------------------------------------


def sockets_reference(document: dict) -> str:
    messages = document["components"]["messages"]
    lines = [
        "# WebSocket API",
        "",
        GENERATED,
        "",
        f"Every socket route ({len(document['channels'])}) and the frames each side sends on it, as the "
        "server's AsyncAPI document (`/api/asyncapi/`) describes it. "
        + re.sub(
            r"^Every socket route and frame\. | The REST API is at \S+$", "", cell(document["info"]["description"])
        )
        + " A field marked *yes* is required. The conventions every socket shares are in "
        "[REST and WebSocket conventions](../rest-and-sockets.md); the frames of each socket, in "
        "short, in [WebSocket frames](../websocket-frames.md); the routes over HTTP, in the "
        "[REST API](rest.md).",
        "",
        "The close codes of every socket:",
        "",
        "| code | meaning |",
        "|---|---|",
        *[f"| {code} | {cell(text)} |" for code, text in CLOSE_CODES.items()],
        "",
    ]
    for cid, channel in document["channels"].items():
        description = channel["description"].partition(" Close codes: ")[0]
        lines += [f"## `{channel['address']}` {{#{cid}}}", "", f"**{channel['title']}**: {description}", ""]
        for name, parameter in channel.get("parameters", {}).items():
            lines += [f"- `{name}`: {parameter['description']}"]
        if channel.get("parameters"):
            lines.append("")
        for action, heading in (("receive", "The client sends"), ("send", "The server sends")):
            lines += [f"{heading}:", "", "| frame | fields | what |", "|---|---|---|"]
            for ref in document["operations"][f"{cid}_{action}"]["messages"]:
                key = ref_name(channel["messages"][ref_name(ref["$ref"])]["$ref"])
                message = messages[key]
                what = " ".join(filter(None, (message["summary"], message.get("description"))))
                lines.append(f"| `{message['name']}` | {frame_fields(message['payload'])} | {cell(what)} |")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def frame_fields(payload: dict) -> str:
    """A frame's fields beside ``type``, in one cell: ``message`` (string, max length 2000, *yes*)."""
    required = set(payload.get("required", []))
    fields = []
    for name, schema in payload.get("properties", {}).items():
        if name == "type":
            continue
        words = type_of(schema) if set(schema) - {"description"} else ""
        if name in required:
            words = f"{words}, *yes*" if words else "*yes*"
        fields.append(f"`{name}`" + (f" ({words})" if words else ""))
    if not fields and payload.get("additionalProperties"):
        return "see *what*"
    return cell(", ".join(fields))

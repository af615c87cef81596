"""The AsyncAPI document describes every socket route and frame, and cannot drift from the code."""

import ast
import inspect
import textwrap
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from gameplatform.reference.asyncapi import asyncapi_document, channel_address
from gameplatform.sockets.consumers import KIT_ERROR_CODES, client_frame_of
from gameplatform.sockets.routing import UnknownRouteConsumer, collect_websocket_urlpatterns
from gameplatform.tests.error_walk import function_of, is_project_code, owner_of, raised_errors, resolve

ROOT = Path(settings.BASE_DIR)
# "type" values in dicts that are not frames: ASGI messages and JSON Schema.
NOT_FRAMES = {"integer", "string", "object", "array", "number", "boolean", "null"}


def routes():
    for pattern in collect_websocket_urlpatterns():
        if pattern.callback.consumer_class is not UnknownRouteConsumer:
            yield str(pattern.pattern), pattern.callback.consumer_class


def channel_of(document, address):
    return next(c for c in document["channels"].values() if c["address"] == address)


def messages_of(document, address, action):
    channel = next(cid for cid, c in document["channels"].items() if c["address"] == address)
    operation = document["operations"][f"{channel}_{action}"]
    found = {}
    for ref in operation["messages"]:
        key = ref["$ref"].rsplit("/", 1)[1]
        message_ref = document["channels"][channel]["messages"][key]["$ref"]
        message = document["components"]["messages"][message_ref.rsplit("/", 1)[1]]
        found[message["name"]] = message
    return found


def project_modules():
    # The apps, the room engine and the mode API, which build the game socket's frames (state_patch,
    # ack, game_event...), and the chat rooms' frames.
    kit = [ROOT / "gameplatform" / "rooms", ROOT / "gameplatform" / "modes"]
    for folder in [*(ROOT / app for app in settings.PROJECT_APPS), *kit]:
        for path in sorted(folder.rglob("*.py")):
            if "tests" not in path.parts and "migrations" not in path.parts:
                yield path
    yield ROOT / "gameplatform" / "chat" / "rooms.py"  # the frames every chat room has (lobbies, groups)


def sent_frame_types() -> set[str]:
    """Every ``{"type": "<literal>", ...}`` the apps build."""
    found = set()
    for path in project_modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if (
                        isinstance(key, ast.Constant)
                        and key.value == "type"
                        and isinstance(value, ast.Constant)
                        and isinstance(value.value, str)
                        and "." not in value.value
                    ):
                        found.add(value.value)
    return found - NOT_FRAMES


def string_literals_outside_frame_docs() -> set[str]:
    """Every string constant of the apps' code, except the ``server_frames`` documentation itself."""
    found = set()
    for path in project_modules():
        tree = ast.parse(path.read_text())
        docs = {
            id(node.value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "server_frames" for t in node.targets)
        }
        skipped = {id(n) for node in ast.walk(tree) if id(node) in docs for n in ast.walk(node)}
        found |= {
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skipped
        }
    return found


def source_tree(func) -> ast.AST:
    return ast.parse(textwrap.dedent(inspect.getsource(func)))


def validated_serializers(handler) -> set[type]:
    """The serializers a handler validates its frame with: ``self.validate(Serializer, frame)``."""
    found = set()
    for node in ast.walk(source_tree(handler)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "validate"
            and node.args
            and isinstance(node.args[0], ast.Name)
        ):
            found.add(handler.__globals__[node.args[0].id])
    return found


def reachable_error_codes(func, owner: type | None, depth: int = 4) -> set[str | None]:
    """The codes ``func`` can raise: through the calls it makes (``gameplatform.tests.error_walk``)
    and through the project functions it hands on to be called (``db.run(service, ...)``,
    ``then_in_order(lambda: ...)``), a few levels deep. ``None``: a code computed at run time."""
    codes = {code for _, code in raised_errors(func, owner)}
    func = function_of(func)
    if depth == 0 or func is None or not is_project_code(func):
        return codes
    namespace = dict(func.__globals__)
    for node in ast.walk(source_tree(func)):
        if not isinstance(node, ast.Call):
            continue
        for expr in (node.func, *node.args):
            target = resolve(expr, namespace, owner)
            if target is None or isinstance(target, type) or not callable(target):
                continue
            codes |= reachable_error_codes(target, owner_of(expr, target, namespace, owner), depth - 1)
    return codes


def test_asyncapi_is_served_as_json_and_yaml(client):
    response = client.get("/api/asyncapi/")
    assert response.status_code == 200
    assert response.json()["asyncapi"] == "3.0.0"
    as_yaml = client.get("/api/asyncapi/?format=yaml")
    assert as_yaml["Content-Type"] == "application/yaml"
    assert yaml.safe_load(as_yaml.content) == response.json()


def test_a_browser_gets_a_readable_page_of_every_channel_and_frame(client):
    page = client.get(
        "/api/asyncapi/", HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8", HTTP_HOST="localhost:8123"
    )
    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/html")
    assert "script-src 'self'" in page["Content-Security-Policy"]
    html = page.content.decode()
    assert "<script" not in html and "``" not in html
    assert '<code id="server-url">ws://localhost:8123</code>' in html
    document = asyncapi_document()
    for channel in document["channels"].values():
        assert f'data-address="{channel["address"]}"' in html
    for message in document["components"]["messages"].values():
        assert f'data-type="{message["name"]}"' in html
    assert "<code>ping</code>" in html  # Markdown's `ping` as code
    assert 'href="/api/asyncapi.json"' in html


def test_the_json_document_stays_for_clients_and_names_the_host_that_served_it(client):
    for response in (
        client.get("/api/asyncapi/", HTTP_HOST="localhost:8123"),
        client.get("/api/asyncapi/", HTTP_ACCEPT="application/json", HTTP_HOST="localhost:8123"),
        client.get("/api/asyncapi.json", HTTP_ACCEPT="text/html", HTTP_HOST="localhost:8123"),
    ):
        assert response["Content-Type"] == "application/json"
        document = response.json()
        assert document["servers"]["default"]["host"] == "localhost:8123"
        assert document["servers"]["default"]["protocol"] == "ws"
        assert "``" not in response.content.decode()


def test_the_landing_page_links_the_websocket_reference(client):
    page = client.get("/").content.decode()
    assert 'href="/api/asyncapi/"' in page and 'href="/api/asyncapi.json"' in page


def test_every_reference_resolves():
    document = asyncapi_document()

    def refs(node):
        if isinstance(node, dict):
            if "$ref" in node:
                yield node["$ref"]
            for value in node.values():
                yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    for ref in refs(document):
        target = document
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]  # KeyError: a dangling reference


def test_every_socket_route_is_a_channel_with_its_parameters():
    document = asyncapi_document()
    addresses = {c["address"]: c for c in document["channels"].values()}
    for route, _ in routes():
        address, parameters = channel_address(route)
        assert address in addresses, route
        assert set(addresses[address].get("parameters", {})) == set(parameters)
    assert "/ws/lobbies/{lobby_id}/" in addresses and "/ws/" in addresses  # the seed's world path


def test_client_frames_are_exactly_what_each_consumer_handles_each_described():
    document = asyncapi_document()
    for route, consumer in routes():
        address, _ = channel_address(route)
        received = messages_of(document, address, "receive")
        assert set(received) == set(consumer.client_types) | {"ping"}, route
        for kind, message in received.items():
            assert message["summary"], f"{route} {kind}: no description (docstring of handle_{kind})"


def test_client_frame_payloads_carry_the_fields_their_handler_validates():
    document = asyncapi_document()
    chat = messages_of(document, "/ws/lobbies/{lobby_id}/", "receive")["chat_message"]["payload"]
    assert chat["required"] == ["type", "message"]
    assert chat["properties"]["message"]["maxLength"] == 1000
    move = messages_of(document, "/ws/world/", "receive")["move"]["payload"]
    assert "to_location_id" in move["required"]
    world_chat = messages_of(document, "/ws/world/", "receive")["chat"]["payload"]
    assert world_chat["properties"]["channel"]["enum"] == ["global", "party", "faction"]


def test_every_handler_declares_the_serializer_it_validates_with():
    for route, consumer in routes():
        for kind in consumer.client_types:
            handler = getattr(consumer, f"handle_{kind}")
            declared = client_frame_of(handler)
            assert declared is not None, f"{route} handle_{kind}: no @receives declaration"
            used = validated_serializers(handler)
            if declared.checked_by is not None:  # the fields are passed on and checked there, once
                assert used == set(), f"{route} handle_{kind}: validates what {declared.checked_by} checks"
                continue
            assert used <= {declared.fields}, (
                f"{route} handle_{kind}: validates with {used}, declares {declared.fields}"
            )
            if declared.fields is not None:
                assert used == {declared.fields}, f"{route} handle_{kind}: declares {declared.fields}, never validates"


def test_every_error_code_a_handler_can_raise_is_declared():
    for route, consumer in routes():
        for kind in consumer.client_types:
            handler = getattr(consumer, f"handle_{kind}")
            declared = client_frame_of(handler)
            raised = reachable_error_codes(handler, consumer) - KIT_ERROR_CODES
            assert None not in raised, f"{route} handle_{kind}: raises a computed code; declare what it can be"
            missing = raised - set(declared.errors)
            assert not missing, f"{route} handle_{kind}: raises {sorted(missing)}, not in its @receives(errors=...)"


def test_client_frames_list_their_declared_error_codes():
    document = asyncapi_document()
    move = messages_of(document, "/ws/world/", "receive")["move"]
    assert "illegal_move" in move["x-error-codes"]
    assert "`illegal_move`" in move["description"]
    assert "x-error-codes" not in messages_of(document, "/ws/world/", "receive")["ping"]


def test_every_frame_the_apps_send_is_documented_on_a_channel():
    document = asyncapi_document()
    documented = {m["name"] for key, m in document["components"]["messages"].items() if ".server." in key}
    missing = sent_frame_types() - documented
    assert not missing, f"frames sent but not in any consumer's server_frames: {sorted(missing)}"


def test_every_documented_server_frame_is_sent_somewhere():
    literals = string_literals_outside_frame_docs()
    for route, consumer in routes():
        stale = set(getattr(consumer, "server_frames", {})) - literals
        assert not stale, f"{route}: documented but never built by the code: {sorted(stale)}"


@pytest.mark.parametrize("route", ["/ws/world/", "/ws/lobbies/{lobby_id}/", "/ws/notifications/"])
def test_server_frames_include_the_kit_frames_and_the_close_codes(route):
    document = asyncapi_document()
    sent = messages_of(document, route, "send")
    assert {"error", "pong"} <= set(sent)
    assert "code" in sent["error"]["payload"]["required"]
    assert "4401" in channel_of(document, route)["description"]


def test_the_document_names_both_binary_subprotocols():
    description = asyncapi_document()["info"]["description"]
    assert "`gameplatform.msgpack`" in description and "`gameplatform.compact`" in description

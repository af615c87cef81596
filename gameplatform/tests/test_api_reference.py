"""The docs site's API reference pages (docs/reference/) are what the code generates now, and they
name every route, socket and frame of the two documents the server serves."""

from gameplatform.reference import pages as reference
from gameplatform.reference.asyncapi import asyncapi_document


def test_the_committed_reference_pages_are_what_the_code_generates():
    stale = [
        str(page.relative_to(reference.DOCS.parent))
        for page, text in reference.pages().items()
        if not page.exists() or page.read_text() != text
    ]
    assert not stale, f"{', '.join(stale)} are not what the code generates: run `{reference.REFRESH}` and commit them"


def test_the_rest_page_has_a_section_for_every_operation_with_its_answers():
    schema = reference.openapi_schema()
    page = reference.REST_PAGE.read_text()
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            assert f"### `{method.upper()} {path}` {{#{operation['operationId']}}}" in page
    login = page.split("{#auth_login_create}")[1].split("\n### ")[0]
    assert "| `username` |" in login and "| `password` |" in login  # the request's fields
    assert "| 401 Unauthorized | [Error](#schema-Error) | Not authenticated. Codes: `invalid_credentials`. |" in login


def test_the_sockets_page_has_a_section_for_every_route_with_its_frames_each_way():
    document = asyncapi_document()
    page = reference.SOCKETS_PAGE.read_text()
    for cid, channel in document["channels"].items():
        assert f"## `{channel['address']}` {{#{cid}}}" in page
    for message in document["components"]["messages"].values():
        assert f"| `{message['name']}` |" in page
    lobby = page.split("{#ws_lobbies_lobby_id}")[1].split("\n## ")[0]
    client, server = lobby.split("The server sends:")
    assert "| `chat_message` | `ref`, `message` (string" in client
    assert "| `chat_message` |" in server

"""The protocol (``preparedws``) as a client sees it, over a real uvicorn.

Each test starts uvicorn in this test's event loop with ``ws=`` our class's import string (what
``--ws preparedws:PreparedFramesProtocol`` loads) and a tiny ASGI app, no Django: the app reports
what it saw on a queue the test reads. Clients are websockets' own, or a raw socket where a client
must misbehave (not read, not answer pings, send a bad handshake). Like the package, the tests use
uvicorn, websockets, pytest and the standard library only.
"""

import asyncio
import gc
import logging
import socket
import time
import weakref

import pytest
import uvicorn
from websockets.asyncio.client import connect
from websockets.client import ClientProtocol
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.frames import Frame, Opcode
from websockets.uri import parse_uri

from preparedws import PREPARED_FRAMES, ClientGone, prepare
from preparedws.keepalive import keepalives

WS = "preparedws:PreparedFramesProtocol"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def eventually(check, *, what: str, timeout: float = 5.0) -> None:
    """Until ``check()`` is true, asked every 20 ms: for a transport's flag, which has no event."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        await asyncio.sleep(0.02)


class App:
    """The test's ASGI app: one behaviour per path; what it sees goes to ``reports``."""

    def __init__(self) -> None:
        self.reports: asyncio.Queue = asyncio.Queue()
        self.go = asyncio.Event()

    async def report(self, what: str) -> object:
        return await asyncio.wait_for(self.reports.get(), 10)

    async def __call__(self, scope, receive, send) -> None:
        assert scope["type"] == "websocket"
        assert (await receive())["type"] == "websocket.connect"
        name = scope["path"].removeprefix(scope["root_path"]).strip("/").split("/")[0]
        handler = getattr(self, "ws_" + name.replace("-", "_"))
        await handler(scope, receive, send)

    async def until_disconnect(self, receive) -> dict:
        while (message := await receive())["type"] != "websocket.disconnect":
            pass
        return message

    async def ws_echo(self, scope, receive, send) -> None:
        chosen = "second" if "second" in scope["subprotocols"] else None
        await send({"type": "websocket.accept", "subprotocol": chosen, "headers": [(b"x-echo", b"yes")]})
        while (message := await receive())["type"] == "websocket.receive":
            await send({"type": "websocket.send", "text": message.get("text"), "bytes": message.get("bytes")})
        self.reports.put_nowait(message)

    async def ws_scope(self, scope, receive, send) -> None:
        self.reports.put_nowait(scope)
        await send({"type": "websocket.accept"})
        await self.until_disconnect(receive)

    async def ws_refuse(self, scope, receive, send) -> None:
        await send({"type": "websocket.close"})

    async def ws_deny(self, scope, receive, send) -> None:
        headers = [(b"content-type", b"text/plain")]
        await send({"type": "websocket.http.response.start", "status": 401, "headers": headers})
        await send({"type": "websocket.http.response.body", "body": b"who ", "more_body": True})
        await send({"type": "websocket.http.response.body", "body": b"are you"})

    async def ws_boom_before(self, scope, receive, send) -> None:
        raise ValueError("before accept")

    async def ws_boom_after(self, scope, receive, send) -> None:
        await send({"type": "websocket.accept"})
        await receive()
        raise ValueError("after accept")

    async def ws_returns(self, scope, receive, send) -> None:
        await send({"type": "websocket.accept"})

    async def ws_lazy(self, scope, receive, send) -> None:
        """Accept, then read nothing until the test sets ``go``; then report every text received."""
        await send({"type": "websocket.accept"})
        await self.go.wait()
        texts = []
        while (message := await receive())["type"] == "websocket.receive":
            texts.append(message["text"])
        self.reports.put_nowait(texts)

    async def ws_slow_accept(self, scope, receive, send) -> None:
        """Report, then wait for the test before accepting, then report what a receive gives."""
        self.reports.put_nowait("waiting")
        await self.go.wait()
        try:
            await send({"type": "websocket.accept"})
        except OSError as exc:
            self.reports.put_nowait(exc)

    async def ws_record(self, scope, receive, send) -> None:
        """Accept, then report the disconnect and what a send after it raises."""
        await send({"type": "websocket.accept"})
        self.reports.put_nowait(await self.until_disconnect(receive))
        try:
            await send({"type": "websocket.send", "text": "too late"})
        except OSError as exc:
            self.reports.put_nowait(exc)

    async def ws_prepared(self, scope, receive, send) -> None:
        """Normal sends and the sink interleaved; the sink's answers before accept and after close."""
        sink = scope["extensions"][PREPARED_FRAMES]["sink"]
        before = sink.write(prepare("never"))
        await send({"type": "websocket.accept"})
        await receive()  # the client says go
        await send({"type": "websocket.send", "text": "one"})
        sink.write(prepare("two"))
        await send({"type": "websocket.send", "bytes": b"\x03"})
        sink.write(prepare(b"\x04"))
        sink.write(scope["extensions"][PREPARED_FRAMES]["prepare"]("five"))
        await send({"type": "websocket.send", "text": "six"})
        await send({"type": "websocket.close", "code": 4000})
        self.reports.put_nowait((before, sink.write(prepare("after close")), sink.buffered))

    async def ws_flood(self, scope, receive, send) -> None:
        """Write prepared frames until the transport pauses, then see whether a normal send waits."""
        sink = scope["extensions"][PREPARED_FRAMES]["sink"]
        await send({"type": "websocket.accept"})
        frame, written = prepare(b"x" * 65536), 0
        while sink.paused_since is None and written < 4000:
            sink.write(frame)
            written += 1
            await asyncio.sleep(0)
        paused, buffered = sink.paused_since, sink.buffered
        try:
            await asyncio.wait_for(send({"type": "websocket.send", "bytes": b"y"}), 0.5)
            waited = False
        except TimeoutError:
            waited = True
        self.reports.put_nowait((paused, buffered, waited))
        await self.until_disconnect(receive)


@pytest.fixture
def app() -> App:
    return App()


@pytest.fixture
async def serve(app):
    """Start uvicorn with our protocol (and the given Config options); stop every one at the end."""
    servers = []

    async def start(**options) -> uvicorn.Server:
        options = {"ws_per_message_deflate": False, **options}
        config = uvicorn.Config(app, host="127.0.0.1", port=free_port(), ws=WS, lifespan="off", **options)
        config.log_level = "warning"
        server = uvicorn.Server(config)
        task = asyncio.ensure_future(server.serve())
        servers.append((server, task))
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no event for it
            assert not task.done(), task
            await asyncio.sleep(0.02)
        server.url = f"ws://127.0.0.1:{config.port}"
        return server

    yield start
    for server, task in servers:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


def client(url: str, **options):
    return connect(url, compression=None, ping_interval=None, **options)


async def close_code(ws) -> int:
    with pytest.raises(ConnectionClosed) as closed:
        await asyncio.wait_for(ws.recv(), 10)
    return closed.value.rcvd.code if closed.value.rcvd else 1006


async def raw_socket(url: str, *, rcvbuf: int | None = None):
    """A client of our own: a TCP socket that has done the handshake and reads only when asked."""
    sock = socket.socket()
    if rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.setblocking(False)
    host, port = url.removeprefix("ws://").split(":")
    await asyncio.get_running_loop().sock_connect(sock, (host, int(port.split("/")[0])))
    protocol = ClientProtocol(parse_uri(url))
    request = protocol.connect()
    protocol.send_request(request)
    await asyncio.get_running_loop().sock_sendall(sock, b"".join(protocol.data_to_send()))
    return sock, protocol


async def read_events(sock, protocol, *, until_eof: bool = True) -> list:
    """Read and parse until the server ends the stream; the events, in order (pongs are never sent)."""
    loop, events = asyncio.get_running_loop(), []
    while True:
        data = await asyncio.wait_for(loop.sock_recv(sock, 65536), 10)
        if not data:
            protocol.receive_eof()
            return events + protocol.events_received()
        protocol.receive_data(data)
        events += protocol.events_received()


# --- handshake and messages -----------------------------------------------------------------------


async def test_text_and_binary_are_echoed_and_the_app_picks_the_subprotocol(serve, app):
    server = await serve()
    async with client(server.url + "/echo", subprotocols=["first", "second"]) as ws:
        assert ws.subprotocol == "second"
        assert ws.response.headers["x-echo"] == "yes"
        await ws.send("héllo")
        assert await ws.recv() == "héllo"
        await ws.send(b"\x00\xff")
        assert await ws.recv() == b"\x00\xff"
    assert (await app.report("disconnect"))["code"] == 1000


async def test_the_scope_is_asgi_2_4_with_both_extensions(serve, app):
    server = await serve(root_path="/root")
    async with client(server.url + "/scope/caf%C3%A9?a=1&b=%20", subprotocols=["x", "y"]):
        scope = await app.report("scope")
    assert scope["asgi"]["spec_version"] == "2.4"
    assert (scope["scheme"], scope["http_version"]) == ("ws", "1.1")
    assert scope["path"] == "/root/scope/café"
    assert scope["raw_path"] == b"/root/scope/caf%C3%A9"
    assert scope["query_string"] == b"a=1&b=%20"
    assert scope["root_path"] == "/root"
    assert scope["subprotocols"] == ["x", "y"]
    assert scope["server"] == ("127.0.0.1", server.config.port)
    assert scope["client"][0] == "127.0.0.1"
    assert all(name == name.lower() and isinstance(value, bytes) for name, value in scope["headers"])
    assert dict(scope["headers"])[b"sec-websocket-protocol"] == b"x, y"
    assert scope["state"] == {}
    assert set(scope["extensions"]) == {"websocket.http.response", PREPARED_FRAMES}
    assert scope["extensions"][PREPARED_FRAMES]["prepare"] is prepare


async def test_a_fragmented_message_reaches_the_app_whole(serve):
    server = await serve()
    async with client(server.url + "/echo") as ws:
        await ws.send(["frag", "ment", "ed"])
        assert await ws.recv() == "fragmented"
        await ws.send([b"\x01", b"\x02"])
        assert await ws.recv() == b"\x01\x02"


async def test_pings_are_answered_and_a_silent_client_is_closed_1011(serve):
    server = await serve(ws_ping_interval=0.1, ws_ping_timeout=0.2)
    async with client(server.url + "/echo") as ws:
        await asyncio.wait_for(await ws.ping(b"hi"), 5)
        await asyncio.sleep(0.5)  # the server's pings came and were answered by the client
        await ws.send("still here")
        assert await ws.recv() == "still here"
    sock, protocol = await raw_socket(server.url + "/echo")  # never sends its pongs
    with sock:
        events = await read_events(sock, protocol)
    assert [e.opcode for e in events[1:]] == [Opcode.PING, Opcode.CLOSE]
    assert protocol.close_code == 1011


async def test_a_bad_handshake_gets_websockets_own_refusal(serve):
    server = await serve()
    reader, writer = await asyncio.open_connection("127.0.0.1", server.config.port)
    writer.write(
        b"GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Version: 13\r\n\r\n"  # no Sec-WebSocket-Key
    )
    answer = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"Sec-WebSocket-Key" in answer


# --- endings ------------------------------------------------------------------------------------


async def test_a_close_before_accept_is_a_403(serve):
    server = await serve()
    with pytest.raises(InvalidStatus) as refused:
        await client(server.url + "/refuse")
    assert refused.value.response.status_code == 403


async def test_the_denial_response_extension_sends_the_apps_status_and_body(serve):
    server = await serve()
    with pytest.raises(InvalidStatus) as refused:
        await client(server.url + "/deny")
    assert refused.value.response.status_code == 401
    assert refused.value.response.body == b"who are you"


async def test_an_app_error_before_accept_is_a_500_and_after_accept_a_1011(serve, caplog):
    server = await serve()
    logging.getLogger("uvicorn.error").addHandler(caplog.handler)  # uvicorn's loggers do not propagate
    with pytest.raises(InvalidStatus) as refused:
        await client(server.url + "/boom-before")
    assert refused.value.response.status_code == 500
    async with client(server.url + "/boom-after") as ws:
        await ws.send("go")
        assert await close_code(ws) == 1011
    errors = [r for r in caplog.records if r.name == "uvicorn.error" and r.message.startswith("Exception in ASGI")]
    assert len(errors) == 2
    logging.getLogger("uvicorn.error").removeHandler(caplog.handler)


async def test_an_app_that_returns_without_closing_closes_1000(serve):
    server = await serve()
    async with client(server.url + "/returns") as ws:
        assert await close_code(ws) == 1000


async def test_the_clients_close_code_reaches_the_app_and_a_later_send_raises_oserror(serve, app):
    server = await serve()
    ws = await client(server.url + "/record")
    await ws.close(4321, "bye")
    assert await app.report("disconnect") == {"type": "websocket.disconnect", "code": 4321, "reason": "bye"}
    assert isinstance(await app.report("send after"), ClientGone)


async def test_a_connection_lost_without_a_close_frame_is_1006(serve, app):
    server = await serve()
    ws = await client(server.url + "/record")
    ws.transport.abort()
    assert (await app.report("disconnect"))["code"] == 1006
    assert isinstance(await app.report("send after"), OSError)


async def test_a_message_over_ws_max_size_closes_1009(serve, app):
    server = await serve(ws_max_size=1024)
    async with client(server.url + "/echo") as ws:
        await ws.send("x" * 1024)
        assert await ws.recv() == "x" * 1024
        await ws.send(["x" * 1000, "x" * 1000])  # over the limit only once the fragments are added up
        assert await close_code(ws) == 1009
    assert (await app.report("disconnect"))["code"] == 1009


async def test_a_stopping_server_closes_open_sockets_1012(serve, app):
    server = await serve()
    ws = await client(server.url + "/echo")
    server.should_exit = True  # what uvicorn's SIGTERM handler does; it then calls shutdown() on each socket
    assert await close_code(ws) == 1012
    assert (await app.report("disconnect"))["code"] == 1012


async def test_a_stopping_server_refuses_a_socket_still_in_its_handshake(serve, app):
    server = await serve()
    opening = asyncio.ensure_future(client(server.url + "/slow-accept"))
    assert await app.report("handshake under way") == "waiting"
    server.should_exit = True
    with pytest.raises(InvalidStatus) as refused:
        await asyncio.wait_for(opening, 10)
    assert refused.value.response.status_code == 503
    app.go.set()
    assert isinstance(await app.report("accept after"), ClientGone)


async def test_reading_pauses_while_more_than_ws_max_queue_messages_wait_and_nothing_is_lost(serve, app):
    server = await serve(ws_max_queue=4)
    async with client(server.url + "/lazy") as ws:
        (protocol,) = server.server_state.connections
        for n in range(200):
            await ws.send(str(n))
        await eventually(lambda: not protocol.transport.is_reading(), what="reading paused")
        app.go.set()
        await eventually(protocol.transport.is_reading, what="reading resumed")
    assert await app.report("texts") == [str(n) for n in range(200)]


async def test_a_closed_socket_is_freed_by_refcounting_and_leaves_no_keepalive_deadline(serve, app):
    server = await serve()
    ws = await client(server.url + "/echo")
    (protocol,) = server.server_state.connections
    keepalive = keepalives()
    assert len(keepalive) == 1  # its next ping
    freed = weakref.ref(protocol)
    del protocol
    gc.disable()
    try:
        await ws.close()
        await app.report("disconnect")
        for _ in range(20):
            await asyncio.sleep(0.01)
        assert freed() is None
        assert len(keepalive) == 0 and keepalive.timer is None
    finally:
        gc.enable()


# --- prepared frames --------------------------------------------------------------------------


async def test_prepared_frames_arrive_as_normal_sends_do_and_in_order(serve, app):
    server = await serve()
    async with client(server.url + "/prepared") as ws:
        await ws.send("go")
        received = [await ws.recv() for _ in range(6)]
        assert await close_code(ws) == 4000
    assert received == ["one", "two", b"\x03", b"\x04", "five", "six"]
    before_accept, after_close, buffered = await app.report("sink")
    assert (before_accept, after_close, buffered) == (False, False, 0)


def test_prepare_is_the_frame_a_server_sends():
    assert prepare("hi") == Frame(Opcode.TEXT, b"hi").serialize(mask=False) == b"\x81\x02hi"
    assert prepare(b"\x00" * 200)[:4] == b"\x82\x7e\x00\xc8"


async def test_a_client_that_does_not_read_pauses_the_socket_and_a_send_waits(serve, app):
    server = await serve()
    sock, _ = await raw_socket(server.url + "/flood", rcvbuf=4096)
    with sock:
        paused_since, buffered, waited = await app.report("flood")
    assert paused_since is not None and paused_since <= asyncio.get_running_loop().time()
    assert buffered > 65536  # over asyncio's default high-water mark
    assert waited


async def test_no_prepared_frames_are_offered_with_permessage_deflate(serve, app):
    server = await serve(ws_per_message_deflate=True)
    async with connect(server.url + "/scope", ping_interval=None) as ws:
        scope = await app.report("scope")
        assert ws.response.headers["Sec-WebSocket-Extensions"].startswith("permessage-deflate")
    assert PREPARED_FRAMES not in scope["extensions"]
    assert "websocket.http.response" in scope["extensions"]


@pytest.mark.parametrize("length", [0, 1, 125, 126, 65535, 65536, 70000])
def test_a_prepared_frame_reads_back_as_its_message_at_every_length_encoding(length):
    """``prepare`` frames by RFC 6455 itself: websockets' client protocol (its public Sans-I/O API)
    reads each prepared frame back as the one message it holds, text and binary, for each of the
    three ways a length is written (7, 16 and 64 bits)."""
    from websockets.client import ClientProtocol
    from websockets.frames import Opcode
    from websockets.protocol import State
    from websockets.uri import parse_uri

    client = ClientProtocol(parse_uri("ws://127.0.0.1/"), state=State.OPEN, max_size=None)
    text, data = (
        "é" * (length // 2) + "x" * (length % 2),
        bytes(range(256)) * (length // 256) + b"\x07" * (length % 256),
    )
    client.receive_data(prepare(text) + prepare(data))
    frames = client.events_received()
    assert [(f.opcode, f.fin) for f in frames] == [(Opcode.TEXT, True), (Opcode.BINARY, True)]
    assert bytes(frames[0].data).decode() == text
    assert bytes(frames[1].data) == data

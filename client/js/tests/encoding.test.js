// The MessagePack encoding without a server: a stand-in WebSocket (the constructor the client
// takes) records what the SDK asks of it and plays the server's side of the handshake.
import assert from "node:assert/strict";
import { test } from "node:test";

import { decode, encode } from "@msgpack/msgpack";

import { Client, MemoryStorage, MSGPACK_SUBPROTOCOL } from "@gameplatform/client";

/** A WebSocket as browsers make it, driven by the test: `accept(protocol)`, `receive(data)`. */
class FakeWebSocket {
  /** @type {FakeWebSocket[]} */
  static made = [];

  /**
   * @param {string} url
   * @param {string | string[]} [protocols]
   */
  constructor(url, protocols) {
    this.url = url;
    this.args = protocols === undefined ? [url] : [url, protocols];
    this.readyState = 0;
    this.protocol = "";
    this.binaryType = "blob";
    /** @type {(string | Uint8Array)[]} */
    this.sent = [];
    /** @type {((event: any) => void) | null} */
    this.onopen = null;
    /** @type {((event: any) => void) | null} */
    this.onmessage = null;
    /** @type {((event: any) => void) | null} */
    this.onclose = null;
    /** @type {((event: any) => void) | null} */
    this.onerror = null;
    FakeWebSocket.made.push(this);
  }

  /** The server's handshake answer: `protocol` is the subprotocol it agreed to ("" for none). */
  accept(protocol = "") {
    this.protocol = protocol;
    this.readyState = 1;
    this.onopen?.({});
  }

  /** @param {unknown} data */
  receive(data) {
    this.onmessage?.({ data });
  }

  /** @param {string | Uint8Array} data */
  send(data) {
    this.sent.push(data);
  }

  /** @param {number} [code] */
  close(code = 1000) {
    this.readyState = 3;
    this.onclose?.({ code, reason: "" });
  }
}

/** A fetch that hands out WebSocket tickets, the only REST call a socket makes. */
async function ticketFetch() {
  return new Response(JSON.stringify({ ticket: "t", expires_in: 30 }), {
    status: 200,
    headers: { "Content-Type": "application/json" },
  });
}

/** @param {import("@gameplatform/client").ClientOptions} [options] */
function offlineClient(options = {}) {
  return new Client({ baseUrl: "http://game.test", storage: new MemoryStorage(), fetch: ticketFetch, WebSocket: FakeWebSocket, ...options });
}

/** The stand-in the socket made once its ticket arrived. */
async function madeSocket() {
  const before = FakeWebSocket.made.length;
  for (let n = 0; n < 100 && FakeWebSocket.made.length === before; n += 1) await new Promise((r) => setTimeout(r, 1));
  assert.equal(FakeWebSocket.made.length, before + 1, "one WebSocket made");
  return /** @type {FakeWebSocket} */ (FakeWebSocket.made.at(-1));
}

/** An ArrayBuffer holding exactly the MessagePack encoding of `value`, as a browser delivers it. */
function packed(/** @type {unknown} */ value) {
  const bytes = encode(value);
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
}

test("a msgpack socket offers the subprotocol, takes binary frames and sends MessagePack", async () => {
  const client = offlineClient({ encoding: "msgpack" });
  const socket = client.socket("/ws/notifications/");
  assert.equal(socket.send("ping", { ref: "early", skip: undefined }), "queued");
  const ws = await madeSocket();
  assert.deepEqual(ws.args.slice(1), [[MSGPACK_SUBPROTOCOL]]);
  assert.equal(MSGPACK_SUBPROTOCOL, "gameplatform.msgpack");
  assert.equal(ws.binaryType, "arraybuffer");
  ws.accept(MSGPACK_SUBPROTOCOL);
  assert.equal(socket.protocol, "gameplatform.msgpack");
  assert.equal(socket.send("ping", { ref: "open" }), "sent");
  assert.ok(ws.sent.every((data) => data instanceof Uint8Array), "binary frames");
  assert.deepEqual(ws.sent.map((data) => decode(data)), [
    { ref: "early", type: "ping" }, // undefined fields are left out, as JSON leaves them out
    { ref: "open", type: "ping" },
  ]);

  /** @type {unknown[]} */
  const heard = [];
  socket.on("*", (frame) => heard.push(frame));
  const frame = { type: "badge", unread: 3, ratio: 0.5, whole: 2.0, none: null, tags: ["a"], nested: { k: 1 } };
  ws.receive(packed(frame));
  ws.receive(new Uint8Array(encode(frame))); // the ws package's Buffer when binaryType is left alone
  ws.receive(JSON.stringify(frame)); // a text frame is still JSON
  ws.receive(new Uint8Array([0xc1])); // not MessagePack: ignored, as unreadable JSON is
  assert.deepEqual(heard, [frame, frame, frame]);
  assert.ok(Number.isInteger(/** @type {any} */ (heard[0]).unread));
  client.close();
});

test("a msgpack socket whose server agrees to no subprotocol speaks JSON, queued frames too", async () => {
  const client = offlineClient({ encoding: "msgpack" });
  const socket = client.socket("/ws/notifications/");
  socket.send("ping", { ref: "early" });
  const ws = await madeSocket();
  ws.accept("");
  socket.send("ping", { ref: "open" });
  assert.equal(socket.protocol, "");
  assert.deepEqual(ws.sent, ['{"ref":"early","type":"ping"}', '{"ref":"open","type":"ping"}']);
  client.close();
});

test("a json socket (the default) offers no subprotocol and sends text", async () => {
  const client = offlineClient();
  assert.equal(client.encoding, "json");
  const socket = client.socket("/ws/notifications/");
  const ws = await madeSocket();
  assert.equal(ws.args.length, 1, "new WebSocket(url), as before");
  assert.equal(ws.binaryType, "blob", "left alone");
  ws.accept();
  socket.send("ping", { ref: "r" });
  assert.deepEqual(ws.sent, ['{"ref":"r","type":"ping"}']);
  assert.deepEqual([socket.encoding, socket.protocol], ["json", ""]);
  client.close();
});

test("a socket's own encoding overrides the client's", async () => {
  const client = offlineClient();
  const room = client.gameRoom(7, { encoding: "msgpack" });
  const ws = await madeSocket();
  assert.deepEqual(ws.args.slice(1), [[MSGPACK_SUBPROTOCOL]]);
  assert.equal(room.socket.encoding, "msgpack");
  const json = offlineClient({ encoding: "msgpack" }).socket("/ws/notifications/", { encoding: "json" });
  assert.equal((await madeSocket()).args.length, 1);
  client.close();
  json.close();
});

test("an encoding other than json or msgpack is refused at once", () => {
  // @ts-expect-error not an encoding
  assert.throws(() => offlineClient({ encoding: "cbor" }), TypeError);
});

test("a room fed the same frames as MessagePack or as JSON holds the same game and view", async () => {
  const state = {
    type: "game_state", id: 7, mode: "arena", state: "active", tick: 3, turn: null, winner_id: null,
    players: [{ id: 1, username: "a", ready: true, connected: true }],
    view: { players: { 1: { x: 10.5, y: 2, hp: 100 } }, pickups: [] },
  };
  const patch = {
    type: "state_patch", tick: 4,
    ops: [{ op: "replace", path: "/players/1/x", value: 11.25 }, { op: "add", path: "/pickups/-", value: { x: 1, y: 1.5 } }],
  };
  const rooms = [];
  for (const [encoding, wire] of /** @type {const} */ ([["json", JSON.stringify], ["msgpack", packed]])) {
    const client = offlineClient({ encoding });
    const room = client.gameRoom(7);
    const ws = await madeSocket();
    ws.accept(encoding === "msgpack" ? MSGPACK_SUBPROTOCOL : "");
    ws.receive(wire(state));
    ws.receive(wire(patch));
    rooms.push(room);
    client.close();
  }
  assert.deepEqual(rooms[1].view, rooms[0].view);
  assert.deepEqual(rooms[1].game, rooms[0].game);
  assert.deepEqual(rooms[1].view, { players: { 1: { x: 11.25, y: 2, hp: 100 } }, pickups: [{ x: 1, y: 1.5 }] });
});

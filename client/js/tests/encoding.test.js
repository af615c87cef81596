// The MessagePack encoding without a server: a stand-in WebSocket (offline.js) records what the
// SDK asks of it and plays the server's side of the handshake.
import assert from "node:assert/strict";
import { test } from "node:test";

import { decode, encode } from "@msgpack/msgpack";

import { MSGPACK_SUBPROTOCOL } from "@gameplatform/client";

import { madeSocket, offlineClient, packed } from "./offline.js";

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

for (const encoding of /** @type {const} */ (["msgpack", "compact"])) {
  test(`a ${encoding} socket whose server agrees to no subprotocol speaks JSON, queued frames too`, async () => {
    const client = offlineClient({ encoding });
    const socket = client.socket("/ws/notifications/");
    socket.send("ping", { ref: "early" });
    const ws = await madeSocket();
    ws.accept("");
    socket.send("ping", { ref: "open" });
    assert.equal(socket.protocol, "");
    assert.deepEqual(ws.sent, ['{"ref":"early","type":"ping"}', '{"ref":"open","type":"ping"}']);
    client.close();
  });
}

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

test("an encoding other than json, msgpack or compact is refused at once", () => {
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

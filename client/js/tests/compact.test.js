// The compact encoding (`gameplatform.compact`) without a server: the frames of
// compact-fixtures.json, made by the server's own encoder (test_compact_fixtures.py keeps them
// equal to what it makes now), decode to the very objects their JSON texts give.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { decode, encode, ExtData } from "@msgpack/msgpack";

import { COMPACT_SUBPROTOCOL } from "@gameplatform/client";

import { madeSocket, offlineClient, packed } from "./offline.js";

/** @type {{frames: {name: string, json: string, compact: string}[]}} */
const FIXTURES = JSON.parse(readFileSync(new URL("./compact-fixtures.json", import.meta.url), "utf8"));

/** The hex bytes as an ArrayBuffer of their own, as a browser delivers a binary message. */
function bytes(/** @type {string} */ hex) {
  return new Uint8Array(Buffer.from(hex, "hex")).buffer;
}

/** A compact socket the stand-in server accepted, and every frame its listeners hear. */
async function compactSocket() {
  const client = offlineClient({ encoding: "compact" });
  const socket = client.socket("/ws/game/7/");
  const ws = await madeSocket();
  ws.accept(COMPACT_SUBPROTOCOL);
  /** @type {any[]} */
  const heard = [];
  socket.on("*", (frame) => heard.push(frame));
  return { client, socket, ws, heard };
}

test("a compact socket offers gameplatform.compact and reads binary frames on it", async () => {
  const client = offlineClient({ encoding: "compact" });
  assert.equal(client.encoding, "compact");
  const socket = client.socket("/ws/game/7/");
  const ws = await madeSocket();
  assert.deepEqual(ws.args.slice(1), [[COMPACT_SUBPROTOCOL]]);
  assert.equal(COMPACT_SUBPROTOCOL, "gameplatform.compact");
  assert.equal(ws.binaryType, "arraybuffer");
  ws.accept(COMPACT_SUBPROTOCOL);
  assert.deepEqual([socket.encoding, socket.protocol], ["compact", "gameplatform.compact"]);
  client.close();
});

test("every fixture the server encoded decodes to exactly the frame its JSON text gives", async () => {
  assert.ok(FIXTURES.frames.length >= 15, "the fixtures are there");
  const { client, ws, heard } = await compactSocket();
  for (const fixture of FIXTURES.frames) ws.receive(bytes(fixture.compact));
  assert.equal(heard.length, FIXTURES.frames.length, "every frame heard");
  for (const [n, fixture] of FIXTURES.frames.entries()) {
    // deepStrictEqual: the same keys (timers only when sent), values and types; -0 is not 0.
    assert.deepStrictEqual(heard[n], JSON.parse(fixture.json), fixture.name);
    assert.deepStrictEqual(Object.keys(heard[n]), Object.keys(JSON.parse(fixture.json)), `${fixture.name}: key order`);
  }
  client.close();
});

test("compact frames arrive the same as the ws package's Buffers, and text frames are still JSON", async () => {
  const { client, ws, heard } = await compactSocket();
  const [fixture] = FIXTURES.frames;
  ws.receive(Buffer.from(fixture.compact, "hex")); // binaryType left alone in the ws package
  ws.receive(fixture.json);
  assert.deepStrictEqual(heard, [JSON.parse(fixture.json), JSON.parse(fixture.json)]);
  client.close();
});

test("negative zero stays negative and a short decimal is the double its text gives", async () => {
  const { client, ws, heard } = await compactSocket();
  const fixture = FIXTURES.frames.find((f) => f.name.startsWith("negative zero"));
  ws.receive(bytes(/** @type {{compact: string}} */ (fixture).compact));
  const values = Object.fromEntries(heard[0].ops.map((/** @type {any} */ op) => [op.path, op.value]));
  assert.ok(Object.is(values["/z"], -0) && Object.is(values["/zero"], 0));
  assert.equal(values["/third"], 0.1 + 0.2);
  client.close();
});

test("a compact socket sends plain MessagePack maps, queued frames too", async () => {
  const client = offlineClient({ encoding: "compact" });
  const socket = client.socket("/ws/game/7/");
  socket.send("ping", { ref: "early" });
  const ws = await madeSocket();
  ws.accept(COMPACT_SUBPROTOCOL);
  socket.send("input", { data: { dx: 0.5, dy: -1 } });
  assert.ok(ws.sent.every((data) => data instanceof Uint8Array), "binary frames");
  assert.deepEqual(ws.sent.map((data) => decode(data)), [
    { ref: "early", type: "ping" },
    { data: { dx: 0.5, dy: -1 }, type: "input" },
  ]);
  client.close();
});

test("a compact frame that does not fit is ignored, and the socket reads the next", async () => {
  const { client, ws, heard } = await compactSocket();
  ws.receive(packed([1, [[5, "a"], 1], null, null])); // up 5 levels from the root
  ws.receive(packed([1, "not changes", null, null]));
  ws.receive(packed([1, [[], 1], null, null])); // fine: the whole document is 1
  const whole = { type: "state_patch", tick: 1, ops: [{ op: "replace", path: "", value: 1 }], turn: null, turn_deadline: null };
  assert.deepStrictEqual(heard, [whole]);
  client.close();
});

test("a room fed the same frames compact or as JSON holds the same game and view", async () => {
  const frames = ["a game_state", "the whole view replaced"].map((prefix) => {
    const fixture = FIXTURES.frames.find((f) => f.name.startsWith(prefix));
    return /** @type {{json: string, compact: string}} */ (fixture);
  });
  const rooms = [];
  for (const encoding of /** @type {const} */ (["json", "compact"])) {
    const client = offlineClient({ encoding });
    const room = client.gameRoom(7);
    const ws = await madeSocket();
    ws.accept(encoding === "compact" ? COMPACT_SUBPROTOCOL : "");
    for (const frame of frames) ws.receive(encoding === "compact" ? bytes(frame.compact) : frame.json);
    rooms.push(room);
    client.close();
  }
  assert.deepStrictEqual(rooms[1].view, rooms[0].view);
  assert.deepStrictEqual(rooms[1].game, rooms[0].game);
  assert.deepStrictEqual(rooms[1].view, { players: { 1: { x: 11.25, y: 2 } }, pickups: [{ x: 1, y: 1 }], round: 2 });
});

test("the compact decoder reads what @msgpack/msgpack packs with the extensions by hand", async () => {
  // Independent of the fixtures: ext 2 holding -4567 in 2 bytes is -45.67; ext 5 wraps an add.
  const { client, ws, heard } = await compactSocket();
  const added = new ExtData(5, encode({ x: new ExtData(1, new Uint8Array([0x05])) }));
  const removed = new ExtData(0, new Uint8Array());
  const frame = [2, ["a", new ExtData(2, new Uint8Array([0xee, 0x29])), [0, "b", "c"], added, "d", removed], 9, 1.5];
  ws.receive(new Uint8Array(encode(frame)));
  assert.deepStrictEqual(heard, [{
    type: "state_patch", tick: 2, turn: 9, turn_deadline: 1.5,
    ops: [{ op: "replace", path: "/a", value: -45.67 }, { op: "add", path: "/b/c", value: { x: 0.5 } }, { op: "remove", path: "/b/d" }],
  }]);
  client.close();
});

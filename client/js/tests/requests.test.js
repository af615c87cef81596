// A game room's calls: none waits forever, a frame the connection lost goes out again with the
// same ref once the new connection has its game_state, a `duplicate` ack counts as taken,
// `unavailable` is tried again. Offline, the stand-in WebSocket (offline.js) plays the server;
// live, a WebSocket that loses a frame and its connection (live.js) plays the network.
import assert from "node:assert/strict";
import { test } from "node:test";

import { closeReason, GamePlatformError } from "@gameplatform/client";

import { FaultyWebSocket, liveTest, newPlayer, within } from "./live.js";
import { madeSocket, offlineClient } from "./offline.js";

/** Reconnections at once, so that a test need not wait out the backoff. */
const AT_ONCE = { baseMs: 1, maxMs: 1, jitter: 0 };

const STATE = {
  type: "game_state", id: 7, mode: "tictactoe", state: "active", tick: 4, turn: 1, winner_id: null,
  players: [{ id: 1, username: "a", score: 0, side: "left", ready: true, connected: true }],
  view: { board: [null, null, null, null, null, null, null, null, null] },
};

/** A game_state whose board has `marks` ({cell: mark}) at `tick`. */
function stateWith(/** @type {Record<number, string>} */ marks, tick = STATE.tick) {
  const board = STATE.view.board.map((cell, n) => marks[n] ?? cell);
  return JSON.stringify({ ...STATE, tick, view: { board } });
}

/**
 * The frames the client sent on `ws` (pings left out), as objects.
 * @param {import("./offline.js").FakeWebSocket} ws
 * @returns {Record<string, any>[]}
 */
function sentOn(ws) {
  return ws.sent.map((data) => JSON.parse(String(data))).filter((frame) => frame.type !== "ping");
}

/**
 * A room of game 7 whose first connection is open and has its game_state.
 * @param {import("@gameplatform/client").ClientOptions} [clientOptions]
 * @param {import("@gameplatform/client").GameRoomOptions} [roomOptions]
 */
async function openRoom(clientOptions = {}, roomOptions = {}) {
  const client = offlineClient({ reconnect: AT_ONCE, ...clientOptions });
  /** @type {import("@gameplatform/client").GameRoom<{board: (string | null)[]}>} */
  const room = client.gameRoom(7, roomOptions);
  const ws = await madeSocket();
  ws.accept();
  ws.receive(stateWith({}));
  return { client, room, ws };
}

/**
 * The GamePlatformError the promise rejects with.
 * @param {Promise<unknown>} promise
 */
async function failure(promise) {
  const error = await promise.then(
    () => assert.fail("the call succeeded; a GamePlatformError was expected"),
    (/** @type {unknown} */ e) => e,
  );
  assert.ok(error instanceof GamePlatformError, `a GamePlatformError, not ${error}`);
  return error;
}

test("a move the server never answers fails with a timeout error after the call's timeoutMs, and nothing is left waiting", async () => {
  const { client, room, ws } = await openRoom();
  const began = Date.now();
  const error = await failure(room.move({ cell: 4 }, { timeoutMs: 60 }));
  const [frame] = sentOn(ws);
  assert.equal(error.code, "timeout");
  assert.equal(error.ref, frame.ref, "the error names the frame's ref");
  assert.equal(error.status, 0);
  assert.match(error.detail, /player_move within 60 ms/);
  assert.ok(Date.now() - began >= 55, "not before its time");
  assert.equal(room.waiting, 0);
  ws.receive(JSON.stringify({ type: "ack", ref: frame.ref })); // a late answer changes nothing
  assert.equal(room.waiting, 0);
  client.close();
});

test("the room's requestTimeoutMs, else the client's, bounds every call; a call's timeoutMs wins", async () => {
  const { client, room } = await openRoom({ requestTimeoutMs: 40 });
  assert.equal(client.requestTimeoutMs, 40);
  const timedOut = await Promise.all(
    [room.ready(), room.action("emote", { name: "wave" }), room.forfeit()].map((call) => failure(call)),
  );
  assert.deepEqual(timedOut.map((error) => error.code), ["timeout", "timeout", "timeout"]);
  assert.equal(room.waiting, 0);
  client.close();

  const own = await openRoom({ requestTimeoutMs: 5000 }, { requestTimeoutMs: 30 });
  assert.match((await failure(own.room.ready())).detail, /within 30 ms/);
  assert.match((await failure(own.room.ready({ timeoutMs: 20 }))).detail, /within 20 ms/);
  own.client.close();
});

test("the default timeout is 10 s, and a timeout that no timer can keep is refused at once", async () => {
  assert.equal(offlineClient().requestTimeoutMs, 10_000);
  for (const bad of [0, -1, Infinity, NaN, 2 ** 31]) {
    assert.throws(() => offlineClient({ requestTimeoutMs: bad }), TypeError);
  }
  const { client, room } = await openRoom();
  assert.throws(() => client.gameRoom(8, { requestTimeoutMs: 0 }), TypeError);
  await assert.rejects(room.move({ cell: 1 }, { timeoutMs: Infinity }), TypeError);
  await assert.rejects(room.ready({ timeoutMs: -5 }), TypeError);
  assert.equal(room.waiting, 0);
  client.close();
});

test("a move sent on a connection that closed before its answer goes out again, same ref, once the new connection has its game_state", async () => {
  const { client, room, ws } = await openRoom();
  const move = room.move({ cell: 4 });
  const [first] = sentOn(ws);
  assert.equal(first.type, "player_move");
  ws.close(1006); // dropped, no answer

  const again = await madeSocket();
  again.accept();
  assert.deepEqual(sentOn(again), [], "not before the fresh game_state");
  again.receive(stateWith({ 4: "X" }, 5)); // the server had taken it: the fresh state shows it
  assert.deepEqual(sentOn(again), [{ ...first, resent: true }], "the same frame, the same ref, marked as sent again");
  again.receive(JSON.stringify({ type: "ack", ref: first.ref, duplicate: true }));
  const view = await move;
  assert.equal(view?.board[4], "X");
  assert.equal(room.waiting, 0);
  assert.equal(room.socket.opens, 2);
  client.close();
});

test("a resent frame answered with a plain ack (the server had not taken it) resolves too, and still within its timeout", async () => {
  const { client, room, ws } = await openRoom();
  const ready = room.ready({ timeoutMs: 2000 });
  const [first] = sentOn(ws);
  ws.close(1012); // a server stopping for a deploy
  const again = await madeSocket();
  again.accept();
  again.receive(stateWith({}));
  assert.deepEqual(sentOn(again), [{ ...first, resent: true }]);
  again.receive(JSON.stringify({ type: "ack", ref: first.ref }));
  await ready;

  // Sent again and unanswered there too: the call still ends at its timeout.
  const move = room.move({ cell: 0 }, { timeoutMs: 80 });
  again.close(1006);
  const third = await madeSocket();
  third.accept();
  third.receive(stateWith({}));
  assert.equal(sentOn(third).length, 1);
  assert.equal((await failure(move)).code, "timeout");
  assert.equal(room.waiting, 0);
  client.close();
});

test("a frame queued while the socket is away goes out once, on the next connection", async () => {
  const { client, room, ws } = await openRoom();
  ws.close(1006);
  const move = room.move({ cell: 2 }); // queued by the socket: not yet sent anywhere
  const again = await madeSocket();
  again.accept();
  again.receive(stateWith({}));
  const frames = sentOn(again);
  assert.equal(frames.length, 1, "queued and not sent again");
  again.receive(JSON.stringify({ type: "ack", ref: frames[0].ref }));
  await move;
  client.close();
});

test("an unavailable answer is tried again after its retry_after with the same ref, and the ack then resolves", async () => {
  const { client, room, ws } = await openRoom();
  const move = room.move({ cell: 4 });
  const [first] = sentOn(ws);
  ws.receive(JSON.stringify({ type: "error", code: "unavailable", message: "The room moves.", ref: first.ref, retry_after: 0.05 }));
  assert.equal(sentOn(ws).length, 1, "not before retry_after");
  await new Promise((resolve) => setTimeout(resolve, 80));
  assert.deepEqual(sentOn(ws), [first, { ...first, resent: true }], "the same frame again");
  ws.receive(JSON.stringify({ type: "ack", ref: first.ref }));
  await move;
  assert.equal(room.waiting, 0);
  client.close();
});

test("an unavailable answer whose retry_after outlasts the call's time fails the call with it", async () => {
  const { client, room, ws } = await openRoom();
  const move = room.move({ cell: 4 }, { timeoutMs: 300 });
  const [first] = sentOn(ws);
  ws.receive(JSON.stringify({ type: "error", code: "unavailable", message: "Later.", ref: first.ref, retry_after: 0.1 }));
  await new Promise((resolve) => setTimeout(resolve, 130));
  ws.receive(JSON.stringify({ type: "error", code: "unavailable", message: "Later.", ref: first.ref, retry_after: 1 }));
  const error = await failure(move);
  assert.deepEqual([error.code, error.retryAfter, error.ref], ["unavailable", 1, first.ref]);
  assert.equal(sentOn(ws).length, 2, "sent twice, not a third time");
  assert.equal(room.waiting, 0);
  client.close();
});

test("a refusal fails the call at once and is not sent again", async () => {
  const { client, room, ws } = await openRoom();
  const move = room.move({ cell: 4 });
  const [first] = sentOn(ws);
  ws.receive(JSON.stringify({ type: "error", code: "not_your_turn", message: "Wait.", ref: first.ref }));
  assert.equal((await failure(move)).code, "not_your_turn");
  ws.close(1006);
  const again = await madeSocket();
  again.accept();
  again.receive(stateWith({}));
  assert.deepEqual(sentOn(again), []);
  client.close();
});

test("a socket closed for good fails the waiting call with disconnected", async () => {
  const { client, room, ws } = await openRoom();
  const move = room.move({ cell: 4 });
  ws.close(4403);
  const error = await failure(move);
  assert.equal(error.code, "disconnected");
  assert.equal(room.waiting, 0);
  client.close();
});

test("after a reconnection the fresh game_state replaces the view; patches before it are not applied", async () => {
  const { client, room, ws } = await openRoom();
  ws.receive(JSON.stringify({ type: "state_patch", tick: 5, ops: [{ op: "replace", path: "/board/0", value: "X" }] }));
  assert.equal(room.view?.board[0], "X");
  ws.close(1006);
  const again = await madeSocket();
  again.accept();
  /** @type {unknown[]} */
  const changes = [];
  room.onChange((view) => changes.push(structuredClone(view)));
  // A patch the room sent after one this client missed: it does not apply to the view held here.
  again.receive(JSON.stringify({ type: "state_patch", tick: 7, ops: [{ op: "replace", path: "/board/8", value: "O" }] }));
  assert.equal(room.view?.board[8], null, "not applied before the game_state");
  assert.equal(room.tick, 5);
  again.receive(stateWith({ 0: "X", 3: "O" }, 6));
  assert.deepEqual(room.view?.board, ["X", null, null, "O", null, null, null, null, null]);
  assert.equal(room.tick, 6);
  again.receive(JSON.stringify({ type: "state_patch", tick: 7, ops: [{ op: "replace", path: "/board/1", value: "X" }] }));
  assert.deepEqual(room.view?.board.slice(0, 4), ["X", "X", null, "O"]);
  assert.equal(changes.length, 2, "the game_state and the patch after it");
  client.close();
});

test("1012 (service restart) has its name and the socket comes back; 1013 comes back too", async () => {
  for (const code of [1012, 4012]) {
    const reason = closeReason(code);
    assert.deepEqual([reason.kind, reason.reconnect], ["service_restart", true]);
  }
  for (const code of [1013, 4013]) {
    assert.deepEqual([closeReason(code).kind, closeReason(code).reconnect], ["try_again_later", true]);
  }
  const { client, room, ws } = await openRoom();
  /** @type {import("@gameplatform/client").CloseReason[]} */
  const closes = [];
  room.socket.onClose((reason) => closes.push(reason));
  ws.close(1012);
  const again = await madeSocket();
  again.accept();
  assert.equal(room.status, "open");
  assert.deepEqual(closes.map((r) => [r.kind, r.reconnect]), [["service_restart", true]]);
  client.close();
});

test("two rooms of the same game send different refs", async () => {
  const first = await openRoom();
  const second = await openRoom();
  void first.room.ready().catch(() => {});
  void second.room.ready().catch(() => {});
  const [a] = sentOn(first.ws);
  const [b] = sentOn(second.ws);
  assert.notEqual(a.ref, b.ref);
  first.client.close();
  second.client.close();
});

// --- against the live server ------------------------------------------------------------------

/**
 * Two new players matched into one tic-tac-toe game, both ready, the game active; `x` moves first.
 * @param {import("@gameplatform/client").ClientOptions} options the clients' options
 */
async function activeGame(options) {
  const alice = await newPlayer("alice", options);
  const bob = await newPlayer("bob", options);
  const [gameId, other] = await within(Promise.all([alice.findMatch("tictactoe"), bob.findMatch("tictactoe")]), "a match");
  assert.equal(gameId, other);
  /** @type {import("@gameplatform/client").GameRoom<{board: (string | null)[]}>[]} */
  const rooms = [alice.gameRoom(gameId), bob.gameRoom(gameId)];
  await within(Promise.all(rooms.map((room) => room.ready())), "both players ready");
  await within(Promise.all(rooms.map((room) => room.until((r) => r.state === "active"))), "the start");
  const [x, o] = rooms[0].myTurn ? rooms : [rooms[1], rooms[0]];
  return { alice, bob, x, o };
}

/**
 * The acks a room hears, as they come.
 * @param {import("@gameplatform/client").GameRoom<any>} room
 */
function acksOf(room) {
  /** @type {import("@gameplatform/client").AckFrame[]} */
  const acks = [];
  room.on("ack", (frame) => acks.push(frame));
  return acks;
}

liveTest("a move lost with its connection is sent again after the reconnection, same ref, and counts once", async () => {
  const { alice, bob, x, o } = await activeGame({ WebSocket: FaultyWebSocket });
  const acks = acksOf(x);
  /** @type {unknown[]} */
  const movesSeen = [];
  o.on("player_move", (frame) => movesSeen.push(frame.movement));
  /** @type {string[]} */
  const refs = [];
  FaultyWebSocket.loseSent = (frame) => frame.type === "player_move" && refs.push(frame.ref) > 0;
  const before = x.socket.opens;

  const view = await within(x.move({ cell: 4 }), "the move, sent again");
  assert.equal(refs.length, 1, "the first frame was lost");
  assert.ok(x.socket.opens > before, "answered on a new connection");
  assert.equal(view?.board[4], "X");
  assert.deepEqual(acks.map((ack) => ack.ref), refs, "answered once, for the same ref");
  assert.equal(x.waiting, 0);

  // The game's state after: one mark, O's turn, O plays on it.
  await within(o.until((room) => room.myTurn), "O's turn");
  assert.deepEqual(o.view?.board.filter((cell) => cell !== null), ["X"]);
  assert.deepEqual(movesSeen, [{ cell: 4 }], "the other player saw the move once");
  await o.move({ cell: 0 });
  await x.until((room) => room.myTurn);
  assert.deepEqual(x.view?.board, ["O", null, null, null, "X", null, null, null, null]);
  await x.forfeit();
  alice.close();
  bob.close();
});

liveTest("a call whose answer was lost with its connection is sent again with the same ref and resolves, the frame taken once", async () => {
  const alice = await newPlayer("alice", { WebSocket: FaultyWebSocket });
  const bob = await newPlayer("bob");
  const [gameId] = await within(Promise.all([alice.findMatch("tictactoe"), bob.findMatch("tictactoe")]), "a match");
  const a = alice.gameRoom(gameId);
  const b = bob.gameRoom(gameId);
  await within(Promise.all([a.until((r) => r.state !== null), b.until((r) => r.state !== null)]), "both rooms open");
  const acks = acksOf(a);
  /** @type {number[]} */
  const readiesSeen = [];
  b.on("player_ready", (frame) => readiesSeen.push(frame.user_id));
  /** @type {string[]} */
  const lost = [];
  // The server takes the frame and answers; the answer is lost with the connection.
  FaultyWebSocket.loseReceived = (frame) => frame.type === "ack" && lost.push(frame.ref) > 0;

  const before = a.socket.opens;

  await within(a.ready(), "ready, its answer lost, sent again");
  assert.equal(lost.length, 1, "the first answer was lost");
  assert.ok(a.socket.opens > before, "answered on a new connection");
  // The server answers the frame sent again `ack` (with `duplicate: true` where it remembers
  // the ref it took): either way the call resolved, for the same ref.
  assert.deepEqual(acks.map((ack) => ack.ref), lost);
  assert.equal(a.players.find((p) => p.id === alice.userId)?.ready, true);
  await within(b.ready(), "bob ready");
  await within(a.until((room) => room.state === "active"), "the start");
  assert.deepEqual(readiesSeen, [alice.userId, bob.userId], "alice's ready was taken once");
  await a.forfeit();
  alice.close();
  bob.close();
});

liveTest("a move whose ack was lost with its connection is sent again, answered duplicate, and played once", async () => {
  const { alice, bob, x, o } = await activeGame({ WebSocket: FaultyWebSocket });
  const acks = acksOf(x);
  /** @type {unknown[]} */
  const movesSeen = [];
  o.on("player_move", (frame) => movesSeen.push(frame.movement));
  /** @type {string[]} */
  const lost = [];
  // The server takes the move and answers; the answer is lost with the connection.
  FaultyWebSocket.loseReceived = (frame) => frame.type === "ack" && lost.push(frame.ref) > 0;
  const before = x.socket.opens;

  const view = await within(x.move({ cell: 4 }), "the move, its answer lost, sent again");
  assert.equal(lost.length, 1, "the first answer was lost");
  assert.ok(x.socket.opens > before, "answered on a new connection");
  assert.deepEqual(acks.map((ack) => [ack.ref, ack.duplicate]), [[lost[0], true]], "taken before: duplicate");
  assert.deepEqual(view?.board.filter((cell) => cell !== null), ["X"], "one mark");
  await within(o.until((room) => room.myTurn), "O's turn");
  assert.deepEqual(movesSeen, [{ cell: 4 }], "the other player saw the move once");
  await o.move({ cell: 0 });
  await x.until((room) => room.myTurn);
  assert.deepEqual(x.view?.board, ["O", null, null, null, "X", null, null, null, null]);
  await x.forfeit();
  alice.close();
  bob.close();
});

liveTest("a move the server never answers fails `timeout` in its time, the connection kept and the view in step", async () => {
  const { alice, bob, x, o } = await activeGame({ WebSocket: FaultyWebSocket });
  /** @type {string[]} */
  const dropped = [];
  FaultyWebSocket.silenceReceived = (frame) => ["ack", "error"].includes(frame.type) && dropped.push(frame.type) > 0;
  const opens = x.socket.opens;
  const started = Date.now();
  try {
    const error = await failure(x.move({ cell: 4 }, { timeoutMs: 1000 }));
    const waited = Date.now() - started;
    assert.equal(error.code, "timeout");
    assert.ok(waited >= 1000 && waited < 3000, `failed after ${waited} ms`);
    assert.deepEqual(dropped, ["ack"], "the server took the move; its answer was dropped");
    assert.equal(x.waiting, 0, "nothing left waiting");
    assert.equal(x.socket.opens, opens, "a timeout does not cut the connection");
  } finally {
    FaultyWebSocket.silenceReceived = null;
  }
  // The move counted on the server: O plays on it, and X's view shows both marks.
  await within(o.until((room) => room.myTurn), "O's turn");
  await o.move({ cell: 0 });
  await within(x.until((room) => room.myTurn), "X's turn again");
  assert.deepEqual(x.view?.board, ["O", null, null, null, "X", null, null, null, null]);
  await x.forfeit();
  alice.close();
  bob.close();
});

// Matchmaking and game rooms against a live server: two players matched, a whole game played.
import assert from "node:assert/strict";

import { CountingWebSocket, failure, liveTest, newClient, newPlayer, within } from "./live.js";

const X_WINS = [0, 3, 1, 4, 2]; // X takes the top row; O plays 3 and 4
/** @type {import("@gameplatform/client").Encoding[]} */
const ENCODINGS = ["json", "msgpack", "compact"];
/** The subprotocol the server names for each encoding ("": none, JSON). */
const PROTOCOL = { json: "", msgpack: "gameplatform.msgpack", compact: "gameplatform.compact" };

/**
 * Two new players matched into one game of `mode`, each with the id of that game.
 * @param {string} mode
 * @param {import("@gameplatform/client").ClientOptions} [aliceOptions]
 * @param {import("@gameplatform/client").ClientOptions} [bobOptions]
 */
async function matchedPair(mode, aliceOptions = {}, bobOptions = aliceOptions) {
  const alice = await newPlayer("alice", aliceOptions);
  const bob = await newPlayer("bob", bobOptions);
  const [a, b] = await within(Promise.all([alice.findMatch(mode), bob.findMatch(mode)]), "a match");
  assert.equal(a, b, "both players are in the same game");
  return { alice, bob, gameId: a };
}

/** @typedef {{board: (string | null)[]}} TicTacToeView */

/**
 * Every connection made since `first` spoke `encoding`: the subprotocol the server agreed to, and
 * the kind of every message it sent (MessagePack, compact or not: binary only; JSON: text only).
 * @param {number} first
 * @param {import("@gameplatform/client").Encoding} encoding
 */
function assertSpoke(first, encoding) {
  const made = CountingWebSocket.made.slice(first);
  assert.ok(made.length >= 3, "the notification socket and two game sockets");
  for (const ws of made) {
    const binary = encoding !== "json";
    assert.equal(ws.protocol, PROTOCOL[encoding], "the subprotocol the server agreed to");
    assert.ok((binary ? ws.binaryMessages : ws.textMessages) > 0, "frames arrived");
    assert.equal(binary ? ws.textMessages : ws.binaryMessages, 0, `every frame was ${binary ? "binary" : "text"}`);
  }
}

for (const encoding of ENCODINGS) {
liveTest(`two players queue for tic-tac-toe, get matched and play a game to its end (${encoding} frames)`, async () => {
  const first = CountingWebSocket.made.length;
  const { alice, bob, gameId } = await matchedPair("tictactoe", { encoding, WebSocket: CountingWebSocket });
  /** @type {import("@gameplatform/client").GameRoom<TicTacToeView>} */
  const a = alice.gameRoom(gameId);
  /** @type {import("@gameplatform/client").GameRoom<TicTacToeView>} */
  const b = bob.gameRoom(gameId);
  // Ready before the sockets are open: the frames wait in the queue.
  await within(Promise.all([a.ready(), b.ready()]), "both players ready");
  await a.until((room) => room.state === "active");
  assert.equal(a.socket.protocol, PROTOCOL[encoding]);
  const [x, o] = a.turn === alice.userId ? [a, b] : [b, a];
  /** @type {(TicTacToeView | null)[]} */
  const views = [];
  x.onChange((view) => views.push(view));

  const refused = await failure(o.move({ cell: 4 }));
  assert.equal(refused.code, "not_your_turn");

  for (const [n, cell] of X_WINS.entries()) {
    const mover = n % 2 === 0 ? x : o;
    await mover.until((room) => room.myTurn);
    const view = await mover.move({ cell });
    assert.equal(view?.board[cell], n % 2 === 0 ? "X" : "O", "the move is in my view once it resolves");
  }
  const [overX, overO] = await within(Promise.all([x.gameOver(), o.gameOver()]), "game_over");
  const winner = x === a ? alice.userId : bob.userId;
  assert.deepEqual([overX.winner_id, overX.reason], [winner, "win"]);
  assert.deepEqual([overO.winner_id, overO.reason], [winner, "win"]);
  assert.deepEqual(x.view?.board.slice(0, 3), ["X", "X", "X"]);
  assert.deepEqual(views.at(-1), x.view, "onChange heard the last view");
  const history = await alice.games.get(gameId);
  assert.equal(history.winner_id, winner);
  assertSpoke(first, encoding);
  alice.close();
  bob.close();
});

liveTest(`the view patches built equals the fresh game_state a reconnection brings (${encoding} frames)`, async () => {
  const { alice, bob, gameId } = await matchedPair("tictactoe", { encoding });
  const a = alice.gameRoom(gameId);
  const b = bob.gameRoom(gameId);
  await Promise.all([a.ready(), b.ready()]);
  const x = (await a.until((room) => room.state === "active")).turn === alice.userId ? a : b;
  await x.move({ cell: 4 });
  const patched = JSON.stringify(x.view);
  const tick = x.tick;
  const fresh = x.socket.next("game_state");
  x.socket.reconnect();
  const state = await within(fresh, "a fresh game_state");
  assert.equal(x.socket.protocol, PROTOCOL[encoding], "the new connection speaks the same encoding");
  assert.equal(JSON.stringify(state.view), patched);
  assert.equal(state.tick, tick);
  assert.equal(JSON.stringify(x.view), patched);
  await x.forfeit();
  const over = await x.gameOver();
  assert.equal(over.reason, "forfeit");
  alice.close();
  bob.close();
});
}

for (const encoding of /** @type {const} */ (["msgpack", "compact"])) {
liveTest(`a player on JSON and one on ${encoding} see the same arena, floats and all, tick by tick, across a reconnection`, async () => {
  const first = CountingWebSocket.made.length;
  const bobOptions = { encoding, WebSocket: CountingWebSocket };
  const { alice, bob, gameId } = await matchedPair("arena", { encoding: "json" }, bobOptions);
  /** @typedef {{players: Record<string, {x: number, y: number, score: number}>}} ArenaView */
  /** @type {import("@gameplatform/client").GameRoom<ArenaView>[]} */
  const rooms = [alice.gameRoom(gameId), bob.gameRoom(gameId)];
  /** @type {Map<number, string>[]} tick -> the view after it, per room */
  const seen = rooms.map((room) => {
    const views = new Map();
    room.onChange((view) => room.tick !== null && views.set(room.tick, JSON.stringify(view)));
    return views;
  });
  /** The ticks both rooms saw after `since`: the same view after each. */
  const sameViews = async (/** @type {number} */ since) => {
    await rooms[1].until((room) => (room.tick ?? 0) >= (rooms[0].tick ?? 0));
    const common = [...seen[0].keys()].filter((tick) => tick > since && seen[1].has(tick));
    assert.ok(common.length >= 8, `both rooms saw the same ticks (${common.length})`);
    for (const tick of common) assert.equal(seen[1].get(tick), seen[0].get(tick), `the view after tick ${tick}`);
  };
  await within(Promise.all(rooms.map((room) => room.ready())), "both players ready");
  await within(Promise.all(rooms.map((room) => room.until((r) => r.state === "active"))), "the start");
  assert.equal(rooms[1].socket.protocol, PROTOCOL[encoding]);
  rooms[0].send({ dx: 0.5, dy: -0.25 }); // JSON text
  rooms[1].send({ dx: -1, dy: 0.75 }); // MessagePack: an integer and a float64
  const me = String(bob.userId);
  const start = rooms[1].view?.players[me].x ?? 0;
  await within(rooms[0].until((room) => (room.view?.players[me].x ?? start) < start - 8), "bob moving left");
  await sameViews(0);

  // Bob's socket drops and comes back on the same subprotocol; his view still follows Alice's.
  const fresh = rooms[1].socket.next("game_state");
  rooms[1].socket.reconnect();
  await within(fresh, "a fresh game_state");
  assert.equal(rooms[1].socket.opens, 2, "a new connection");
  assert.equal(rooms[1].socket.protocol, PROTOCOL[encoding], "the new connection speaks it too");
  const back = rooms[1].tick ?? 0;
  rooms[1].send({ dx: 1, dy: -0.5 });
  await within(rooms[0].until((room) => (room.tick ?? 0) >= back + 12), "more ticks after the reconnection");
  await sameViews(back);
  await rooms[0].forfeit();
  await within(Promise.all(rooms.map((room) => room.gameOver())), "game_over");
  assertSpoke(first, encoding); // the connection before the reconnection and the one after
  alice.close();
  bob.close();
});
}

liveTest("a match made before the notification socket opened is still reported, once", async () => {
  const alice = await newPlayer("alice");
  const bob = await newPlayer("bob");
  const first = await alice.matchmaking.join("tictactoe");
  assert.equal(first.status, "queued");
  const second = await bob.matchmaking.join("tictactoe");
  assert.equal(second.status, "matched");
  const gameId = second.status === "matched" ? second.game_id : 0;

  const notifications = alice.notifications(); // opens after the match was made
  /** @type {import("@gameplatform/client").MatchFoundFrame[]} */
  const heard = [];
  notifications.on("match_found", (frame) => heard.push(frame));
  await within(notifications.nextMatch(), "the replayed match_found");
  notifications.socket.reconnect(); // asks again on the new connection: the same game is not reported twice
  await notifications.socket.next("badge");
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.deepEqual(heard, [{ type: "match_found", game_id: gameId, replayed: true }]);
  await bob.gameRoom(gameId).forfeit();
  alice.close();
  bob.close();
});

liveTest("joining the queue says my place, the status follows it, and leaving takes me out", async () => {
  const alice = await newPlayer("alice");
  const joined = await alice.matchmaking.join("battleship");
  assert.equal(joined.status, "queued");
  assert.equal(joined.status === "queued" && joined.mode, "battleship");
  assert.equal((await alice.matchmaking.join("battleship")).status, "queued", "joining twice is the same");
  const status = await alice.matchmaking.status();
  assert.deepEqual([status.status, status.mode], ["queued", "battleship"]);
  assert.deepEqual(await alice.matchmaking.leave(), { status: "left" });
  assert.equal((await alice.matchmaking.status()).status, "idle");
});

liveTest("a mode with a turn clock counts the seconds left down from the frame that set it", async () => {
  const { alice, bob, gameId } = await matchedPair("battleship");
  const a = alice.gameRoom(gameId);
  const b = bob.gameRoom(gameId);
  assert.equal(a.secondsLeft(), null, "no clock before the first game_state");
  await within(Promise.all([a.ready(), b.ready()]), "both players ready");
  await a.until((room) => room.state === "active" && room.secondsLeft() !== null);
  const first = a.secondsLeft();
  assert.ok(first !== null && first > 0 && first <= 30, `battleship's 30 s clock, got ${first}`);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const later = a.secondsLeft();
  assert.ok(later !== null && later < first, "the clock runs down between frames");
  await a.forfeit();
  await within(Promise.all([a.gameOver(), b.gameOver()]), "game_over");
  await a.until((room) => room.secondsLeft() === null); // the last game_state stops the clock
  alice.close();
  bob.close();
});

liveTest("the modes the server plays are an array, with or without a session", async () => {
  const anonymous = await newClient().games.modes();
  assert.ok(Array.isArray(anonymous), "an array, not the page the server sends");
  assert.deepEqual(
    anonymous.map((mode) => mode.name),
    ["tictactoe", "relay", "battleship", "arena"],
    "the built-in modes, in the order of GAME_MODES",
  );
  const alice = await newPlayer("alice");
  assert.deepEqual(await alice.games.modes(), anonymous);
});

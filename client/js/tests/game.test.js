// Matchmaking and game rooms against a live server: two players matched, a whole game played.
import assert from "node:assert/strict";

import { failure, liveTest, newClient, newPlayer, within } from "./live.js";

const X_WINS = [0, 3, 1, 4, 2]; // X takes the top row; O plays 3 and 4

/**
 * Two new players matched into one game of `mode`, each with the id of that game.
 * @param {string} mode
 */
async function matchedPair(mode) {
  const alice = await newPlayer("alice");
  const bob = await newPlayer("bob");
  const [a, b] = await within(Promise.all([alice.findMatch(mode), bob.findMatch(mode)]), "a match");
  assert.equal(a, b, "both players are in the same game");
  return { alice, bob, gameId: a };
}

/** @typedef {{board: (string | null)[]}} TicTacToeView */

liveTest("two players queue for tic-tac-toe, get matched and play a game to its end", async () => {
  const { alice, bob, gameId } = await matchedPair("tictactoe");
  /** @type {import("@gameplatform/client").GameRoom<TicTacToeView>} */
  const a = alice.gameRoom(gameId);
  /** @type {import("@gameplatform/client").GameRoom<TicTacToeView>} */
  const b = bob.gameRoom(gameId);
  // Ready before the sockets are open: the frames wait in the queue.
  await within(Promise.all([a.ready(), b.ready()]), "both players ready");
  await a.until((room) => room.state === "active");
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
  alice.close();
  bob.close();
});

liveTest("the view patches built equals the fresh game_state a reconnection brings", async () => {
  const { alice, bob, gameId } = await matchedPair("tictactoe");
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
  assert.equal(JSON.stringify(state.view), patched);
  assert.equal(state.tick, tick);
  assert.equal(JSON.stringify(x.view), patched);
  await x.forfeit();
  const over = await x.gameOver();
  assert.equal(over.reason, "forfeit");
  alice.close();
  bob.close();
});

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

// The match list, spectators and replays: the query `games.rooms` sends, then against a live
// server a game found in the list, watched while it runs and replayed once it is over.
import assert from "node:assert/strict";
import { test } from "node:test";

import { Client, items, MemoryStorage } from "@gameplatform/client";

import { failure, liveTest, newPlayer, within } from "./live.js";

const X_WINS = [4, 0, 2, 1, 6]; // X takes the diagonal 2-4-6

/** A session that expires in an hour, for calls answered by a fake server. */
function fakeTokens() {
  const part = (/** @type {object} */ object) => Buffer.from(JSON.stringify(object)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const access = `${part({ alg: "none" })}.${part({ exp: now + 3600, iat: now, user_id: 1 })}.x`;
  return { access, refresh: access };
}

test("the room filter asks for one mode's open games with label values as JSON", async () => {
  /** @type {string[]} */
  const asked = [];
  /** @type {typeof fetch} */
  const fakeFetch = async (url) => {
    asked.push(String(url));
    return new Response(JSON.stringify({ next: null, previous: null, results: [] }), {
      headers: { "Content-Type": "application/json" },
    });
  };
  const client = new Client({ baseUrl: "http://server.test", storage: new MemoryStorage(), fetch: fakeFetch });
  client.useTokens(fakeTokens());
  await client.games.rooms({ mode: "arena", open: true, label: { map: "dunes", players: 3, ranked: false } });
  await client.games.rooms();
  await client.games.replayFrames(7, { from: 10, to: 20 });
  await client.games.replayFrames(7);
  const queries = asked.map((url) => new URL(url));
  assert.deepEqual(Object.fromEntries(queries[0].searchParams), {
    mode: "arena",
    open: "1",
    "label.map": "dunes",
    "label.players": "3",
    "label.ranked": "false",
  });
  assert.equal(queries[1].search, "");
  assert.equal(`${queries[2].pathname}${queries[2].search}`, "/api/games/7/replay/frames/?from=10&to=20");
  assert.equal(queries[3].search, "");
});

/**
 * Two new friends in a game of tic-tac-toe by invite (the queue could pair them with others).
 * @returns {Promise<{alice: Client, bob: Client, gameId: number}>}
 */
async function gameByInvite() {
  const alice = await newPlayer("alice");
  const bob = await newPlayer("bob");
  const request = await alice.friends.request(/** @type {number} */ (bob.userId));
  await bob.friends.accept(request.id);
  const invite = await alice.invites.create({ to_user_id: /** @type {number} */ (bob.userId), kind: "game", mode: "tictactoe" });
  const accepted = await bob.invites.accept(invite.id);
  return { alice, bob, gameId: /** @type {number} */ (accepted.game_id) };
}

liveTest("a running game is listed, watched as it is played, and replayed frame by frame once it is over", async () => {
  const { alice, bob, gameId } = await gameByInvite();
  const a = alice.gameRoom(gameId);
  const b = bob.gameRoom(gameId);
  await within(Promise.all([a.ready(), b.ready()]), "both players ready");
  await a.until((room) => room.state === "active");
  const [x, o] = a.turn === alice.userId ? [a, b] : [b, a];

  const fan = await newPlayer("fan");
  // Each room publishes itself about once a second: the new game is listed within a few seconds.
  /** @type {import("@gameplatform/client").RunningRoom | undefined} */
  let listed;
  for (let tries = 0; !listed && tries < 50; tries += 1) {
    if (tries) await new Promise((resolve) => setTimeout(resolve, 100));
    listed = items(await fan.games.rooms({ mode: "tictactoe" })).find((room) => room.id === gameId);
  }
  assert.ok(listed, "the running game is in the list");
  assert.deepEqual(listed.players.map((p) => p.id).sort(), [alice.userId, bob.userId].sort());
  assert.equal(listed.open, false);
  assert.equal(items(await fan.games.rooms({ mode: "tictactoe", open: true })).some((room) => room.id === gameId), false);
  assert.equal((await failure(fan.games.joinRoom(gameId))).code, "not_joinable");

  /** @type {import("@gameplatform/client").GameRoom<{board: (string | null)[]}>} */
  const watching = fan.gameRoom(gameId, { watch: true });
  await watching.until((room) => room.state === "active");
  for (const [n, cell] of X_WINS.entries()) {
    const mover = n % 2 === 0 ? x : o;
    await mover.until((room) => room.myTurn);
    await mover.move({ cell });
    await watching.until((room) => room.view?.board[cell] !== null);
  }
  assert.equal((await failure(watching.move({ cell: 8 }))).code, "not_a_player");
  await within(Promise.all([x.gameOver(), o.gameOver()]), "game_over");
  const winner = x === a ? alice.userId : bob.userId;

  const replay = await fan.games.replay(gameId);
  assert.equal(replay.mode, "tictactoe");
  assert.equal(replay.result.winner_id, winner);
  assert.deepEqual(
    replay.inputs.filter((input) => input.type === "move").map((input) => input.data),
    X_WINS.map((cell) => ({ cell })),
  );
  /** @type {import("@gameplatform/client").Page<import("@gameplatform/client").ReplayFrame<{board: (string | null)[]}>>} */
  const frames = await fan.games.replayFrames(gameId);
  assert.equal(frames.next, null);
  assert.deepEqual(frames.results[0].view.board, Array(9).fill(null), "it starts on the empty board");
  assert.deepEqual(frames.results.at(-1)?.view.board, ["O", "O", "X", null, "X", null, "X", null, null]);
  const some = await fan.games.replayFrames(gameId, { from: 1, to: 2 });
  assert.deepEqual(some.results.map((frame) => frame.tick), [1, 2]);
  assert.deepEqual(some.results, frames.results.slice(1, 3));
  alice.close();
  bob.close();
  fan.close();
});

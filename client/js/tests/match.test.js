// findMatch without a server: a stand-in WebSocket (offline.js) plays the notification and game
// sockets, a stand-in fetch the queue's REST answers. A match resolves once every player came; a
// match the server calls off before its start (match_cancelled) is followed by the next one.
import assert from "node:assert/strict";
import { test } from "node:test";

import { FakeWebSocket, madeSocket, offlineClient } from "./offline.js";

/**
 * A fetch answering the queue's calls (and WebSocket tickets); `status` is what the status says.
 * @param {{status: string, game_id?: number | null}} status
 * @param {string[]} calls
 */
function queueFetch(status, calls) {
  /** @param {string | URL | Request} url */
  return async (url) => {
    const path = new URL(String(url)).pathname;
    calls.push(path);
    const body =
      path === "/api/auth/ws-ticket/"
        ? { ticket: "t", expires_in: 30 }
        : { mode: "tictactoe", position: 1, game_id: null, ...status };
    return new Response(JSON.stringify(body), { status: 200, headers: { "Content-Type": "application/json" } });
  };
}

/**
 * A game_state of game `id` in phase `state`.
 * @param {number} id
 * @param {string} state
 */
function gameState(id, state) {
  return JSON.stringify({
    type: "game_state",
    id,
    mode: "tictactoe",
    state,
    players: [],
    board: null,
    turn: null,
    turn_deadline: null,
    winner_id: null,
    reason: state === "abandoned" ? "abandoned" : null,
    lobby_id: null,
    version: 1,
    tick: 0,
    view: {},
  });
}

/** Lets the client's pending callbacks run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

test("findMatch follows a match called off before its start to the next one and hands its room over", async () => {
  /** @type {string[]} */
  const calls = [];
  const client = offlineClient({ fetch: queueFetch({ status: "queued" }, calls) });
  const matching = client.findMatch("tictactoe", { timeoutMs: 5000 });
  let resolved = false;
  void matching.then(() => (resolved = true));
  const notifications = await madeSocket();
  notifications.accept();
  await settle();
  assert.ok(calls.includes("/api/matchmaking/join/"));

  notifications.receive(JSON.stringify({ type: "match_found", game_id: 5 }));
  const first = await madeSocket();
  assert.match(first.url, /\/ws\/game\/5\//);
  first.accept();
  first.receive(gameState(5, "waiting_for_players")); // the other player has not come
  await settle();
  assert.equal(resolved, false, "a match whose players have not all come is not returned");

  notifications.receive(JSON.stringify({ type: "match_cancelled", game_id: 5, reason: "no_show" }));
  notifications.receive(JSON.stringify({ type: "match_found", game_id: 6 })); // queued again in front: matched
  const second = await madeSocket();
  assert.equal(first.readyState, 3, "the called-off match's socket is closed");
  assert.match(second.url, /\/ws\/game\/6\//);
  second.accept();
  second.receive(gameState(6, "waiting_for_players"));
  await settle();
  assert.equal(resolved, false);
  second.receive(gameState(6, "waiting_for_ready")); // everyone came

  assert.equal(await matching, 6);
  const made = FakeWebSocket.made.length;
  const room = client.gameRoom(6);
  assert.equal(room.state, "waiting_for_ready", "the room findMatch opened, already seated");
  assert.equal(FakeWebSocket.made.length, made, "no second game socket");
  client.close();
});

test("findMatch joins the queue again when it came to a match too late (the queue says idle)", async () => {
  /** @type {string[]} */
  const calls = [];
  const client = offlineClient({ fetch: queueFetch({ status: "idle" }, calls) });
  const matching = client.findMatch("tictactoe", { timeoutMs: 5000 });
  const notifications = await madeSocket();
  notifications.accept();
  await settle();
  notifications.receive(JSON.stringify({ type: "match_found", game_id: 8 }));
  const late = await madeSocket();
  late.accept();
  late.receive(gameState(8, "abandoned")); // called off before I came: I was the one missing
  await settle();
  assert.deepEqual(
    calls.filter((path) => path.startsWith("/api/matchmaking/")).slice(-2),
    ["/api/matchmaking/status/", "/api/matchmaking/join/"],
  );
  notifications.receive(JSON.stringify({ type: "match_found", game_id: 9 }));
  const next = await madeSocket();
  next.accept();
  next.receive(gameState(9, "active"));
  assert.equal(await matching, 9);
  client.close();
});

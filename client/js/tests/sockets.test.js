// Sockets against a live server: the queue before open, reconnection keeping listeners, close reasons.
import assert from "node:assert/strict";
import { test } from "node:test";

import { CLOSE_CODES, closeReason } from "@gameplatform/client";

import { liveTest, newPlayer, within } from "./live.js";

/**
 * The next close reason the socket reports.
 * @param {import("@gameplatform/client").Socket<any>} socket
 * @returns {Promise<import("@gameplatform/client").CloseReason>}
 */
function nextClose(socket) {
  return within(new Promise((resolve) => { const stop = socket.onClose((r) => { stop(); resolve(r); }); }), "a close");
}

liveTest("a frame sent before the socket opens is queued and answered once it is open", async () => {
  const alice = await newPlayer("alice");
  const socket = alice.socket("/ws/notifications/");
  assert.equal(socket.send("ping", { ref: "early" }), "queued");
  assert.equal(socket.queued, 1);
  const pong = await socket.next("pong", { match: (frame) => frame.ref === "early" });
  assert.equal(pong.ref, "early");
  assert.equal(socket.status, "open");
  assert.equal(socket.queued, 0);
  socket.close();
});

liveTest("a dropped socket comes back by itself with its listeners, and what was sent meanwhile goes out", async () => {
  const alice = await newPlayer("alice");
  const socket = alice.socket("/ws/notifications/");
  /** @type {string[]} */
  const pongs = [];
  socket.on("pong", (frame) => pongs.push(String(frame.ref)));
  /** @type {boolean[]} */
  const opens = [];
  socket.onOpen(({ reconnected }) => opens.push(reconnected));
  await socket.next("badge"); // sent on connect
  const closing = nextClose(socket);
  const back = socket.next("badge"); // the server sends it again on the new connection
  const answered = socket.next("pong", { match: (frame) => frame.ref === "meanwhile" });
  socket.reconnect();
  assert.equal(socket.send("ping", { ref: "meanwhile" }), "queued");
  const reason = await closing;
  assert.equal(reason.reconnect, true);
  assert.equal(reason.byClient, false);
  await Promise.all([back, answered]);
  assert.deepEqual(pongs, ["meanwhile"]);
  assert.deepEqual(opens, [false, true]);
  assert.equal(socket.opens, 2);
  socket.close();
});

liveTest("a socket to a game that does not exist closes for good, saying not_found", async () => {
  const alice = await newPlayer("alice");
  const socket = alice.socket("/ws/game/987654321/");
  /** @type {string[]} */
  const statuses = [];
  socket.onStatus((status) => statuses.push(status));
  const reason = await nextClose(socket);
  assert.equal(reason.code, 4404);
  assert.equal(reason.kind, "not_found");
  assert.equal(reason.reconnect, false);
  assert.equal(socket.status, "closed");
  assert.equal(statuses.at(-1), "closed");
  assert.equal(socket.send("ping"), "dropped");
});

liveTest("a lobby socket of someone who is not a member closes for good, saying forbidden", async () => {
  const alice = await newPlayer("alice");
  const lobbies = /** @type {{results: {id: number}[]}} */ (await alice.get("/api/lobbies/"));
  assert.ok(lobbies.results.length > 0, "the demo data has lobbies");
  const socket = alice.socket(`/ws/lobbies/${lobbies.results[0].id}/`);
  const reason = await nextClose(socket);
  assert.equal(reason.code, 4403);
  assert.equal(reason.kind, "forbidden");
  assert.equal(reason.reconnect, false);
});

liveTest("a refused frame comes back as a GamePlatformError with its code and ref", async () => {
  const alice = await newPlayer("alice");
  const socket = alice.socket("/ws/notifications/");
  const refused = within(new Promise((resolve) => socket.on("error", resolve)), "an error frame");
  socket.send("no_such_frame", { ref: "r1" });
  const error = /** @type {import("@gameplatform/client").GamePlatformError} */ (await refused);
  assert.equal(error.name, "GamePlatformError");
  assert.equal(error.code, "unknown_type");
  assert.equal(error.ref, "r1");
  assert.equal(error.status, 0);
  socket.close();
});

liveTest("closing a socket ends it for good and says the client closed it", async () => {
  const alice = await newPlayer("alice");
  const socket = alice.socket("/ws/notifications/");
  await socket.next("badge");
  const closing = nextClose(socket);
  socket.close();
  const reason = await closing;
  assert.deepEqual([reason.code, reason.byClient, reason.reconnect, socket.status], [1000, true, false, "closed"]);
});

test("every close code of the contract has a typed reason and says whether to reconnect", () => {
  const final = { 1000: "normal", 4400: "unsupported_version", 4403: "forbidden", 4404: "not_found", 4409: "replaced" };
  for (const [code, kind] of Object.entries(final)) {
    assert.deepEqual([closeReason(Number(code)).kind, closeReason(Number(code)).reconnect], [kind, false]);
  }
  const again = { 1001: "going_away", 1006: "abnormal", 1008: "policy_violation", 1009: "too_large",
    1011: "server_error", 1012: "service_restart", 1013: "try_again_later", 4008: "policy_violation",
    4009: "too_large", 4012: "service_restart", 4013: "try_again_later", 4401: "unauthenticated" };
  for (const [code, kind] of Object.entries(again)) {
    assert.deepEqual([closeReason(Number(code)).kind, closeReason(Number(code)).reconnect], [kind, true]);
  }
  assert.equal(Object.keys(CLOSE_CODES).length, Object.keys(final).length + Object.keys(again).length);
  assert.deepEqual([closeReason(4999).kind, closeReason(4999).reconnect], ["unknown", true]);
});

liveTest("a socket the server closes with 4401 refreshes the session and comes back", async () => {
  const alice = await newPlayer("alice");
  const realTicket = alice.wsTicket.bind(alice);
  let calls = 0;
  // The first connection presents a ticket the server does not know, as an expired session would.
  alice.wsTicket = async () => (++calls === 1 ? { ticket: "not-a-ticket", expires_in: 30 } : realTicket());
  const before = alice.tokens?.refresh;
  const socket = alice.socket("/ws/notifications/");
  const reason = await nextClose(socket);
  assert.deepEqual([reason.code, reason.kind, reason.reconnect], [4401, "unauthenticated", true]);
  await socket.next("badge");
  assert.equal(socket.status, "open");
  assert.notEqual(alice.tokens?.refresh, before, "the session was refreshed before coming back");
  socket.close();
});

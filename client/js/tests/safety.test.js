// Player safety: reports, sanctions and appeals, the errors of a locked or muted account, the
// `sanction` notification. Offline against a recording fetch and the stand-in WebSocket; live, a
// moderator (GAMEPLATFORM_MODERATOR, made by tests/test_sdk_js_live.py) suspends a player.
import assert from "node:assert/strict";
import { test } from "node:test";

import { AccountSuspended, Client, GamePlatformError, isSanctionNotification, MemoryStorage, Muted } from "@gameplatform/client";

import { failure, newClient, newPlayer, SERVER, within } from "./live.js";
import { madeSocket, offlineClient } from "./offline.js";

const LOCKED = {
  detail: "This account is suspended until the time given.",
  code: "account_suspended",
  until: "2030-01-01T10:00:00Z",
  statement: "Cheating in ranked games.",
  sanction_id: 42,
  appeal_token: "tok-42",
};

/**
 * A client whose fetch records each request and answers `answer(url, init)` (JSON, 200 unless said).
 * @param {(url: string, init: RequestInit) => [number, unknown]} answer
 */
function recordingClient(answer) {
  /** @type {{url: string, init: RequestInit}[]} */
  const calls = [];
  /** @type {typeof globalThis.fetch} */
  const answering = async (url, init = {}) => {
    calls.push({ url: String(url), init });
    const [status, body] = answer(String(url), init);
    return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
  };
  const client = new Client({ baseUrl: "http://game.test", storage: new MemoryStorage(), fetch: answering });
  return { client, calls };
}

/** @param {RequestInit} init */
function headersOf(init) {
  return /** @type {Record<string, string>} */ (init.headers);
}

test("report sends the server's snake_case body and context; appeal by token sends no access token", async () => {
  const { client, calls } = recordingClient((url) => (url.includes("/appeal/") ? [201, { id: 42 }] : [201, { id: 7, status: "open" }]));
  client.useTokens({ access: "a.b.c", refresh: "r" });
  assert.deepEqual(await client.report({ userId: 5, reason: "spam", comment: "Gold.", context: { lobbyId: 3 } }), { id: 7, status: "open" });
  await client.report({ userId: 5, reason: "cheating", context: { gameId: 9 } });
  await client.appeal(42, "Not me.", { appealToken: "tok-42" });
  await client.appeal(42, "Not me.");
  const bodies = calls.map((c) => JSON.parse(String(c.init.body)));
  assert.deepEqual(bodies[0], { user_id: 5, reason: "spam", comment: "Gold.", context: { lobby_id: 3 } });
  assert.deepEqual(bodies[1], { user_id: 5, reason: "cheating", context: { game_id: 9 } });
  assert.deepEqual(bodies[2], { text: "Not me.", appeal_token: "tok-42" });
  assert.equal(headersOf(calls[2].init).Authorization, undefined, "the token appeal goes without a login");
  assert.equal(headersOf(calls[3].init).Authorization, "Bearer a.b.c");
  assert.deepEqual(calls.map((c) => new URL(c.url).pathname), ["/api/reports/", "/api/reports/", "/api/sanctions/42/appeal/", "/api/sanctions/42/appeal/"]);
});

test("a 403 account_suspended is an AccountSuspended with its end, statement, sanction and appeal token; muted a Muted", async () => {
  const { client } = recordingClient((url) => (url.includes("/lobbies/") ? [403, { detail: "Muted.", code: "muted", until: "2030-01-01T00:00:00Z" }] : [403, LOCKED]));
  const locked = await failure(client.login("bob", "pw"));
  assert.ok(locked instanceof AccountSuspended && locked instanceof GamePlatformError);
  assert.deepEqual(
    [locked.status, locked.code, locked.until, locked.statement, locked.sanctionId, locked.appealToken, locked.banned],
    [403, "account_suspended", "2030-01-01T10:00:00Z", "Cheating in ranked games.", 42, "tok-42", false],
  );
  const muted = await failure(client.lobbies.post(1, "hi"));
  assert.ok(muted instanceof Muted);
  assert.equal(muted.until, "2030-01-01T00:00:00Z");
  const banned = await failure(recordingClient(() => [403, { ...LOCKED, until: null }]).client.me());
  assert.ok(banned instanceof AccountSuspended && banned.banned && banned.until === null);
});

test("a socket closed 4403 after an account_suspended frame says so in its close reason, and muted frames are Muted", async () => {
  const client = offlineClient();
  const socket = client.socket("/ws/lobbies/1/");
  /** @type {GamePlatformError[]} */
  const errors = [];
  socket.on("error", (error) => errors.push(error));
  const closed = new Promise((resolve) => socket.onClose(resolve));
  const ws = await madeSocket();
  ws.accept();
  ws.receive(JSON.stringify({ type: "error", code: "muted", message: "Muted.", until: "2030-01-01T00:00:00Z" }));
  ws.receive(JSON.stringify({ type: "error", code: "account_suspended", message: "This account is suspended." }));
  ws.close(4403);
  const why = /** @type {import("@gameplatform/client").CloseReason} */ (await closed);
  assert.ok(errors[0] instanceof Muted && errors[0].until === "2030-01-01T00:00:00Z");
  assert.deepEqual([why.code, why.kind, why.reconnect], [4403, "forbidden", false]);
  assert.ok(why.error instanceof AccountSuspended, "the error frame before the close");
  client.close();
});

test("onSanction hears sanction notifications only, typed", async () => {
  const client = offlineClient();
  const notifications = client.notifications();
  /** @type {string[]} */
  const heard = [];
  notifications.onSanction((frame) => heard.push(`${frame.payload.event} ${frame.payload.sanction.action}: ${frame.payload.sanction.statement}`));
  const ws = await madeSocket();
  ws.accept();
  const sanction = { id: 1, action: "mute", statement: "Spam.", starts_at: "x", ends_at: null, active: true, appeal: null };
  ws.receive(JSON.stringify({ type: "notification", id: 1, kind: "friend_request", payload: {}, created_at: "x" }));
  ws.receive(JSON.stringify({ type: "notification", id: 2, kind: "sanction", payload: { event: "imposed", sanction }, created_at: "x" }));
  assert.deepEqual(heard, ["imposed mute: Spam."]);
  assert.ok(isSanctionNotification({ kind: "sanction", payload: {} }) && !isSanctionNotification({ kind: "badge", payload: {} }));
  client.close();
});

const MODERATOR = process.env.GAMEPLATFORM_MODERATOR ?? "";
const MODERATOR_PASSWORD = process.env.GAMEPLATFORM_MODERATOR_PASSWORD ?? "";
// Another moderator decides the appeal: not the one who imposed the sanction (409 same_moderator).
const REVIEWER = process.env.GAMEPLATFORM_REVIEWER ?? "";
const REVIEWER_PASSWORD = process.env.GAMEPLATFORM_REVIEWER_PASSWORD ?? "";

const skip = !SERVER
  ? "GAMEPLATFORM_URL is not set (tests/test_sdk_js_live.py sets it to a live server)"
  : (!MODERATOR || !REVIEWER) && "GAMEPLATFORM_MODERATOR or GAMEPLATFORM_REVIEWER is not set (tests/test_sdk_js_live.py makes them)";

test("a report, a suspension the player meets as AccountSuspended, an appeal by token, the sanction listed", { skip, timeout: 60_000 }, async () => {
  /** @type {number[]} */
  const statuses = [];
  /** @type {typeof fetch} */
  const counting = async (url, init) => {
    const response = await fetch(url, init);
    statuses.push(response.status);
    return response;
  };
  const alice = await newPlayer("alice", { fetch: counting });
  const bob = await newPlayer("bob");
  const bobId = /** @type {number} */ (bob.userId);
  statuses.length = 0;
  const filed = await alice.report({ userId: bobId, reason: "harassment", comment: "Insults." });
  const again = await alice.report({ userId: bobId, reason: "spam" });
  assert.deepEqual([statuses, again.id, filed.status], [[201, 200], filed.id, "open"]);
  assert.deepEqual((await alice.myReports()).map((r) => [r.id, r.user.id, r.status]), [[filed.id, bobId, "open"]]);

  const notifications = bob.notifications();
  await within(notifications.socket.next("badge"), "bob's notification socket");
  const closed = within(new Promise((resolve) => notifications.socket.onClose(resolve)), "the 4403 close");

  const staff = newClient();
  await staff.login(MODERATOR, MODERATOR_PASSWORD);
  const statement = "Insults after the match.";
  await staff.post(`/api/moderation/reports/${filed.id}/resolve/`, { action: "suspend", duration_hours: 24, statement });
  const why = /** @type {import("@gameplatform/client").CloseReason} */ (await closed);
  assert.deepEqual([why.code, why.reconnect, why.error?.code], [4403, false, "account_suspended"]);

  const locked = await failure(bob.me());
  assert.ok(locked instanceof AccountSuspended);
  assert.equal(locked.statement, statement);
  assert.ok(locked.until && locked.appealToken && locked.sanctionId);

  // Bob's tokens are refused; the appeal goes without them, by its token.
  const appealed = await bob.appeal(locked.sanctionId, "It was a joke.", { appealToken: locked.appealToken });
  assert.equal(appealed.appeal?.status, "open");
  /** @type {{id: number, sanction: {id: number}}[]} */
  const appeals = await staff.all("/api/moderation/appeals/");
  const appeal = appeals.find((a) => a.sanction.id === locked.sanctionId);
  const reviewer = newClient();
  await reviewer.login(REVIEWER, REVIEWER_PASSWORD);
  await reviewer.post(`/api/moderation/appeals/${appeal?.id}/decide/`, { decision: "reversed", statement: "Upon review." });

  const [sanction] = await bob.mySanctions();
  assert.deepEqual([sanction.id, sanction.action, sanction.active, sanction.appeal?.status], [locked.sanctionId, "suspend", false, "reversed"]);
});

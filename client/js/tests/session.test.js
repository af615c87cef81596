// The session and REST calls against a live server: register, restore, refresh, log out, errors, retries.
import assert from "node:assert/strict";

import { Client, GamePlatformError, MemoryStorage } from "@gameplatform/client";

import { failure, liveTest, newClient, newName, newPlayer, PASSWORD, SERVER } from "./live.js";

liveTest("a registered player is logged in and a new client on the same storage restores the session", async () => {
  const storage = new MemoryStorage();
  const alice = newClient({ storage });
  const username = newName("alice");
  const answer = await alice.register({ username, email: `${username}@example.com`, password: PASSWORD });
  assert.equal(answer.user.username, username);
  assert.ok(alice.loggedIn);
  assert.equal(alice.userId, answer.user.id);

  const later = newClient({ storage }); // a reload, a restarted bot
  assert.ok(later.loggedIn);
  const me = await later.me();
  assert.equal(me.username, username);
  assert.equal(me.id, answer.user.id);
});

liveTest("login by username opens a session and logout kills its refresh token", async () => {
  const alice = await newPlayer("alice");
  const username = (await alice.me()).username;
  const again = newClient();
  await again.login(username, PASSWORD);
  const tokens = again.tokens;
  assert.ok(tokens);
  /** @type {boolean[]} */
  const seen = [];
  again.onSessionChange((loggedIn) => seen.push(loggedIn));
  await again.logout();
  assert.equal(again.loggedIn, false);
  assert.deepEqual(seen, [false]);

  const stale = newClient();
  stale.useTokens(tokens);
  await assert.rejects(stale.refresh(), (error) => error instanceof GamePlatformError && error.status === 401);
  assert.equal(stale.loggedIn, false, "a refused refresh ends the session");
});

liveTest("an access token about to expire is refreshed before the call, and the old refresh token dies", async () => {
  let now = Date.now();
  const alice = await newPlayer("alice", { clock: () => now });
  const before = alice.tokens;
  assert.ok(before);
  now += 60 * 60 * 1000; // an hour later: the 30-minute access token has expired
  const me = await alice.me();
  assert.equal(me.id, alice.userId);
  assert.notEqual(alice.tokens?.access, before.access);
  assert.notEqual(alice.tokens?.refresh, before.refresh);

  const stale = newClient();
  stale.useTokens(before);
  await assert.rejects(stale.refresh(), { name: "GamePlatformError", status: 401 });
});

liveTest("two clients on one storage (a browser's tabs) follow each other's refresh instead of ending the session", async () => {
  const storage = new MemoryStorage();
  let now = Date.now();
  const first = newClient({ storage, clock: () => now });
  const username = newName("alice");
  await first.register({ username, email: `${username}@example.com`, password: PASSWORD });
  const second = newClient({ storage, clock: () => now });
  now += 60 * 60 * 1000;
  await first.me(); // refreshes: the refresh token both held is dead now
  now = Date.now();
  await second.refresh(); // takes the stored pair rather than sending the dead token
  assert.ok(second.loggedIn);
  assert.deepEqual(second.tokens, first.tokens);
  assert.equal((await second.me()).username, username);
});

liveTest("a call the server refuses with 401 refreshes the session once and succeeds", async () => {
  const alice = await newPlayer("alice");
  const tokens = alice.tokens;
  assert.ok(tokens);
  alice.useTokens({ access: "not-a-token", refresh: tokens.refresh }); // the server says 401
  const me = await alice.me();
  assert.equal(me.id, alice.userId);
  assert.notEqual(alice.tokens?.refresh, tokens.refresh, "the refresh token was rotated");
});

liveTest("concurrent calls with an expired token share one refresh", async () => {
  let now = Date.now();
  const alice = await newPlayer("alice", { clock: () => now });
  now += 60 * 60 * 1000;
  const answers = await Promise.all([alice.me(), alice.me(), alice.matchmaking.status(), alice.games.list()]);
  assert.equal(answers[0].id, alice.userId);
  assert.equal(answers[2].status, "idle");
});

liveTest("errors carry the contract's code, status and detail", async () => {
  const alice = await newPlayer("alice");
  const error = await failure(alice.post("/api/lobbies/", { name: "Mine", is_public: true, max_participants: 4 }));
  assert.ok(error instanceof GamePlatformError);
  assert.equal(error.status, 403);
  assert.equal(error.code, "premium_required");
  assert.ok(error.detail.length > 0);

  const notQueued = await failure(alice.matchmaking.leave());
  assert.equal(notQueued.code, "not_queued");
  assert.equal(notQueued.status, 404);

  const taken = await failure(newClient()
    .register({ username: (await alice.me()).username, email: "x@example.com", password: PASSWORD })
    );
  assert.equal(taken.status, 400);
  assert.equal(taken.code, "invalid");
  assert.ok(taken.fields && "username" in taken.fields, "the field the server named");

  const badLogin = await failure(newClient().login("nobody_" + newName(), "wrong"));
  assert.equal(badLogin.status, 401);

  const nothing = await failure(alice.get("/api/no-such-route/"));
  assert.equal(nothing.status, 404);
  assert.equal(nothing.code, "not_found");
});

liveTest("idempotent calls are retried after network failures, other calls are not", async () => {
  // A port nothing listens on: every attempt is a network failure.
  let calls = 0;
  /** @type {typeof fetch} */
  const counting = (input, init) => {
    calls += 1;
    return fetch(input, init);
  };
  const client = new Client({
    baseUrl: "http://127.0.0.1:9",
    storage: new MemoryStorage(),
    fetch: counting,
    retry: { retries: 2, baseMs: 10, maxMs: 20 },
  });
  const failed = await failure(client.get("/api/status/"));
  assert.equal(failed.code, "network_error");
  assert.equal(failed.status, 0);
  assert.equal(calls, 3, "the first try and two retries");

  calls = 0;
  await assert.rejects(client.post("/api/matchmaking/join/", {}), { code: "network_error" });
  assert.equal(calls, 1, "a POST is never sent twice");
});

liveTest("the server's status is read without a session and names its version", async () => {
  const status = await newClient().status();
  assert.equal(typeof status.version, "string");
  assert.ok(SERVER.startsWith("http"));
});

liveTest("setAge passes a declared birth date, then a store's band, and a declaration cannot raise it", async () => {
  const alice = await newPlayer("alice");
  const tenYearsAgo = `${new Date().getFullYear() - 10}-01-01`;
  assert.deepEqual(await alice.setAge({ birth_date: tenYearsAgo }), { age_band: "under_13", age_source: "declared" });
  const locked = await failure(alice.setAge({ birth_date: "1990-03-01" }));
  assert.equal(locked.status, 409);
  assert.equal(locked.code, "age_locked");
  assert.deepEqual(await alice.setAge({ band: "16_17", source: "google" }), { age_band: "16_17", age_source: "google" });
  assert.equal((await alice.me()).age_band, "16_17");
});

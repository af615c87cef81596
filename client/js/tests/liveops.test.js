// Live operations: the ETag'd answer, flags with their defaults, analytics events batched,
// retried with their ids and bounded, and onChange after `liveops_changed`. Offline against a
// recording fetch; live, a liveops staff user (GAMEPLATFORM_LIVEOPS, made by
// tests/test_sdk_js_live.py) changes a flag a player reads.
import assert from "node:assert/strict";
import { test } from "node:test";

import { Client, MemoryStorage } from "@gameplatform/client";

import { liveTest, newClient, newName, newPlayer, PASSWORD, within } from "./live.js";

const ANSWER = { flags: { speed: 2 }, experiments: { exp: 1 }, live_events: [], messages_unread: 3 };

/**
 * A logged-in client whose fetch records each request and answers `answer(url, init)`.
 * @param {(url: string, init: RequestInit) => [number, unknown, Record<string, string>?]} answer
 */
function recordingClient(answer) {
  /** @type {{url: string, init: RequestInit}[]} */
  const calls = [];
  /** @type {typeof globalThis.fetch} */
  const answering = async (url, init = {}) => {
    calls.push({ url: String(url), init });
    const [status, body, headers = {}] = answer(String(url), init);
    return new Response(status === 304 ? null : JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });
  };
  const client = new Client({ baseUrl: "http://game.test", storage: new MemoryStorage(), fetch: answering });
  client.useTokens({ access: "a.b.c", refresh: "r" });
  return { client, calls };
}

/** @param {RequestInit} init */
function bodyOf(init) {
  return JSON.parse(String(init.body));
}

test("refresh sends the ETag back and a 304 keeps the answer; flag() falls back to its default", async () => {
  let etagged = 0;
  const { client, calls } = recordingClient((_url, init) => {
    const sent = /** @type {Record<string, string>} */ (init.headers)["If-None-Match"];
    if (sent === '"v1"') return [304, null, { ETag: '"v1"' }];
    etagged += 1;
    return [200, ANSWER, { ETag: '"v1"' }];
  });
  const liveops = client.liveops();
  assert.equal(liveops.flag("speed", 1), 1, "before the first refresh: the default");
  await liveops.refresh();
  const again = await liveops.refresh();
  assert.deepEqual(again, ANSWER);
  assert.deepEqual([liveops.flag("speed", 1), liveops.flag("other", "x"), liveops.experiments, liveops.messagesUnread], [2, "x", { exp: 1 }, 3]);
  assert.equal(etagged, 1);
  assert.equal(calls.length, 2);
  client.close();
});

test("claim posts to the message's claim route and answers what was granted", async () => {
  const granted = { grants: { gold: 100, gems: 0, items: [] }, gold: 350, gems: 10 };
  const { client, calls } = recordingClient(() => [200, granted]);
  assert.deepEqual(await client.liveops().claim(7), granted);
  assert.deepEqual([calls[0].init.method, new URL(calls[0].url).pathname], ["POST", "/api/liveops/messages/7/claim/"]);
  client.close();
});

test("setAttributes sends the server's names", async () => {
  const { client, calls } = recordingClient(() => [200, {}]);
  await client.liveops().setAttributes({ country: "FR", appVersion: "1.2.0", custom: { cohort: "a" } });
  assert.deepEqual([calls[0].init.method, bodyOf(calls[0].init)], ["PUT", { country: "FR", app_version: "1.2.0", custom: { cohort: "a" } }]);
  client.close();
});

test("a sign-in says what the client is; clientAttributes false says nothing; a failure keeps the sign-in", async () => {
  /** @param {import("@gameplatform/client").ClientOptions["clientAttributes"]} clientAttributes */
  async function signIn(clientAttributes, attributesStatus = 200) {
    /** @type {{url: string, init: RequestInit}[]} */
    const calls = [];
    /** @type {typeof globalThis.fetch} */
    const answering = async (url, init = {}) => {
      calls.push({ url: String(url), init });
      const path = new URL(String(url)).pathname;
      const [status, body] = path === "/api/auth/login/" ? [200, { access: "a.b.c", refresh: "r" }] : [attributesStatus, {}];
      return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
    };
    const client = new Client({ baseUrl: "http://game.test", storage: new MemoryStorage(), fetch: answering, clientAttributes });
    await client.login("ann", PASSWORD);
    client.close();
    return { client, said: calls.filter((c) => new URL(c.url).pathname === "/api/liveops/attributes/") };
  }

  const { said } = await signIn({ platform: "ios", appVersion: "2.1.0", locale: "fr-FR", timezone: "Europe/Paris" });
  assert.deepEqual(said.map((c) => [c.init.method, bodyOf(c.init)]), [
    ["PUT", { platform: "ios", app_version: "2.1.0", custom: { locale: "fr-FR", timezone: "Europe/Paris" } }],
  ]);
  const runtime = bodyOf((await signIn(undefined)).said[0].init);
  assert.equal(runtime.platform, "node");
  assert.equal(runtime.custom.timezone, Intl.DateTimeFormat().resolvedOptions().timeZone);
  assert.equal((await signIn(false)).said.length, 0);
  const failed = await signIn({}, 503);
  assert.equal(failed.said.length, 1);
  assert.equal(failed.client.loggedIn, true, "the sign-in holds");
});

test("track batches by 100, a failed batch goes again with the same ids, the queue drops its oldest past its bound", async () => {
  let fail = true;
  const { client, calls } = recordingClient(() => {
    if (fail) {
      fail = false;
      return [503, { detail: "Down.", code: "unavailable" }];
    }
    return [202, { accepted: 100, duplicates: 0 }];
  });
  const liveops = client.liveops({ maxQueuedEvents: 150, flushIntervalMs: 60_000 });
  for (let i = 0; i < 160; i += 1) liveops.track("tap", { value: i, metadata: { i } });
  assert.deepEqual([liveops.queuedEvents, liveops.droppedEvents], [150, 10]);
  await assert.rejects(liveops.flushEvents(), (error) => /** @type {any} */ (error).status === 503);
  assert.equal(liveops.queuedEvents, 150, "the failed batch is kept");
  await liveops.flushEvents();
  const batches = calls.map((c) => bodyOf(c.init).events);
  assert.deepEqual(batches.map((b) => b.length), [100, 100, 50]);
  assert.deepEqual(batches[1].map((/** @type {any} */ e) => e.id), batches[0].map((/** @type {any} */ e) => e.id), "the retry keeps the ids");
  assert.deepEqual([batches[0][0].name, batches[0][0].value, batches[0][0].metadata], ["tap", 10, { i: 10 }]);
  assert.equal(new Set(batches.flat().map((/** @type {any} */ e) => e.id)).size, 150);
  assert.equal(liveops.queuedEvents, 0);
  client.close();
});

liveTest("a player reads a flag staff made, onChange fires after staff change it, and a resent event counts once", async () => {
  const staff = newClient();
  await staff.login(process.env.GAMEPLATFORM_LIVEOPS ?? "", process.env.GAMEPLATFORM_LIVEOPS_PASSWORD ?? PASSWORD);
  const name = newName("flag");
  await staff.post("/api/liveops/admin/flags/", { name, defaultValue: "blue" });

  let lost = true; // the first batch reaches the server, but its answer is lost on the way back
  /** @type {unknown[]} */
  const answers = []; // the server's answers to the event batches
  /** @type {typeof globalThis.fetch} */
  const losing = async (url, init) => {
    const response = await fetch(url, init);
    if (!String(url).includes("/api/liveops/events/")) return response;
    answers.push(await response.clone().json());
    if (lost) {
      lost = false;
      throw new TypeError("connection reset");
    }
    return response;
  };
  const player = await newPlayer("lo", { fetch: losing });
  const liveops = player.liveops();
  await liveops.refresh();
  assert.equal(liveops.flag(name, "none"), "blue");

  const changed = new Promise((resolve) => liveops.onChange(resolve));
  await within(player.notifications().socket.next("badge"), "the notification socket");
  await staff.put(`/api/liveops/admin/flags/${name}/`, { name, defaultValue: "red" });
  const answer = /** @type {any} */ (await within(changed, "onChange after liveops_changed"));
  assert.equal(answer.flags[name], "red");
  assert.equal(liveops.flag(name, "none"), "red");

  liveops.track("level_up", { value: 3 });
  await assert.rejects(liveops.flushEvents(), (error) => /** @type {any} */ (error).code === "network_error");
  assert.equal(liveops.queuedEvents, 1);
  await liveops.flushEvents(); // the same event again, its id kept: the server had it already
  assert.equal(liveops.queuedEvents, 0);
  assert.deepEqual(answers, [{ accepted: 1, duplicates: 0 }, { accepted: 0, duplicates: 1 }]);
});

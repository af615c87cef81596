// The meta-game calls against a live server: friends and DMs, lobbies, groups, leaderboards,
// tournaments and storage, each as a player would use them.
import assert from "node:assert/strict";

import { items } from "@gameplatform/client";

import { failure, liveTest, newClient, newName, newPlayer, within } from "./live.js";

liveTest("two players become friends and exchange a direct message", async () => {
  const alice = await newPlayer("alice");
  const bob = await newPlayer("bob");
  const bobId = /** @type {number} */ (bob.userId);
  const aliceId = /** @type {number} */ (alice.userId);
  assert.equal((await failure(alice.dms.send(bobId, "hi"))).code, "not_friends");
  await alice.friends.request(bobId);
  const [request] = items(await bob.friends.requests("incoming"));
  assert.equal(request.from_user.id, aliceId);
  await bob.friends.accept(request.id);
  assert.deepEqual(items(await alice.friends.list()).map((f) => f.user.id), [bobId]);

  const sent = await alice.dms.send(bobId, "hello, bob");
  assert.equal(sent.content, "hello, bob");
  const [conversation] = items(await bob.dms.conversations());
  assert.deepEqual([conversation.user.id, conversation.unread_count], [aliceId, 1]);
  assert.deepEqual(items(await bob.dms.messages(aliceId)).map((m) => m.content), ["hello, bob"]);
  await bob.dms.markRead(aliceId);
  assert.equal(items(await bob.dms.conversations())[0].unread_count, 0);
});

liveTest("a premium owner's lobby: a player joins and chats over REST and over its socket", async () => {
  const owner = newClient();
  await owner.login("premium_user_1", "testpass123");
  const lobby = await owner.lobbies.create({ name: newName("lobby"), is_public: true, max_participants: 4 });
  const alice = await newPlayer("alice");
  assert.equal((await failure(alice.lobbies.create({ name: newName("lobby") }))).code, "premium_required");
  await alice.lobbies.join(lobby.id);
  await alice.lobbies.post(lobby.id, "over REST");
  const socket = alice.lobbies.socket(lobby.id);
  await socket.next("lobby_state");
  const echoed = socket.next("chat_message");
  socket.send("chat_message", { message: "over the socket" });
  const frame = /** @type {{message: {content: string}}} */ (/** @type {unknown} */ (await within(echoed, "chat_message")));
  assert.equal(frame.message.content, "over the socket");
  const history = items(await owner.lobbies.messages(lobby.id)).map((m) => m.content);
  assert.deepEqual(history.slice(-2), ["over REST", "over the socket"]);
  await alice.lobbies.leave(lobby.id);
  owner.close();
  alice.close();
});

liveTest("a group: its creator leads it, another player joins and both are members", async () => {
  const alice = await newPlayer("alice");
  const bob = await newPlayer("bob");
  const group = await alice.groups.create({ name: newName("group"), open: true, max_members: 10 });
  const joined = await bob.groups.join(group.id);
  assert.equal(joined.status, "member");
  const members = items(await alice.groups.members(group.id));
  assert.deepEqual(members.map((m) => [m.user.id, m.role]).sort(), [[alice.userId, "superadmin"], [bob.userId, "member"]].sort());
  assert.equal((await failure(bob.groups.act(group.id, "kick", /** @type {number} */ (alice.userId)))).status, 403);
});

liveTest("my groups, the boards and the tournaments come in pages, and the All calls read every page", async () => {
  const carol = await newPlayer("carol");
  const made = [];
  for (const n of [1, 2, 3]) made.push(await carol.groups.create({ name: newName(`pages${n}`), open: true, max_members: 10 }));
  const first = await carol.groups.mine({ pageSize: 2 });
  assert.deepEqual(first.results.map((g) => [g.id, g.role]), made.slice(0, 2).map((g) => [g.id, "superadmin"]));
  assert.equal(first.previous, null);
  assert.ok(first.next !== null && first.count === 3);
  const second = await carol.groups.mine({ page: 2, pageSize: 2 });
  assert.deepEqual(second.results.map((g) => g.id), [made[2].id]);
  assert.equal(second.next, null);
  assert.deepEqual((await carol.groups.mineAll()).map((g) => g.id), made.map((g) => g.id));

  const boards = await carol.leaderboards.list({ pageSize: 1 });
  assert.equal(boards.results.length, 1);
  assert.ok(boards.next !== null, "the demo data has more than one board");
  assert.equal((await carol.leaderboards.listAll()).length, boards.count);
  const cups = await carol.tournaments.list({ page: 1 });
  assert.ok(Array.isArray(cups.results));
  assert.ok((await carol.tournaments.listAll()).some((t) => t.id === "weekly-cup"));
});

liveTest("a score goes on a leaderboard, an authoritative board refuses it, the cup is listed", async () => {
  const alice = await newPlayer("alice");
  // Under the demo board's top (1,800): the browser tests on the same server read its first rank.
  const mine = await alice.leaderboards.write("high-scores", 1001, { level: 3 });
  assert.equal(mine.score, 1001);
  const around = items(await alice.leaderboards.records("high-scores", { aroundMe: true, limit: 3 }));
  assert.ok(around.some((row) => row.user.id === alice.userId && row.score === 1001));
  assert.equal((await failure(alice.leaderboards.write("tictactoe-wins", 99))).status, 403);
  assert.ok(items(await alice.tournaments.list()).some((t) => t.id === "weekly-cup"));
});

liveTest("storage keeps versions: a stale write is refused with version_conflict", async () => {
  const alice = await newPlayer("alice");
  const first = await alice.storage.put("saves", "slot-1", { level: 1 }, { createOnly: true });
  assert.deepEqual(first.value, { level: 1 });
  assert.equal((await failure(alice.storage.put("saves", "slot-1", { level: 0 }, { createOnly: true }))).code, "version_conflict");
  const second = await alice.storage.put("saves", "slot-1", { level: 2 }, { version: first.version });
  const stale = await failure(alice.storage.put("saves", "slot-1", { level: 9 }, { version: first.version }));
  assert.deepEqual([stale.status, stale.code], [412, "version_conflict"]);
  assert.deepEqual((await alice.storage.get("saves", "slot-1")).value, { level: 2 });
  assert.deepEqual(items(await alice.storage.list("saves")).map((o) => o.key), ["slot-1"]);
  await alice.storage.delete("saves", "slot-1", { version: second.version });
  assert.equal((await failure(alice.storage.get("saves", "slot-1"))).status, 404);
});

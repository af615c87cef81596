// Friends with presence, finding players, friend requests, blocks and direct messages.

import { reportAction } from "./safety.js";
import { $, addChatLine, bannerAbout, button, clearInfo, dot, el, fill, onSubmit, showError, showInfo } from "./ui.js";

let app;
let friends = []; // [{user, online, since}]
let dm = null; // {user, socket, seen:Set}

export function setup(theApp) {
  app = theApp;
  onSubmit($("#user-search-form"), ({ search }) => searchUsers(search.trim()));
  onSubmit($("#dm-form"), async ({ content }) => {
    if (!dm || !content.trim()) return;
    if (!dm.socket.send("dm_message", { content })) {
      addDm(await app.gp.post(`/api/dm/${dm.user.id}/messages/`, { content }));
    }
    $("#dm-input").value = "";
  });
  app.on("presence_changed", renderFriends);
  app.on("lobby_changed", renderFriends);
  $("#dm-older").addEventListener("click", () => loadOlderDms().catch(showError));
  app.on("friend_request", (frame) => {
    showInfo(`Friend request from ${frame.request.from_user.username}.`, { about: `friend-request:${frame.request.id}` });
    refreshRequests().catch(showError);
  });
  app.on("friend_request_cancelled", () => refreshRequests().catch(showError));
  for (const type of ["friend_accepted", "friend_removed"]) {
    app.on(type, () => Promise.all([refreshFriends(), refreshRequests()]).catch(showError));
  }
  app.on("dm_received", (frame) => {
    if (dm?.user.id !== frame.from_user_id) {
      const friend = friends.find((f) => f.user.id === frame.from_user_id)?.user;
      const sender = frame.from_user || friend;
      showInfo(`New message from ${sender ? sender.display_name || sender.username : "a friend"}.`);
    }
  });
  app.on("open_dm", ({ user }) => {
    app.showTab("friends");
    openDm(user).catch(showError);
  });
}

export async function start() {
  await Promise.all([refreshFriends(), refreshRequests(), loadInviteModes()]);
}

// An invite is one-to-one: only modes two players can play are offered (the server refuses the others).
async function loadInviteModes() {
  const modes = (await app.gp.all("/api/game/modes/")).filter((m) => m.min_players <= 2);
  const select = $("#invite-mode");
  const chosen = select.value;
  fill(select, modes.map((m) => el("option", { value: m.name }, m.title || m.name)));
  if (modes.some((m) => m.name === chosen)) select.value = chosen;
}

export async function show() {
  await Promise.all([refreshFriends(), refreshRequests(), refreshBlocks()]);
}

export function friendList() {
  return friends;
}

async function refreshFriends() {
  friends = await app.gp.all("/api/friends/");
  for (const f of friends) if (f.online) app.online.add(f.user.id);
  renderFriends();
}

function renderFriends() {
  const list = $("#friend-list");
  if (!friends.length) return fill(list, [el("li", { class: "muted" }, "No friends yet: find players below.")]);
  fill(
    list,
    friends.map(({ user }) => {
      const online = app.online.has(user.id);
      return el(
        "li",
        { dataset: { userId: user.id, username: user.username, online: online ? "1" : "0" }, class: "friend" },
        dot(online),
        el("strong", {}, user.display_name || user.username),
        el("span", { class: "muted" }, ` ${user.username} · ${online ? "online" : "offline"}`),
        el(
          "span",
          { class: "actions" },
          button("Message", () => openDm(user), { class: "small" }),
          button("Invite to a game", () => inviteToGame(user), { class: "small invite-game" }),
          app.currentLobby ? button(`Invite to ${app.currentLobby.name}`, () => inviteToLobby(user), { class: "small" }) : null,
          button("Remove", () => removeFriend(user), { class: "small" }),
          button("Block", () => block(user), { class: "small" }),
          reportAction(user),
        ),
      );
    }),
  );
}

async function searchUsers(text) {
  const page = await app.gp.get(`/api/users/?search=${encodeURIComponent(text)}`);
  const known = new Set(friends.map((f) => f.user.id));
  fill(
    $("#user-results"),
    page.results
      .filter((user) => user.id !== app.me.id)
      .map((user) =>
        el(
          "li",
          { dataset: { userId: user.id, username: user.username } },
          user.username,
          user.display_name && user.display_name !== user.username ? el("span", { class: "muted" }, ` (${user.display_name})`) : null,
          " ",
          known.has(user.id)
            ? el("span", { class: "tag" }, "friend")
            : button("Add friend", () => sendRequest(user), { class: "small add-friend" }),
          button("Block", () => block(user), { class: "small" }),
        ),
      ),
  );
  if (!page.results.length) fill($("#user-results"), [el("li", { class: "muted" }, "Nobody by that name.")]);
}

async function sendRequest(user) {
  await app.gp.post("/api/friends/requests/", { user_id: user.id });
  showInfo(`Friend request sent to ${user.username}.`);
  await Promise.all([refreshRequests(), refreshFriends()]);
}

async function refreshRequests() {
  const [incoming, outgoing] = await Promise.all([
    app.gp.all("/api/friends/requests/?direction=incoming"),
    app.gp.all("/api/friends/requests/?direction=outgoing"),
  ]);
  const rows = [
    ...incoming.map((r) =>
      el(
        "li",
        { dataset: { requestId: r.id, from: r.from_user.username }, class: "incoming" },
        `From ${r.from_user.username} `,
        button("Accept", () => answer(r, "accept"), { class: "small accept-request" }),
        button("Decline", () => answer(r, "decline"), { class: "small" }),
      ),
    ),
    ...outgoing.map((r) =>
      el(
        "li",
        { dataset: { requestId: r.id, to: r.to_user.username }, class: "outgoing" },
        `To ${r.to_user.username} (pending) `,
        button("Cancel", () => app.gp.delete(`/api/friends/requests/${r.id}/`).then(refreshRequests), { class: "small" }),
      ),
    ),
  ];
  fill($("#friend-requests"), rows.length ? rows : [el("li", { class: "muted" }, "No pending requests.")]);
  // A "Friend request from …" notice goes once that request is answered (here or in another window).
  const about = bannerAbout();
  if (about.startsWith("friend-request:") && !incoming.some((r) => `friend-request:${r.id}` === about)) clearInfo(about);
}

async function answer(request, verb) {
  await app.gp.post(`/api/friends/requests/${request.id}/${verb}/`);
  await Promise.all([refreshRequests(), refreshFriends()]);
}

async function removeFriend(user) {
  if (!window.confirm(`Remove ${user.username} from your friends?`)) return;
  await app.gp.delete(`/api/friends/${user.id}/`);
  if (dm?.user.id === user.id) closeDm();
  await refreshFriends();
}

async function block(user) {
  if (!window.confirm(`Block ${user.username}? This also ends your friendship.`)) return;
  await app.gp.post("/api/friends/blocks/", { user_id: user.id });
  if (dm?.user.id === user.id) closeDm();
  await Promise.all([refreshFriends(), refreshRequests(), refreshBlocks()]);
}

async function refreshBlocks() {
  const blocks = await app.gp.all("/api/friends/blocks/");
  $("#blocks-box").hidden = blocks.length === 0;
  fill(
    $("#block-list"),
    blocks.map(({ user }) =>
      el(
        "li",
        { dataset: { userId: user.id } },
        user.username,
        " ",
        button("Unblock", () => app.gp.delete(`/api/friends/blocks/${user.id}/`).then(refreshBlocks), { class: "small" }),
      ),
    ),
  );
}

async function inviteToGame(user) {
  const select = $("#invite-mode");
  await app.gp.post("/api/invites/", { to_user_id: user.id, kind: "game", mode: select.value || "tictactoe" });
  showInfo(`Invited ${user.username} to a game of ${select.selectedOptions[0]?.textContent || select.value}.`);
  app.emit("invites_changed", {});
}

async function inviteToLobby(user) {
  const lobby = app.currentLobby;
  await app.gp.post("/api/invites/", { to_user_id: user.id, kind: "lobby", lobby_id: lobby.id });
  showInfo(`Invited ${user.username} to ${lobby.name}.`);
  app.emit("invites_changed", {});
}

// --- direct messages -----------------------------------------------------------------

function closeDm() {
  dm?.socket.close();
  dm = null;
  $("#dm-panel").hidden = true;
  $("#dm-older").hidden = true;
}

async function openDm(user) {
  if (dm?.user.id === user.id) return;
  closeDm();
  const socket = app.gp.socket(`/ws/dm/${user.id}/`);
  dm = { user, socket, seen: new Set(), older: null };
  $("#dm-panel").hidden = false;
  $("#dm-panel").dataset.userId = user.id;
  $("#dm-title").textContent = `Messages with ${user.username}`;
  $("#dm-messages").replaceChildren();
  socket.on("dm_message", (frame) => {
    addDm(frame.message);
    if (frame.message.sender_id === user.id) app.gp.post(`/api/dm/${user.id}/read/`).catch(() => {});
  });
  socket.on("error", showError);
  socket.on("close", ({ code, final }) => {
    if (final && code === 4403 && dm?.socket === socket) {
      showInfo(`You can no longer message ${user.username}.`);
      closeDm();
    }
  });
  const page = await app.gp.get(`/api/dm/${user.id}/messages/`);
  if (dm?.socket !== socket) return;
  page.results.forEach((message) => addDm(message));
  setOlderDms(page.next);
  await app.gp.post(`/api/dm/${user.id}/read/`);
}

function setOlderDms(url) {
  dm.older = url ? new URL(url, location.href) : null;
  $("#dm-older").hidden = !dm.older;
}

async function loadOlderDms() {
  if (!dm?.older) return;
  const current = dm;
  const page = await app.gp.get(current.older.pathname + current.older.search);
  if (dm !== current) return;
  [...page.results].reverse().forEach((message) => addDm(message, { prepend: true }));
  setOlderDms(page.next);
}

function addDm(message, { prepend = false } = {}) {
  if (!dm) return;
  const mine = message.sender_id === app.me.id;
  const actions = mine ? [] : [" ", reportAction(dm.user, { dmUserId: dm.user.id })];
  addChatLine($("#dm-messages"), dm.seen, message, { sender: mine ? app.me.username : dm.user.username, mine, prepend, actions });
}

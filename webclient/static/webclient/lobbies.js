// Lobbies: the list, joining, the chat with typing and presence, and moderation for owners/moderators.

import { reportAction } from "./safety.js";
import { $, addChatLine, addNotice as addChatNotice, button, el, fill, onSubmit, showError, showInfo } from "./ui.js";
import { lobbyStatus } from "./words.js";

let app;
let room = null; // {id, lobby, socket, online:Set, typing:Map, seen:Set}
let typingSentAt = 0;
let typingStopTimer = null;
let search = "";
let modes = null; // GET /api/game/modes/, once

export function setup(theApp) {
  app = theApp;
  onSubmit($("#lobby-search-form"), async ({ search: text }) => {
    search = text.trim();
    await refreshList();
  });
  onSubmit($("#lobby-create-form"), async (fields) => {
    const lobby = await app.gp.post("/api/lobbies/", {
      name: fields.name,
      max_participants: Number(fields.max_participants || 8),
      is_public: fields.is_public === "on",
    });
    await refreshList();
    await enter(lobby.id);
  }, { reset: true });
  onSubmit($("#lobby-chat-form"), async ({ message }) => {
    if (!room || !message.trim()) return;
    stopTyping();
    if (!room.socket.send("chat_message", { message })) {
      await app.gp.post(`/api/lobbies/${room.id}/messages/`, { content: message }); // socket down: REST
    }
    $("#lobby-chat-input").value = "";
  });
  $("#lobby-chat-input").addEventListener("input", onTyping);
  $("#lobby-older").addEventListener("click", () => loadOlder().catch(showError));
  app.on("open_lobby", ({ lobby_id }) => {
    app.showTab("lobbies");
    enter(lobby_id).catch(showError);
  });
  $("#lobby-leave").addEventListener("click", () => leave().catch(showError));
  $("#lobby-start").addEventListener("click", async () => {
    try {
      // The refusal (409 invalid_player_count) says what the mode takes; showError shows it.
      const body = await app.gp.post(`/api/lobbies/${room.id}/start/`, { mode: $("#lobby-mode").value || "relay" });
      app.emit("open_game", { game_id: body.game_id });
    } catch (error) {
      showError(error);
    }
  });
}

export async function start() {
  const last = Number(sessionStorage.getItem("gp.lobby"));
  if (last) enter(last, { join: false }).catch(() => sessionStorage.removeItem("gp.lobby"));
}

export async function show() {
  await refreshList();
}

async function refreshList() {
  const params = new URLSearchParams({ status: "open" });
  if (search) params.set("search", search);
  const page = await app.gp.get(`/api/lobbies/?${params}`);
  fill(
    $("#lobby-list"),
    page.results.map((lobby) =>
      el(
        "li",
        { dataset: { lobbyId: lobby.id }, class: room?.id === lobby.id ? "selected" : "" },
        el("strong", {}, lobby.name),
        " ",
        el("span", { class: "muted" }, el("span", { class: "count" }, count(lobby)), `${lobby.is_public ? "" : " · private"} · ${lobby.owner.username}`),
        " ",
        button("Enter", () => enter(lobby.id), { class: "enter-lobby" }),
      ),
    ),
  );
  if (!page.results.length) fill($("#lobby-list"), [el("li", { class: "muted" }, "No open lobbies.")]);
}

function count(lobby) {
  return `${lobby.participant_count}/${lobby.max_participants}`;
}

async function detail(id) {
  return app.gp.get(`/api/lobbies/${id}/`);
}

function myRole(lobby) {
  return lobby.members.find((m) => m.user.id === app.me.id)?.role || null;
}

async function enter(id, { join = true } = {}) {
  let lobby = await detail(id);
  if (!myRole(lobby)) {
    if (!join) throw new Error("not a member");
    await app.gp.post(`/api/lobbies/${id}/join/`);
    lobby = await detail(id);
    refreshList().catch(showError); // the list counted the lobby without me
  }
  closeRoom();
  const socket = app.gp.socket(`/ws/lobbies/${id}/`);
  room = { id, lobby, socket, online: new Set(), typing: new Map(), seen: new Set(), older: null };
  sessionStorage.setItem("gp.lobby", String(id));
  app.currentLobby = { id, name: lobby.name };
  app.emit("lobby_changed", app.currentLobby);
  // Frames still in flight from a room we left are dropped.
  const on = (type, fn) => socket.on(type, (frame) => room?.socket === socket && fn(frame));
  on("lobby_state", (frame) => {
    room.lobby = frame.lobby;
    room.online = new Set(frame.online_user_ids);
    render();
  });
  on("chat_message", (frame) => {
    room.typing.delete(frame.message.sender.id);
    addMessage(frame.message);
    renderTyping();
  });
  on("message_deleted", (frame) => $(`#lobby-messages [data-message-id="${frame.id}"]`)?.remove());
  on("presence_join", (frame) => {
    room.online.add(frame.user_id);
    refreshMembers();
  });
  on("presence_leave", (frame) => {
    room.online.delete(frame.user_id);
    room.typing.delete(frame.user_id);
    renderMembers();
    renderTyping();
  });
  on("typing_start", (frame) => {
    if (frame.user_id === app.me.id) return;
    room.typing.set(frame.user_id, { name: frame.username, until: Date.now() + 6000 });
    renderTyping();
  });
  on("typing_stop", (frame) => {
    room.typing.delete(frame.user_id);
    renderTyping();
  });
  // Membership changes (a join or leave over REST, with or without a socket): the room and the
  // list read the count again, so both say the same.
  for (const kind of ["member_joined", "member_left", "role_changed", "lobby_status"]) {
    on(kind, () => {
      refreshMembers();
      refreshList().catch(() => {});
    });
  }
  for (const kind of ["moderation_kick", "moderation_ban"]) {
    on(kind, (frame) => {
      const verb = kind === "moderation_kick" ? "kicked" : "banned";
      addNotice(`${frame.target_username} was ${verb}${frame.reason ? `: ${frame.reason}` : ""}.`);
      refreshMembers();
      refreshBans();
      refreshList().catch(() => {});
    });
  }
  on("lobby_started", (frame) => {
    addNotice(`The game started (game ${frame.game_id}).`);
    app.emit("open_game", { game_id: frame.game_id });
  });
  socket.on("error", showError);
  socket.on("close", ({ code, final }) => {
    if (!final || room?.socket !== socket) return;
    if (code === 4403) showInfo("You are no longer a member of this lobby.");
    if (code === 4403 || code === 4404) closeRoom();
  });
  render();
  const history = await app.gp.get(`/api/lobbies/${id}/messages/`);
  if (room?.socket !== socket) return;
  history.results.forEach((message) => addMessage(message));
  setOlder(history.next);
  refreshBans();
  refreshList().catch(() => {});
}

function closeRoom() {
  if (room) room.socket.close();
  room = null;
  sessionStorage.removeItem("gp.lobby");
  if (app.currentLobby) {
    app.currentLobby = null;
    app.emit("lobby_changed", null);
  }
  $("#lobby-bans-box").hidden = true;
  $("#lobby-older").hidden = true;
  $("#lobby-room").hidden = true;
  $("#lobby-messages").replaceChildren();
}

async function leave() {
  if (!room) return;
  const id = room.id;
  closeRoom();
  await app.gp.post(`/api/lobbies/${id}/leave/`);
  await refreshList();
}

async function refreshMembers() {
  if (!room) return;
  const socket = room.socket;
  const lobby = await detail(room.id).catch(() => null);
  if (lobby && room?.socket === socket) {
    room.lobby = lobby;
    render();
  }
}

function render() {
  const { lobby } = room;
  $("#lobby-room").hidden = false;
  $("#lobby-room").dataset.lobbyId = lobby.id;
  $("#lobby-title").textContent = lobby.name;
  $("#lobby-meta").textContent = `${lobby.is_public ? "public" : "private"} · ${count(lobby)} members · ${lobbyStatus(lobby.status)} · owner ${lobby.owner.username}`;
  // The list beside the room says the same count as the room, as members come and go.
  const listed = $(`#lobby-list li[data-lobby-id="${lobby.id}"] .count`);
  if (listed) listed.textContent = count(lobby);
  const owner = myRole(lobby) === "owner";
  $("#lobby-start").hidden = $("#lobby-mode-label").hidden = !owner;
  if (owner) renderModes().catch(showError);
  renderMembers();
}

// The owner picks the game: only modes whose player range holds the member count can be chosen.
async function renderModes() {
  modes ??= await app.gp.all("/api/game/modes/");
  if (!room) return;
  const count = room.lobby.participant_count;
  const fits = (m) => m.min_players <= count && count <= m.max_players;
  const select = $("#lobby-mode");
  const chosen = select.value;
  fill(
    select,
    modes.map((m) => {
      const range = m.min_players === m.max_players ? `${m.min_players}` : `${m.min_players}–${m.max_players}`;
      return el("option", { value: m.name, disabled: !fits(m) }, `${m.title || m.name} (${range} players)`);
    }),
  );
  const playable = modes.filter(fits).map((m) => m.name);
  select.value = playable.includes(chosen) ? chosen : playable.includes("relay") ? "relay" : playable[0] || "";
  $("#lobby-start").disabled = !playable.length;
}

function renderMembers() {
  const { lobby } = room;
  const role = myRole(lobby);
  const canModerate = role === "owner" || role === "moderator";
  fill(
    $("#lobby-members"),
    (lobby.members || []).map((member) => {
      const { user } = member;
      const online = room.online.has(user.id);
      const actions = [];
      if (canModerate && user.id !== app.me.id && member.role !== "owner") {
        actions.push(button("Kick", () => moderate("kick", user), { class: "small" }));
        actions.push(button("Ban", () => moderate("ban", user), { class: "small" }));
      }
      if (role === "owner" && user.id !== app.me.id) {
        if (member.role === "member") {
          actions.push(button("Make mod", () => app.gp.post(`/api/lobbies/${lobby.id}/moderators/`, { user_id: user.id }).then(refreshMembers), { class: "small" }));
        } else if (member.role === "moderator") {
          actions.push(button("Unmod", () => app.gp.delete(`/api/lobbies/${lobby.id}/moderators/${user.id}/`).then(refreshMembers), { class: "small" }));
        }
      }
      return el(
        "li",
        { dataset: { userId: user.id, online: online ? "1" : "0" } },
        el("span", { class: online ? "dot online" : "dot", title: online ? "here" : "away" }),
        user.username,
        user.is_premium ? el("span", { class: "tag" }, "premium") : null,
        member.role !== "member" ? el("span", { class: "tag" }, member.role) : null,
        " ",
        ...actions,
        user.id !== app.me.id ? reportAction(user, { lobbyId: lobby.id }) : null,
      );
    }),
  );
}

async function moderate(action, user) {
  const reason = window.prompt(`Reason to ${action} ${user.username}:`, "") ?? null;
  if (reason === null) return;
  await app.gp.post(`/api/lobbies/${room.id}/${action}/`, { user_id: user.id, reason });
  await Promise.all([refreshMembers(), refreshBans()]);
}

async function refreshBans() {
  if (!room) return;
  const role = myRole(room.lobby);
  const box = $("#lobby-bans-box");
  if (role !== "owner" && role !== "moderator") return void (box.hidden = true);
  const lobbyId = room.id;
  const bans = await app.gp.all(`/api/lobbies/${lobbyId}/bans/`).catch(() => []);
  if (room?.id !== lobbyId) return;
  box.hidden = bans.length === 0;
  fill(
    $("#lobby-bans"),
    bans.map((ban) =>
      el(
        "li",
        { dataset: { userId: ban.user.id } },
        ban.user.username,
        ban.reason ? el("span", { class: "muted" }, ` (${ban.reason})`) : null,
        button("Unban", () => app.gp.post(`/api/lobbies/${lobbyId}/unban/`, { user_id: ban.user.id }).then(refreshBans), { class: "small" }),
      ),
    ),
  );
}

function setOlder(url) {
  room.older = url ? new URL(url, location.href) : null;
  $("#lobby-older").hidden = !room.older;
}

async function loadOlder() {
  if (!room?.older) return;
  const current = room;
  const page = await app.gp.get(current.older.pathname + current.older.search);
  if (room !== current) return;
  [...page.results].reverse().forEach((message) => addMessage(message, { prepend: true }));
  setOlder(page.next);
}

function addMessage(message, { prepend = false } = {}) {
  if (!room) return;
  const { sender } = message;
  const mine = sender.id === app.me.id;
  const actions = mine ? [] : [" ", reportAction(sender, { lobbyId: room.id })];
  addChatLine($("#lobby-messages"), room.seen, message, { sender: sender.username, mine, prepend, actions });
}

function addNotice(text) {
  addChatNotice($("#lobby-messages"), text);
}

function renderTyping() {
  if (!room) return;
  const now = Date.now();
  const names = [...room.typing.values()].filter((t) => t.until > now).map((t) => t.name);
  $("#lobby-typing").textContent = names.length ? `${names.join(", ")} ${names.length > 1 ? "are" : "is"} typing…` : "";
}
setInterval(renderTyping, 2000);

function onTyping() {
  if (!room) return;
  const now = Date.now();
  if (now - typingSentAt > 3000) {
    typingSentAt = now;
    room.socket.send("typing_start");
  }
  clearTimeout(typingStopTimer);
  typingStopTimer = setTimeout(stopTyping, 2500);
}

function stopTyping() {
  clearTimeout(typingStopTimer);
  if (typingSentAt && room) room.socket.send("typing_stop");
  typingSentAt = 0;
}

// The web client: log in, then one panel per area (lobbies, friends, inbox, play, profile, world).
// Each panel module exports setup(app) (binds the page once) and may export start() (a session
// began) and show() (its tab was opened). Frames of the per-user sockets reach the modules
// through app.on(type, fn).

import { Client } from "./gameplatform.js";
import * as friends from "./friends.js";
import * as game from "./game.js";
import * as inbox from "./inbox.js";
import * as lobbies from "./lobbies.js";
import * as profile from "./profile.js";
import { $, $$, onSubmit, setBadge, showError } from "./ui.js";
import * as world from "./world.js";

const TABS = ["lobbies", "friends", "inbox", "play", "profile", "world"];
const MODULES = { lobbies, friends, inbox, play: game, profile, world };

const listeners = new Map();

export const app = {
  gp: new Client(),
  me: null,
  online: new Set(), // ids of friends online now
  sockets: {},
  on(type, fn) {
    if (!listeners.has(type)) listeners.set(type, new Set());
    listeners.get(type).add(fn);
  },
  emit(type, frame) {
    for (const fn of listeners.get(type) || []) {
      try {
        fn(frame);
      } catch (error) {
        showError(error);
      }
    }
  },
  showTab,
};
window.gameplatform = app; // for the console: gameplatform.gp.get("/api/me/")

function showTab(name) {
  if (!TABS.includes(name)) name = "lobbies";
  if (location.hash !== `#${name}`) history.replaceState(null, "", `#${name}`);
  for (const panel of $$("[data-panel]")) panel.hidden = panel.dataset.panel !== name;
  for (const tab of $$("#tabs button")) tab.classList.toggle("active", tab.dataset.tab === name);
  MODULES[name]?.show?.().catch?.(showError);
}

function showAuth() {
  $("#auth-view").hidden = false;
  $("#tabs").hidden = true;
  $("#session").hidden = true;
  for (const panel of $$("[data-panel]")) panel.hidden = true;
}

async function startSession() {
  app.me = await app.gp.get("/api/me/");
  $("#auth-view").hidden = true;
  $("#tabs").hidden = false;
  $("#session").hidden = false;
  $("#whoami").textContent = `${app.me.display_name || app.me.username} (${app.me.username}${app.me.is_premium ? ", premium" : ""})`;
  document.body.dataset.user = app.me.username;
  openUserSockets();
  // One panel failing to load must not keep the others (or the session) from starting.
  await Promise.all(Object.values(MODULES).map((module) => module.start?.().catch(showError)));
  showTab(location.hash.slice(1));
}

function openUserSockets() {
  const notifications = app.gp.socket("/ws/notifications/");
  notifications.on("*", (frame) => {
    if (frame?.type) app.emit(frame.type, frame);
  });
  notifications.on("status", (status) => {
    const node = $("#conn-status");
    node.textContent = status === "open" ? "● live" : `○ ${status}`;
    node.className = status === "open" ? "live" : "offline";
  });
  notifications.on("error", showError);
  const presence = app.gp.socket("/ws/friends/status/");
  presence.on("presence_snapshot", (frame) => {
    app.online = new Set(frame.friends.filter((f) => f.online).map((f) => f.user_id));
    app.emit("presence_changed", {});
  });
  presence.on("presence", (frame) => {
    if (frame.status === "online") app.online.add(frame.user_id);
    else app.online.delete(frame.user_id);
    app.emit("presence_changed", frame);
  });
  app.sockets.notifications = notifications;
  app.sockets.presence = presence;
}

app.on("badge", (frame) => {
  setBadge($("#badge-friends"), frame.pending_friend_requests + frame.unread_dms);
  setBadge($("#badge-inbox"), frame.pending_invites + (frame.unread_notifications || 0));
});

function setup() {
  for (const module of Object.values(MODULES)) module.setup?.(app);
  for (const tab of $$("#tabs button")) tab.addEventListener("click", () => showTab(tab.dataset.tab));
  window.addEventListener("hashchange", () => app.me && showTab(location.hash.slice(1)));
  onSubmit($("#login-form"), async ({ username, password }) => {
    await app.gp.login(username.trim(), password);
  });
  onSubmit($("#register-form"), async (fields) => {
    await app.gp.register({ ...fields, username: fields.username.trim() });
  });
  $("#logout").addEventListener("click", () => app.gp.logout());
  app.gp.onAuthChange((loggedIn) => {
    if (loggedIn && !app.me) startSession().catch(showError);
    // Leaving the session: a fresh page closes every socket and forgets every panel.
    if (!loggedIn && app.me) location.reload();
  });
  if (app.gp.loggedIn) {
    startSession().catch((error) => {
      showError(error);
      showAuth();
    });
  } else {
    showAuth();
  }
}

setup();

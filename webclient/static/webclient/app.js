// The web client: log in, then one panel per area (lobbies, groups, friends, inbox, play, profile,
// world, leaderboards, tournaments, store).
// Each panel module exports setup(app) (binds the page once) and may export start() (a session
// began) and show() (its tab was opened). Frames of the per-user sockets reach the modules
// through app.on(type, fn). A tab may have more than one module (PARTS): Play has the live games
// (watch.js) and the replay viewer (replay.js) beside the game itself; Inbox has the liveops
// messages (liveops.js, which also draws the live events' banner on every tab).

import { Client } from "./gameplatform.js";
import * as friends from "./friends.js";
import * as game from "./game.js";
import * as groups from "./groups.js";
import * as inbox from "./inbox.js";
import * as leaderboards from "./leaderboards.js";
import * as liveops from "./liveops.js";
import * as lobbies from "./lobbies.js";
import * as profile from "./profile.js";
import * as replay from "./replay.js";
import * as safety from "./safety.js";
import * as tournaments from "./tournaments.js";
import * as store from "./store.js";
import { $, $$, el, fill, onSubmit, setBadge, showError, showInfo } from "./ui.js";
import * as watch from "./watch.js";
import * as world from "./world.js";

const TABS = ["lobbies", "groups", "friends", "inbox", "play", "profile", "world", "leaderboards", "tournaments", "store"];
const MODULES = { lobbies, groups, friends, inbox, play: game, profile, world, leaderboards, tournaments, store };
const PARTS = { inbox: [liveops], play: [watch, replay] };
// Modules of no tab: the sanction banner and the report forms (safety.js).
const EVERY_MODULE = [...Object.values(MODULES), ...Object.values(PARTS).flat(), safety];

const listeners = new Map();

export const app = {
  // The page says what it is itself (liveops.js, at each start, a restored session included).
  gp: new Client({ clientAttributes: false }),
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
  showWhoami: () => showWhoami(),
};
window.gameplatform = app; // for the console: gameplatform.gp.get("/api/me/")

function showTab(name) {
  if (!TABS.includes(name)) name = "lobbies";
  if (location.hash !== `#${name}`) history.replaceState(null, "", `#${name}`);
  for (const panel of $$("[data-panel]")) panel.hidden = panel.dataset.panel !== name;
  for (const tab of $$("#tabs button")) tab.classList.toggle("active", tab.dataset.tab === name);
  for (const module of [MODULES[name], ...(PARTS[name] || [])]) module?.show?.().catch?.(showError);
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
  showWhoami();
  document.body.dataset.user = app.me.username;
  openUserSockets();
  // One panel failing to load must not keep the others (or the session) from starting.
  await Promise.all(EVERY_MODULE.map((module) => module.start?.().catch(showError)));
  showTab(location.hash.slice(1));
}

function openUserSockets() {
  const notifications = app.gp.notifications();
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

// Each count on the tab where its list is: friend requests under Friends; invites and unread
// conversations (the Conversations list) under Inbox.
app.on("badge", (frame) => {
  setBadge($("#badge-friends"), frame.pending_friend_requests || 0);
  setBadge($("#badge-inbox"), (frame.pending_invites || 0) + (frame.unread_dms || 0));
});

// The site's Content-Security-Policy runs scripts from this server's files only: a script pasted
// inline (seed 000's GameClient in a <script> block) is refused by the browser with a terse console
// line. Say what to do instead, on the page and in the console.
export const INLINE_SCRIPT_HINT =
  "An inline script was blocked: this site's Content-Security-Policy runs scripts from files only " +
  "(script-src 'self'). Save the script as a .js file served by this server (e.g. under a static/ " +
  "folder) and load it with <script src=…>, or import it from the console.";

document.addEventListener("securitypolicyviolation", (event) => {
  if (!event.effectiveDirective.startsWith("script-src") || event.blockedURI !== "inline") return;
  console.warn(INLINE_SCRIPT_HINT);
  showError(new Error(INLINE_SCRIPT_HINT));
});

const DEVICE_KEY = "gameplatform.device";

/** This browser's device id: made once, kept after logging out, so "Play as guest" always
 * comes back to the same account (the guest's, or the full account it became). Logging in and
 * registering send it too: while an account that used this browser is suspended or banned, the
 * server makes no guest on it (403 account_suspended, the banner's appeal). */
function deviceId() {
  let id = localStorage.getItem(DEVICE_KEY);
  if (!id) {
    // getRandomValues, not randomUUID: the latter exists only in secure contexts (not plain http on a LAN address).
    id = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
    localStorage.setItem(DEVICE_KEY, id);
  }
  return id;
}

function showWhoami() {
  const me = app.me;
  const notes = [me.username, me.is_premium ? "premium" : null, me.is_guest ? "guest" : null].filter(Boolean);
  $("#whoami").textContent = `${me.display_name || me.username} (${notes.join(", ")})`;
}

/** The end of a sign-in with a provider: its callback sent the browser here with the platform's
 * tokens (or signin_error) in the fragment, which no server sees. Adopt them and clear it. */
function takeProviderSignIn() {
  const fields = new URLSearchParams(location.hash.slice(1));
  if (!fields.has("signin_error") && !(fields.has("access") && fields.has("refresh"))) return;
  history.replaceState(null, "", location.pathname + location.search);
  if (fields.has("signin_error")) {
    showError(new Error(`Sign-in with the provider failed (${fields.get("signin_error")}).`));
    return;
  }
  app.gp.useTokens({ access: fields.get("access"), refresh: fields.get("refresh") });
}

/** One "Sign in with X" link per configured provider (GET /api/auth/providers/). */
async function showProviders() {
  const answer = await fetch("/api/auth/providers/");
  const providers = answer.ok ? await answer.json() : [];
  const next = encodeURIComponent(location.pathname);
  fill(
    $("#provider-sign-in"),
    providers.map((p) =>
      el("a", { class: "provider", href: `/api/auth/providers/${encodeURIComponent(p.id)}/start/?next=${next}` }, `Sign in with ${p.name}`),
    ),
  );
  $("#provider-sign-in").hidden = providers.length === 0;
}

function setup() {
  for (const module of EVERY_MODULE) module.setup?.(app);
  for (const tab of $$("#tabs button")) tab.addEventListener("click", () => showTab(tab.dataset.tab));
  window.addEventListener("hashchange", () => app.me && showTab(location.hash.slice(1)));
  onSubmit($("#login-form"), async ({ username, password }) => {
    // The SDK's login() with the device id beside the credentials.
    const body = { username: username.trim(), password, device_id: deviceId() };
    app.gp.useTokens(await app.gp.request("POST", "/api/auth/login/", { body, auth: false }));
  });
  $("#guest-login").addEventListener("click", () => app.gp.deviceLogin(deviceId()).catch(showError));
  $("#forgot-open").addEventListener("click", () => {
    $("#forgot-form").hidden = false;
    $("#forgot-form input[name=email]").focus();
  });
  onSubmit(
    $("#forgot-form"),
    async ({ email }) => {
      const body = { email: email.trim() };
      const answer = await app.gp.request("POST", "/api/auth/password/reset/", { body, auth: false });
      showInfo(answer.detail);
    },
    { reset: true },
  );
  onSubmit($("#register-form"), async (fields) => {
    await app.gp.register({ ...fields, username: fields.username.trim(), device_id: deviceId() });
  });
  $("#logout").addEventListener("click", () => app.gp.logout());
  takeProviderSignIn();
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
    showProviders().catch(showError);
  }
}

setup();

// Live operations (the SDK's client.liveops()): the banner of the live events running for me, on
// every tab, and the messages of my liveops inbox under Inbox, with their unread count (a message
// with gifts has a Claim button until it is claimed or expires). Both are drawn again whenever the server says liveops_changed (the SDK's onChange refetches
// GET /api/liveops/ and calls us when what I see changed).

import { $, button, el, fill, setBadge, showError, showInfo, time } from "./ui.js";

let app;
let liveops;
let listedUnread = null; // the unread count the message list was loaded with (null: not loaded)
const opened = new Set(); // ids of the messages whose text is shown

export function setup(theApp) {
  app = theApp;
}

export async function start() {
  liveops = app.gp.liveops();
  liveops.onChange(() => draw().catch(showError));
  // What this client is, for the flags' rules and segments ("web players"): its platform, the
  // player's language and time zone, sent at each sign-in before the flags are read.
  await liveops.setAttributes({
    platform: "web",
    custom: { locale: navigator.language || "", timezone: Intl.DateTimeFormat().resolvedOptions().timeZone || "" },
  });
  await liveops.refresh();
  await draw();
}

/** The Inbox tab was opened: its messages, as they are now. */
export async function show() {
  if (liveops) await refreshMessages();
}

async function draw() {
  drawBanner();
  const unread = liveops.messagesUnread;
  setBadge($("#badge-messages"), unread);
  setBadge($("#liveops-unread"), unread);
  // The list in view follows every change; out of view, only a changed count (a new message, one
  // read elsewhere) makes it stale, and opening the tab loads it again anyway.
  const inView = !$("[data-panel=inbox]").hidden;
  if (listedUnread !== null && (inView || unread !== listedUnread)) await refreshMessages();
}

// --- the banner ----------------------------------------------------------------------------------

function drawBanner() {
  const banner = $("#liveops-banner");
  const events = liveops.liveEvents;
  const xp = liveops.flag("xp_multiplier", 1);
  const boost = typeof xp === "number" && xp > 1 ? el("span", { class: "live-boost", title: "flag xp_multiplier" }, `XP ×${xp}`) : null;
  fill(banner, [boost, el("div", { class: "live-events" }, events.map(eventLine))]);
  banner.hidden = !boost && events.length === 0;
}

/** What the event's JSON value says to show (``{title, text}``), else its name and description. */
function wording(event) {
  const value = event.value;
  if (typeof value === "string") return { title: event.name, text: value };
  const fields = value && typeof value === "object" ? value : {};
  return { title: fields.title || event.name, text: fields.text || event.description };
}

function eventLine(event) {
  const { title, text } = wording(event);
  const explicit = event.join === "explicit";
  const action = !explicit
    ? null
    : event.joined
      ? el("span", { class: "tag joined" }, "joined")
      : button("Join", () => join(event), { class: "small join-live-event" });
  return el(
    "div",
    { class: "live-event", dataset: { eventId: event.id, joined: String(event.joined) } },
    el("strong", { class: "live-event-title" }, title),
    text ? el("span", { class: "live-event-text" }, text) : null,
    el("span", { class: "live-event-end muted", title: new Date(event.ends_at).toLocaleString() }, `until ${until(event.ends_at)}`),
    action,
  );
}

function until(iso) {
  const date = new Date(iso);
  const now = new Date();
  const clock = { hour: "2-digit", minute: "2-digit" };
  if (date.toDateString() === now.toDateString()) return date.toLocaleTimeString([], clock);
  const year = date.getFullYear() === now.getFullYear() ? {} : { year: "numeric" };
  return date.toLocaleString([], { weekday: "short", day: "numeric", month: "short", ...year, ...clock });
}

async function join(event) {
  await liveops.joinLiveEvent(event.id);
  await liveops.refresh();
  drawBanner();
}

// --- the messages --------------------------------------------------------------------------------

async function refreshMessages() {
  const unread = liveops.messagesUnread;
  const messages = await liveops.inbox();
  listedUnread = unread;
  fill(
    $("#liveops-messages"),
    messages.length ? messages.map(messageLine) : [el("li", { class: "muted" }, "No messages.")],
  );
}

function messageLine(message) {
  const open = opened.has(message.id);
  return el(
    "li",
    { class: message.read_at ? "read" : "unread", dataset: { messageId: message.id } },
    el("span", { class: "time" }, time(message.created_at)),
    el("button", { type: "button", class: "link message-open", "aria-expanded": String(open), onclick: () => toggle(message) }, message.title),
    open && message.body ? el("p", { class: "message-body" }, message.body) : null,
    message.grants ? giftLine(message) : null,
  );
}

/** ``{gold, gems, items}`` -> "100 gold, 5 gems, 2 items". */
function gifts(grants) {
  const count = grants.items.reduce((sum, item) => sum + item.quantity, 0);
  const parts = [grants.gold && `${grants.gold} gold`, grants.gems && `${grants.gems} gems`, count && `${count} item${count === 1 ? "" : "s"}`];
  return parts.filter(Boolean).join(", ");
}

function giftLine(message) {
  const expired = message.expires_at !== null && new Date(message.expires_at) <= new Date();
  const state = message.claimed_at
    ? el("span", { class: "tag claimed" }, "claimed")
    : expired
      ? el("span", { class: "tag expired" }, "expired")
      : button("Claim", () => claim(message), { class: "small claim-gift" });
  const until = message.expires_at && !message.claimed_at && !expired ? el("span", { class: "muted" }, ` (until ${time(message.expires_at)})`) : null;
  return el("div", { class: "message-gift" }, `Gift: ${gifts(message.grants)} `, until, state);
}

/** Claiming grants the gifts once (the server says already_claimed or expired otherwise) and reads the message. */
async function claim(message) {
  const body = await liveops.claim(message.id);
  showInfo(`Claimed ${gifts(body.grants)}: ${body.gold} gold, ${body.gems} gems now.`);
  await liveops.refresh();
  setBadge($("#badge-messages"), liveops.messagesUnread);
  setBadge($("#liveops-unread"), liveops.messagesUnread);
  await refreshMessages();
}

/** Opening a message shows its text and marks it read (the count goes down at once). */
async function toggle(message) {
  try {
    if (opened.has(message.id)) opened.delete(message.id);
    else opened.add(message.id);
    if (!message.read_at && opened.has(message.id)) {
      await liveops.markRead(message.id);
      await liveops.refresh();
      setBadge($("#badge-messages"), liveops.messagesUnread);
      setBadge($("#liveops-unread"), liveops.messagesUnread);
    }
    await refreshMessages();
  } catch (error) {
    showError(error);
  }
}

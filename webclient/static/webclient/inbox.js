// Invites (game, lobby, party), persisted notifications and DM conversations.

import { $, button, el, fill, showError, showInfo, time } from "./ui.js";
import { notificationTitle } from "./words.js";

let app;

const INVITE_EVENTS = ["invite_created", "invite_accepted", "invite_declined", "invite_cancelled", "invite_expired"];

export function setup(theApp) {
  app = theApp;
  for (const type of INVITE_EVENTS) app.on(type, (frame) => onInviteEvent(type, frame.invite));
  app.on("invites_changed", () => refreshInvites().catch(showError));
  app.on("notification", () => refreshNotifications().catch(showError));
  app.on("dm_received", () => refreshConversations().catch(showError));
  $("#notifications-read").addEventListener("click", async () => {
    try {
      await app.gp.post("/api/notifications/read/", { all: true });
      await refreshNotifications();
    } catch (error) {
      showError(error);
    }
  });
}

export async function start() {
  await refreshInvites();
}

export async function show() {
  await Promise.all([refreshInvites(), refreshNotifications(), refreshConversations()]);
}

function describe(invite) {
  if (invite.kind === "game") return `a game of ${invite.mode || "tictactoe"}`;
  if (invite.kind === "lobby") return `lobby ${invite.lobby_id}`;
  return `party ${invite.party_id ?? ""}`.trim();
}

function onInviteEvent(type, invite) {
  if (!invite) return;
  const mine = invite.from_user?.id === app.me.id;
  if (type === "invite_created" && !mine) showInfo(`${invite.from_user.username} invites you to ${describe(invite)}: see Inbox.`);
  if (type === "invite_accepted" && mine) {
    showInfo(`${invite.to_user.username} accepted your invite.`);
    if (invite.game_id) app.emit("open_game", { game_id: invite.game_id });
  }
  if (type === "invite_declined" && mine) showInfo(`${invite.to_user.username} declined your invite.`);
  if (type === "invite_expired") showInfo(`An invite to ${describe(invite)} expired.`);
  refreshInvites().catch(showError);
}

async function refreshInvites() {
  const [inbox, sent] = await Promise.all([app.gp.all("/api/invites/?box=inbox"), app.gp.all("/api/invites/?box=sent")]);
  fill(
    $("#invite-list"),
    inbox.length
      ? inbox.map((invite) =>
          el(
            "li",
            { dataset: { inviteId: invite.id } },
            `${invite.from_user.username} invites you to ${describe(invite)} `,
            el("span", { class: "muted" }, `(until ${time(invite.expires_at)}) `),
            button("Accept", () => accept(invite), { class: "small accept-invite" }),
            button("Decline", () => app.gp.post(`/api/invites/${invite.id}/decline/`).then(refreshInvites), { class: "small" }),
          ),
        )
      : [el("li", { class: "muted" }, "No pending invites.")],
  );
  fill(
    $("#invite-sent"),
    sent.length
      ? sent.map((invite) =>
          el(
            "li",
            { dataset: { inviteId: invite.id } },
            `To ${invite.to_user.username}: ${describe(invite)} `,
            button("Cancel", () => app.gp.post(`/api/invites/${invite.id}/cancel/`).then(refreshInvites), { class: "small" }),
          ),
        )
      : [el("li", { class: "muted" }, "Nothing sent.")],
  );
}

async function accept(invite) {
  const body = await app.gp.post(`/api/invites/${invite.id}/accept/`);
  await refreshInvites();
  if (body.game_id) app.emit("open_game", { game_id: body.game_id });
  else if (body.lobby_id) app.emit("open_lobby", { lobby_id: body.lobby_id });
  else showInfo("Invite accepted.");
}

async function refreshNotifications() {
  const page = await app.gp.get("/api/notifications/");
  fill(
    $("#notification-list"),
    page.results.length
      ? page.results.map((n) =>
          el(
            "li",
            { class: n.read ? "read" : "unread", dataset: { notificationId: n.id } },
            el("span", { class: "time" }, time(n.created_at)),
            el("strong", {}, notificationTitle(n.kind)),
            " ",
            el("span", { class: "muted" }, summary(n)),
          ),
        )
      : [el("li", { class: "muted" }, "Nothing yet.")],
  );
}

function summary(notification) {
  const { payload } = notification;
  if (payload?.invite) return `from ${payload.invite.from_user.username}: ${describe(payload.invite)}`;
  if (payload?.request) return `from ${payload.request.from_user?.username || ""}`;
  if (payload?.user) return payload.user.username;
  if (payload?.from_user) return `from ${payload.from_user.display_name || payload.from_user.username}`;
  return "";
}

async function refreshConversations() {
  const page = await app.gp.get("/api/dm/");
  fill(
    $("#conversation-list"),
    page.results.length
      ? page.results.map((c) =>
          el(
            "li",
            { dataset: { userId: c.user.id } },
            el("strong", {}, c.user.username),
            c.unread_count ? el("span", { class: "badge" }, String(c.unread_count)) : null,
            " ",
            el("span", { class: "muted" }, c.last_message ? c.last_message.content.slice(0, 60) : ""),
            " ",
            button("Open", () => app.emit("open_dm", { user: c.user }), { class: "small" }),
          ),
        )
      : [el("li", { class: "muted" }, "No conversations.")],
  );
}

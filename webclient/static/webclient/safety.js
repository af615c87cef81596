// Player safety on the page: a Report action (a small form: the reason and a comment) where other
// players show (lobby members and messages, group messages, direct messages, friends, a game's
// players), and the sanction banner: what was imposed, why (the staff's statement) and until
// when, shown when a `sanction` notification arrives or a call is refused `muted` /
// `account_suspended`. A locked account (suspended or banned) cannot log in: its banner takes
// the appeal there and then, with the appeal token the refusal carried (no login needed), and
// the page offers no "Play as guest" under it. World
// chat has no Report: its frames name a character, not the player behind it.

import { $, el, fill, onSubmit } from "./ui.js";

let app;

const REASONS = [
  ["harassment", "Harassment"],
  ["hate", "Hate"],
  ["spam", "Spam"],
  ["cheating", "Cheating"],
  ["inappropriate_name", "Inappropriate name"],
  ["other", "Other"],
];
const ACTIONS = { warn: "Warning", mute: "Muted", suspend: "Account suspended", ban: "Account banned" };

export function setup(appRef) {
  app = appRef;
  app.on("notification", (frame) => {
    if (frame.kind === "sanction") showNotice(frame.payload);
  });
  // ui.js's showError tells of every refusal; these two are a sanction's.
  document.addEventListener("gameplatform:refused", (event) => {
    const error = event.detail;
    if (error.code === "muted") showSanction({ action: "mute", statement: "", until: error.until });
    if (error.code === "account_suspended") showLock(error);
  });
}

export async function start() {
  // A locked account's notification socket closes 4403 saying why (the error frame before the close).
  app.sockets.notifications?.on("close", (why) => why.error?.code === "account_suspended" && showLock(why.error));
}

/**
 * A "Report" button for `user` ({id, username}) that opens a small form beside it; `context` says
 * where it happened ({lobbyId}, {gameId}, {groupId}, {dmUserId}). After sending: "Reported".
 */
export function reportAction(user, context = {}) {
  const box = el("span", { class: "report", dataset: { reportUser: user.id } });
  const open = el("button", { type: "button", class: "small report-open", title: `Report ${user.username}` }, "Report");
  open.addEventListener("click", () => fill(box, [reportForm(user, context, box)]));
  box.append(open);
  return box;
}

function reportForm(user, context, box) {
  const form = el(
    "form",
    { class: "report-form" },
    el("select", { name: "reason", "aria-label": "Reason" }, ...REASONS.map(([value, label]) => el("option", { value }, label))),
    el("input", { name: "comment", maxlength: "1000", placeholder: `What did ${user.username} do? (optional)`, autocomplete: "off" }),
    el("button", { type: "submit", class: "small" }, "Send report"),
  );
  const cancel = el("button", { type: "button", class: "small" }, "Cancel");
  cancel.addEventListener("click", () => fill(box, [reportAction(user, context)]));
  form.append(cancel);
  onSubmit(form, async ({ reason, comment }) => {
    await app.gp.report({ userId: user.id, reason, comment: comment.trim(), context });
    fill(box, [el("span", { class: "muted reported" }, "Reported")]);
  });
  return form;
}

function showNotice({ event, sanction }) {
  if (event === "lifted") {
    const title = `${ACTIONS[sanction.action] || sanction.action}: lifted by the moderators.`;
    return showSanction({ action: sanction.action, statement: sanction.lift_statement, title });
  }
  if (event === "appeal_decided") {
    const decided = sanction.appeal?.status === "reversed" ? "Your appeal was upheld: the sanction is lifted." : "Your appeal was decided: the sanction stands.";
    return showSanction({ action: sanction.action, statement: sanction.appeal?.statement || sanction.statement, until: sanction.ends_at, title: decided });
  }
  const until = sanction.action === "warn" ? undefined : sanction.ends_at;
  showSanction({ action: sanction.action, statement: sanction.statement, until });
}

function showLock(error) {
  // No way back as a guest: the server makes none on this browser while the lock holds (403
  // account_suspended), so the page offers none under the banner.
  $("#guest-offer").hidden = true;
  app.emit("account_locked", error); // game.js: the running game was forfeited on the server
  if (error.sanctionId === null) {
    // A socket closed as the lock is imposed says only that (no end, no sanction): the `sanction`
    // notification beside it tells what, why and until when, so it never takes that banner's place.
    if ($("#sanction-banner").hidden) showSanction({ action: "suspend", statement: error.detail });
    return;
  }
  const action = error.until ? "suspend" : "ban";
  showSanction({ action, statement: error.statement, until: error.until, appeal: error.appealToken ? error : null });
}

/** The banner: the action, the statement, its end ("no end"), and for a locked account the appeal. */
function showSanction({ action, statement, until, title = "", appeal = null }) {
  const banner = $("#sanction-banner");
  const end = until === undefined ? null : until ? `Until ${new Date(until).toLocaleString()}` : "No end";
  const parts = [
    el("strong", { class: "sanction-action" }, title || ACTIONS[action] || action),
    statement ? el("p", { class: "sanction-statement" }, statement) : null,
    end ? el("p", { class: "sanction-end" }, end) : null,
    appeal ? appealForm(appeal) : null,
    closeButton(banner),
  ];
  fill(banner, parts);
  banner.dataset.action = action;
  banner.hidden = false;
}

function appealForm(lock) {
  const form = el(
    "form",
    { class: "appeal-form" },
    el("label", {}, "Appeal (once, within 180 days) ", el("textarea", { name: "text", maxlength: "2000", required: true, rows: "3" })),
    el("button", { type: "submit" }, "Send appeal"),
  );
  onSubmit(form, async ({ text }) => {
    await app.gp.appeal(lock.sanctionId, text.trim(), { appealToken: lock.appealToken });
    form.replaceWith(el("p", { class: "appeal-sent" }, "Appeal sent: staff will decide, and you will be told."));
  });
  return form;
}

function closeButton(banner) {
  const button = el("button", { type: "button", class: "small", title: "Hide" }, "Hide");
  button.addEventListener("click", () => (banner.hidden = true));
  return button;
}

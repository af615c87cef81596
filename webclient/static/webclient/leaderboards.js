// Leaderboards: every board, its top, the rows around my record and the last period's archive.

import { $, button, el, fill, onSubmit, showError, showInfo } from "./ui.js";

let app;
let current = null; // the board shown
let view = "top"; // top | around | previous

const OPERATORS = { best: "your best score counts", set: "your latest score counts", incr: "your scores add up" };

export function setup(theApp) {
  app = theApp;
  $("#board-top").addEventListener("click", () => showRows("top").catch(showError));
  $("#board-around").addEventListener("click", () => showRows("around").catch(showError));
  $("#board-previous").addEventListener("click", () => showRows("previous").catch(showError));
  onSubmit(
    $("#board-score-form"),
    async ({ score }) => {
      const mine = await app.gp.writeRecord(current.id, Number(score));
      showInfo(`Your record: ${mine.score}, rank ${mine.rank}.`);
      await showRows("around");
    },
    { reset: true },
  );
}

export async function show() {
  const boards = await app.gp.listLeaderboards();
  fill(
    $("#board-list"),
    boards.length
      ? boards.map((board) =>
          el("li", { dataset: { board: board.id } }, button(board.id, () => open(board), { class: "link open-board" })),
        )
      : [el("li", { class: "muted" }, "No leaderboards yet.")],
  );
  if (current) await showRows(view);
}

export function describe(board) {
  const order = board.sort === "asc" ? "lowest first" : "highest first";
  const reset = board.reset ? `, starts over on schedule (${board.reset}, UTC)` : "";
  const who = board.authoritative ? "; scores come from games only" : "";
  return `${order}, ${OPERATORS[board.operator] || board.operator}${reset}${who}.`;
}

async function open(board) {
  current = board;
  $("#board-view").hidden = false;
  $("#board-view").dataset.board = board.id;
  $("#board-title").textContent = board.id;
  $("#board-about").textContent = describe(board);
  $("#board-score-form").hidden = board.authoritative && !app.me.is_staff;
  $("#board-previous").hidden = !board.reset;
  await showRows("top");
}

export function rankRows(rows, meId, { since = true } = {}) {
  if (!rows.length) return [el("tr", {}, el("td", { colspan: since ? 4 : 3, class: "muted" }, "No scores yet."))];
  return rows.map((row) =>
    el(
      "tr",
      { class: row.user.id === meId ? "me" : null, dataset: { rank: row.rank, username: row.user.username } },
      el("td", {}, `#${row.rank}`),
      el("td", {}, row.user.username),
      el("td", { class: "score" }, String(row.score)),
      since ? el("td", { class: "muted" }, new Date(row.updated_at).toLocaleString()) : null,
    ),
  );
}

async function showRows(which) {
  view = which;
  const rows = await app.gp.leaderboardRecords(current.id, {
    limit: 20,
    aroundMe: which === "around",
    period: which === "previous" ? "previous" : null,
  });
  $("#board-view").dataset.view = which;
  fill($("#board-rows"), rankRows(rows, app.me.id));
}

// Tournaments: the list, joining (the entry fee is paid once), rewards and standings.

import { rankRows } from "./leaderboards.js";
import { $, button, el, fill, onSubmit, showError, showInfo } from "./ui.js";

let app;
let current = null;

const STATUS = { upcoming: "not started yet", open: "open", paying: "over, rewards on their way", ended: "ended" };

export function setup(theApp) {
  app = theApp;
  app.on("notification", (frame) => {
    if (frame.kind !== "tournament_ended") return;
    const { title, tournament, rank, gold } = frame.payload;
    const place = rank ? `you placed #${rank}` : "you had no score";
    showInfo(`${title || tournament} is over: ${place}${gold ? `, +${gold} gold` : ""}.`);
    show().catch(showError);
  });
  onSubmit(
    $("#tournament-score-form"),
    async ({ score }) => {
      const mine = await app.gp.writeRecord(current, Number(score));
      showInfo(`Your tournament record: ${mine.score}, rank ${mine.rank}.`);
      await open(current);
    },
    { reset: true },
  );
}

export async function show() {
  const tournaments = await app.gp.listTournaments();
  fill(
    $("#tournament-list"),
    tournaments.length
      ? tournaments.map((t) =>
          el(
            "li",
            { dataset: { tournament: t.id, status: t.status, joined: t.joined ? "1" : "0" } },
            button(t.title || t.id, () => open(t.id), { class: "link open-tournament" }),
            el("span", { class: "muted" }, ` ${STATUS[t.status]}, ${t.entry_count}${t.max_entries ? `/${t.max_entries}` : ""} in `),
            t.joined
              ? el("span", { class: "joined" }, "joined")
              : t.status === "open" || t.status === "upcoming"
                ? button(t.entry_fee ? `Join (${t.entry_fee} gold)` : "Join", () => join(t), { class: "small join-tournament" })
                : null,
          ),
        )
      : [el("li", { class: "muted" }, "No tournaments yet.")],
  );
  if (current) await open(current);
}

async function join(tournament) {
  await app.gp.joinTournament(tournament.id);
  showInfo(`You joined ${tournament.title || tournament.id}.`);
  current = tournament.id;
  await show();
}

function reward(r) {
  const places = r.rank_from === r.rank_to ? `#${r.rank_from}` : `#${r.rank_from} to #${r.rank_to}`;
  return el("li", {}, `${places}: ${r.gold} gold`);
}

async function open(id) {
  current = id;
  const [t, rows] = await Promise.all([
    app.gp.getTournament(id),
    app.gp.leaderboardRecords(id, { limit: 20 }),
  ]);
  const view = $("#tournament-view");
  view.hidden = false;
  view.dataset.tournament = id;
  $("#tournament-title").textContent = t.title || t.id;
  const ends = new Date(t.end).toLocaleString();
  $("#tournament-about").textContent =
    `${STATUS[t.status]}; until ${ends}. Entry fee: ${t.entry_fee ? `${t.entry_fee} gold` : "free"}.` +
    (t.joined ? " You are in: scores you submit on its board count." : "");
  $("#tournament-score-form").hidden = !(t.joined && t.status === "open");
  fill($("#tournament-rewards"), t.rewards.length ? t.rewards.map(reward) : [el("li", { class: "muted" }, "No rewards.")]);
  fill($("#tournament-rows"), rankRows(rows, app.me.id, { since: false }));
}

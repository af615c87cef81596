// Live games: the running games the server lists (GET /api/game/rooms/), refreshed while the Play
// tab is open, each with a Watch button that opens it in the game panel as a spectator (the
// spectators' view on WS /ws/game/{id}/?watch=1, drawn by game.js's renderers, read-only), and a
// Join button where the game still takes players.

import { modeTitle, openGame, watchGame } from "./game.js";
import { $, button, el, fill, showError } from "./ui.js";

const REFRESH_MS = 5000;
const PHASES = { waiting_for_players: "waiting for players", waiting_for_ready: "getting ready", active: "playing" };

let app;
let timer = null;

export function setup(theApp) {
  app = theApp;
}

/** The Play tab was opened: list now, then again every few seconds while it stays open. */
export async function show() {
  if (timer === null) timer = setInterval(() => visible() && refresh().catch(() => {}), REFRESH_MS);
  await refresh();
}

function visible() {
  return Boolean(app.me) && !$("[data-panel=play]").hidden && document.visibilityState === "visible";
}

async function refresh() {
  const body = await app.gp.get("/api/game/rooms/");
  const rooms = Array.isArray(body) ? body : body.results;
  $("#live-games-none").hidden = rooms.length > 0;
  fill($("#live-games"), rooms.map(row));
}

function row(room) {
  const mine = room.players.some((p) => p.id === app.me.id);
  const watching = room.spectators ? ` · ${room.spectators} watching` : "";
  return el(
    "li",
    { dataset: { gameId: room.id, mode: room.mode } },
    `#${room.id} ${modeTitle(room.mode)}: ${room.players.map((p) => p.username).join(" vs ") || "nobody yet"} · ${PHASES[room.phase] || room.phase}${watching} `,
    mine ? button("Open", () => openGame(room.id), { class: "small" }) : button("Watch", () => watch(room.id), { class: "small", dataset: { watch: room.id } }),
    room.open && !mine ? button("Join", () => join(room.id).catch(showError), { class: "small" }) : null,
  );
}

function watch(gameId) {
  app.showTab("play");
  watchGame(gameId);
}

async function join(gameId) {
  const { game_id: joined } = await app.gp.post(`/api/game/rooms/${gameId}/join/`);
  openGame(joined);
}

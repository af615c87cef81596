// The queue and the tic-tac-toe board. The game in progress survives a reload: on start the
// client looks for an unfinished game of the player (GET /api/games/) and reconnects to it;
// the server keeps the seat for RECONNECT_GRACE_SECONDS and resends the full game_state.

import { $, $$, button, el, fill, showError, showInfo, time } from "./ui.js";

let app;
let current = null; // {id, socket, state}
const FINISHED = new Set(["finished", "abandoned"]);
const MARKS = { left: "X", right: "O" };

export function setup(theApp) {
  app = theApp;
  $("#queue-join").addEventListener("click", () => joinQueue().catch(showError));
  $("#queue-leave").addEventListener("click", () => leaveQueue().catch(showError));
  $("#game-ready").addEventListener("click", () => current?.socket.send("player_ready"));
  $("#game-forfeit").addEventListener("click", () => {
    if (current && window.confirm("Give up this game?")) current.socket.send("forfeit");
  });
  $("#game-close").addEventListener("click", closeGame);
  for (const cell of $$("#board .cell")) cell.addEventListener("click", () => play(Number(cell.dataset.cell)));
  app.on("match_found", (frame) => {
    showInfo("Match found!");
    renderQueue({ status: "matched", game_id: frame.game_id });
    openFromEvent(frame.game_id);
  });
  app.on("open_game", (frame) => openFromEvent(frame.game_id));
}

function openFromEvent(gameId) {
  app.showTab("play");
  openGame(gameId);
}

export async function start() {
  const [status, games] = await Promise.all([app.gp.get("/api/matchmaking/status/"), app.gp.get("/api/games/")]);
  renderQueue(status);
  const running = games.results.find((g) => !FINISHED.has(g.state));
  if (running) {
    openGame(running.id);
    if (!location.hash || location.hash === "#") app.showTab("play");
  }
}

export async function show() {
  const [status, games, board] = await Promise.all([
    app.gp.get("/api/matchmaking/status/"),
    app.gp.get("/api/games/"),
    app.gp.get("/api/leaderboard/?mode=tictactoe"),
  ]);
  renderQueue(status);
  fill(
    $("#game-history"),
    games.results.slice(0, 10).map((g) =>
      el(
        "li",
        { dataset: { gameId: g.id } },
        `#${g.id} ${g.players.map((p) => p.username).join(" vs ")} · ${outcomeText(g)} `,
        FINISHED.has(g.state) || current?.id === g.id ? null : button("Open", () => openGame(g.id), { class: "small" }),
      ),
    ),
  );
  fill(
    $("#leaderboard"),
    board.results.slice(0, 10).map((row) => el("li", {}, `${row.user.username}: ${row.rating} (${row.wins}W ${row.losses}L ${row.draws}D)`)),
  );
}

function outcomeText(game) {
  if (!FINISHED.has(game.state)) return game.state.replaceAll("_", " ");
  if (game.reason === "draw") return "draw";
  if (game.state === "abandoned") return "abandoned";
  const winner = game.players.find((p) => p.id === game.winner_id);
  return winner ? `${winner.username} won (${game.reason})` : game.reason || "finished";
}

function renderQueue(status) {
  const queued = status.status === "queued";
  $("#queue-status").textContent = queued ? `In the queue (position ${status.position ?? "?"}).` : status.status === "matched" ? `In game ${status.game_id}.` : "Not queued.";
  $("#queue-join").hidden = queued || status.status === "matched"; // one unfinished game at a time
  $("#queue-leave").hidden = !queued;
  if (status.status === "matched" && status.game_id && current?.id !== status.game_id) openGame(status.game_id);
}

async function joinQueue() {
  const body = await app.gp.post("/api/matchmaking/join/", { mode: "tictactoe" });
  if (body.status === "matched") {
    renderQueue({ status: "matched", game_id: body.game_id }); // opens the game
  } else {
    renderQueue(body);
  }
}

async function leaveQueue() {
  try {
    await app.gp.post("/api/matchmaking/leave/");
  } catch (error) {
    if (error.code !== "not_queued") throw error;
  }
  renderQueue({ status: "idle" });
}

function openGame(gameId) {
  if (current?.id === gameId) return;
  current?.socket.close();
  const socket = app.gp.socket(`/ws/game/${gameId}/`);
  current = { id: gameId, socket, state: null };
  // Frames still in flight from a game we closed are dropped.
  const on = (type, fn) => socket.on(type, (frame) => current?.socket === socket && fn(frame));
  $("#game-panel").hidden = false;
  $("#game-panel").dataset.gameId = gameId;
  $("#game-title").textContent = `Game ${gameId}`;
  $("#game-log").replaceChildren();
  log("Connecting…");
  on("open", () => log("Connected."));
  on("game_state", (frame) => {
    current.state = frame;
    render();
  });
  on("player_ready", (frame) => log(`${name(frame.user_id)}: ready.`));
  on("game_start", () => {
    log("The game starts.");
    show().catch(() => {});
  });
  on("player_disconnected", (frame) => log(`${name(frame.user_id)} lost the connection…`));
  on("player_reconnected", (frame) => log(`${name(frame.user_id)} is back.`));
  on("forfeit", (frame) => log(`${name(frame.user_id)} gave up.`));
  on("game_over", (frame) => {
    const winner = frame.winner_id === app.me.id ? "you win" : frame.winner_id ? `${name(frame.winner_id)} wins` : "";
    log(`Game over: ${frame.reason}${winner ? `, ${winner}` : ""}.`);
    show().catch(() => {});
  });
  on("error", showError);
  on("status", (status) => {
    $("#game-panel").dataset.connection = status;
    if (status === "reconnecting") log("Connection lost, reconnecting…");
  });
  on("close", ({ code, final }) => {
    if (final && code === 4409) log("This game was opened in another window.");
    else if (final && code !== 1000) log(`Disconnected (${code}).`);
  });
}

function closeGame() {
  current?.socket.close();
  current = null;
  $("#game-panel").hidden = true;
}

function name(userId) {
  if (userId === app.me.id) return "You";
  return current?.state?.players.find((p) => p.id === userId)?.username || `player ${userId}`;
}

function log(text) {
  const list = $("#game-log");
  list.prepend(el("li", {}, el("span", { class: "time" }, time(new Date().toISOString())), text));
}

function play(cell) {
  const state = current?.state;
  if (!state || state.state !== "active" || state.turn !== app.me.id || state.board?.[cell]) return;
  current.socket.send("player_move", { movement: { cell } });
}

function render() {
  const state = current.state;
  const me = state.players.find((p) => p.id === app.me.id);
  const finished = FINISHED.has(state.state);
  $("#game-panel").dataset.state = state.state;
  $("#game-players").textContent = state.players
    .map((p) => `${p.username} (${MARKS[p.side] || p.side})${p.connected ? "" : " · away"}${p.ready ? "" : " · not ready"}`)
    .join("  vs  ");
  const board = state.board || Array(9).fill(null);
  for (const cell of $$("#board .cell")) {
    const mark = board[Number(cell.dataset.cell)];
    cell.textContent = mark || "";
    cell.disabled = finished || state.state !== "active" || state.turn !== app.me.id || Boolean(mark);
  }
  $("#board").dataset.turn = state.turn === app.me.id ? "mine" : "theirs";
  $("#game-ready").hidden = !me || me.ready || state.state === "active" || finished;
  $("#game-forfeit").hidden = finished || !me;
  $("#game-close").hidden = !finished;
  $("#game-status").textContent = statusText(state, me);
}

function statusText(state, me) {
  if (state.state === "waiting_for_players") return "Waiting for both players to connect…";
  if (state.state === "waiting_for_ready") return me?.ready ? "Waiting for your opponent to get ready…" : "Press “I'm ready” to start.";
  if (state.state === "active") return state.turn === app.me.id ? `Your turn (${MARKS[me?.side] || "?"}).` : "Opponent's turn…";
  if (state.state === "abandoned") return "The game was abandoned.";
  if (state.reason === "draw") return "Draw.";
  if (state.winner_id === app.me.id) return `You won (${state.reason})!`;
  return `You lost (${state.reason}).`;
}

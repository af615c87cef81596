// The queue and the game in progress: tic-tac-toe's board, battleship's two grids, the arena's
// canvas; any other mode (a studio's own) in a generic panel: the player's view as JSON and forms
// built from the schemas the mode declares (GET /api/game/modes/ `messages`), and its public timers
// counting down (`timers` in game_state and state_patch). And the common
// parts (players, whose turn, the turn clock, the room's events). The
// game runs through the SDK's GameRoom: a full game_state on connect, then state_patch frames
// applied to the player's view. The game in progress survives a reload: on start the client
// looks for an unfinished game of the player (GET /api/games/) and reconnects to it; the server
// keeps the seat for RECONNECT_GRACE_SECONDS and resends the full game_state.
// A player who leaves a game by the server's hand (a suspension or a ban forfeits their running
// game; staff may remove them from it) sees it at once: their socket closes 4403 saying why, and
// a locked account can read nothing more, so the panel and "My games" say it themselves.
// The same panel and renderers show a game watched as a spectator (watch.js) and a finished game
// played again (replay.js), read-only: ``showRoom(room, {kind})`` takes any object shaped like the
// SDK's GameRoom.

import { reportAction } from "./safety.js";
import { $, $$, button, el, fill, showError, showInfo, time } from "./ui.js";
import { closeText, outcome, outcomeShort } from "./words.js";

let app;
let current = null; // {id, room, kind, left}: kind "play", "watch" (a spectator) or "replay"; left: why I left it
// The games I left by the server's hand (game id -> what to say), shown so by "My games".
const leftGames = new Map();
// Why the server ended my part in a game: the code of the error before its socket closed 4403.
const LEFT_BY = {
  account_suspended: "Your account is suspended: you left this game by forfeit.",
  not_a_player: "Staff removed you from this game: you left it by forfeit.",
};
let modes = []; // GET /api/game/modes/
// The public timers of the game on screen: {name: seconds left} as the last frame that carried
// them said, and when it came (performance.now()); counted down from there.
let timers = { left: {}, at: 0 };
const FINISHED = new Set(["finished", "abandoned"]);
const MARKS = { left: "X", right: "O" };
const KEEP_FRAMES = 5000; // the text of the frames received, for the console and the browser tests
// Game sockets carry a patch every tick: compact frames (the gameplatform.compact subprotocol:
// MessagePack with short decimals and relative patch paths) are a fraction of JSON text, and the
// room hands the page the same objects.
const GAME_SOCKET = { keepFrames: KEEP_FRAMES, encoding: "compact" };
const DRAWN = new Set(["tictactoe", "battleship", "arena"]); // the modes with a page of their own here
const COLORS = ["#2f5bd3", "#c0392b", "#1a9a52", "#8e44ad", "#d35400", "#16a0a0", "#b7950b", "#5d6d7e"];

export function setup(theApp) {
  app = theApp;
  $("#queue-join").addEventListener("click", () => joinQueue().catch(showError));
  $("#queue-leave").addEventListener("click", () => leaveQueue().catch(showError));
  $("#queue-mode").addEventListener("change", () => {
    describeMode();
    show().catch(showError);
  });
  $("#game-ready").addEventListener("click", () => current?.room.ready());
  $("#game-forfeit").addEventListener("click", () => {
    if (current && window.confirm("Give up this game?")) current.room.forfeit();
  });
  $("#game-close").addEventListener("click", closeGame);
  $("#game-replay").addEventListener("click", () => current && app.emit("open_replay", { game_id: current.id }));
  for (const cell of $$("#board .cell")) cell.addEventListener("click", () => play(Number(cell.dataset.cell)));
  battleship.setup();
  arena.setup();
  setInterval(() => {
    renderClock();
    renderTimers();
  }, 250);
  app.on("match_found", (frame) => {
    // The SDK also announces, on every (re)connect, a match it has not announced: after a reload
    // that is often the game this page already reopened.
    if (current?.id === frame.game_id) return;
    showInfo("Match found!");
    renderQueue({ status: "matched", game_id: frame.game_id });
    openFromEvent(frame.game_id);
  });
  app.on("match_cancelled", () => {
    // A player of the match never came: the server queued me again with my wait; match_found follows.
    showInfo("The other player did not come: back in the queue.");
    show().catch(showError);
  });
  app.on("open_game", (frame) => openFromEvent(frame.game_id));
  // A locked account (safety.js's banner): its running games were forfeited on the server.
  app.on("account_locked", () => {
    // The server took the player out of the queue too, and lets them join none.
    $("#queue-status").textContent = "No games while the account is suspended or banned.";
    $("#queue-join").hidden = $("#queue-leave").hidden = true;
    for (const item of $$("#game-history li[data-state]")) leftGame(Number(item.dataset.gameId), LEFT_BY.account_suspended);
    if (current?.kind === "play") leftGame(current.id, LEFT_BY.account_suspended);
  });
}

/** Say that I left game ``gameId`` by the server's hand (``why``): its panel, if open, ends my part
 * (no Forfeit, a Close), and "My games" shows it forfeited. */
function leftGame(gameId, why) {
  if (leftGames.has(gameId)) return;
  leftGames.set(gameId, why);
  if (current?.id === gameId && current.kind === "play") {
    current.left = why;
    log(why);
    if (current.room.game) render();
  }
  const item = $(`#game-history li[data-game-id="${gameId}"][data-state]`);
  if (item) {
    item.querySelector(".outcome").textContent = "forfeited";
    item.querySelector(".open-game")?.remove();
    delete item.dataset.state;
  }
}

function openFromEvent(gameId) {
  app.showTab("play");
  openGame(gameId);
}

export async function start() {
  const [status, games] = await Promise.all([app.gp.get("/api/matchmaking/status/"), app.gp.get("/api/games/"), loadModes()]);
  renderQueue(status);
  const running = games.results.find((g) => !FINISHED.has(g.state));
  if (running) {
    openGame(running.id);
    if (!location.hash || location.hash === "#") app.showTab("play");
  }
}

async function loadModes() {
  try {
    modes = await app.gp.all("/api/game/modes/");
  } catch (error) {
    showError(error);
    return;
  }
  const select = $("#queue-mode");
  const chosen = select.value;
  fill(
    select,
    modes.map((m) => el("option", { value: m.name }, m.title || m.name)),
  );
  if (modes.some((m) => m.name === chosen)) select.value = chosen;
  describeMode();
}

function describeMode() {
  const mode = modes.find((m) => m.name === $("#queue-mode").value);
  if (!mode) return;
  const players = mode.min_players === mode.max_players ? `${mode.min_players} players` : `${mode.min_players}–${mode.max_players} players`;
  // A mode says whether it keeps turns only in its games (`turn` in game_state): a mode with no
  // ticks and no turn clock may be played turn by turn or by everyone at once.
  const pace = mode.tick_rate ? `real time, ${mode.tick_rate} updates a second` : mode.turn_seconds ? `${mode.turn_seconds} s a turn` : "not real time";
  const fill = mode.max_players > 2 ? " The queue starts a full game at once, a smaller one after a short wait for more." : "";
  $("#queue-mode-about").textContent = `${mode.description} (${players}; ${pace}.)${fill}`;
}

export async function show() {
  const mode = $("#queue-mode").value || "tictactoe";
  const [status, games, board] = await Promise.all([
    app.gp.get("/api/matchmaking/status/"),
    app.gp.get("/api/games/"),
    app.gp.get(`/api/leaderboard/?mode=${encodeURIComponent(mode)}`),
  ]);
  renderQueue(status);
  fill(
    $("#game-history"),
    games.results.slice(0, 10).map((g) =>
      historyItem(g),
    ),
  );
  fill(
    $("#leaderboard"),
    board.results.slice(0, 10).map((row) => el("li", {}, `${row.user.username}: ${row.rating} (${row.wins}W ${row.losses}L ${row.draws}D)`)),
  );
}

/** A line of "My games": an unfinished game (``data-state``) I have not left says its state. */
function historyItem(g) {
  const finished = FINISHED.has(g.state);
  const left = !finished && leftGames.has(g.id);
  return el(
    "li",
    { dataset: finished || left ? { gameId: g.id } : { gameId: g.id, state: g.state } },
    `#${g.id} ${modeTitle(g.mode)}: ${g.players.map((p) => p.username).join(" vs ")} · `,
    el("span", { class: "outcome" }, left ? "forfeited" : outcomeText(g)),
    " ",
    finished ? button("Replay", () => app.emit("open_replay", { game_id: g.id }), { class: "small" }) : null,
    finished || left || playing(g.id) ? null : button("Open", () => openGame(g.id), { class: "small open-game" }),
  );
}

/** The mode as GET /api/game/modes/ lists it (undefined: not listed). */
export function modeInfo(name) {
  return modes.find((m) => m.name === name);
}

export function modeTitle(name) {
  return modes.find((m) => m.name === name)?.title || name || "game";
}

function outcomeText(game) {
  if (!FINISHED.has(game.state)) return game.state.replaceAll("_", " ");
  if (game.state === "abandoned") return "abandoned";
  const winner = game.players.find((p) => p.id === game.winner_id);
  return outcomeShort(game.reason, winner?.username);
}

function renderQueue(status) {
  const queued = status.status === "queued";
  const what = queued && status.mode ? ` for ${modeTitle(status.mode)}` : "";
  $("#queue-status").textContent = queued ? `In the queue${what} (position ${status.position ?? "?"}).` : status.status === "matched" ? `In game ${status.game_id}.` : "Not queued.";
  $("#queue-join").hidden = queued || status.status === "matched"; // one unfinished game at a time
  $("#queue-leave").hidden = !queued;
  $("#queue-mode").disabled = queued || status.status === "matched";
  if (status.status === "matched" && status.game_id && current?.id !== status.game_id) openGame(status.game_id);
}

async function joinQueue() {
  const body = await app.gp.post("/api/matchmaking/join/", { mode: $("#queue-mode").value || "tictactoe" });
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

function playing(gameId) {
  return current?.id === gameId && current.kind === "play";
}

export function openGame(gameId) {
  if (playing(gameId)) return;
  showRoom(app.gp.gameRoom(gameId, GAME_SOCKET));
}

/** Game ``gameId`` watched as a spectator: the spectators' view, read-only. */
export function watchGame(gameId) {
  if (current?.id === gameId && current.kind === "watch") return;
  showRoom(app.gp.gameRoom(gameId, { ...GAME_SOCKET, watch: true }), { kind: "watch" });
}

/** Whether the panel shows a game this page only looks at (watched, or played again). */
function readOnly() {
  return current?.kind !== "play";
}

/** Shows ``room`` in the game panel: a GameRoom, or anything with its shape (replay.js's). */
export function showRoom(room, { kind = "play" } = {}) {
  const gameId = room.gameId;
  closeRoom();
  current = { id: gameId, room, kind };
  app.room = room; // for the console: gameplatform.room.view
  // Frames still in flight from a game we closed are dropped.
  const on = (type, fn) => room.on(type, (frame) => current?.room === room && fn(frame));
  $("#game-panel").hidden = false;
  $("#game-panel").dataset.gameId = gameId;
  $("#game-panel").dataset.kind = kind;
  delete $("#game-panel").dataset.mode;
  delete $("#game-panel").dataset.state;
  $("#game-spectating").hidden = kind === "play";
  $("#game-spectating").textContent = kind === "watch" ? "You are watching this game: a spectator sees it and cannot play." : "A replay of a finished game.";
  $("#replay-controls").hidden = kind !== "replay";
  $("#game-title").textContent = `Game ${gameId}`;
  $("#game-log").replaceChildren();
  setTimers({});
  if (kind !== "replay") log("Connecting…");
  on("open", () => {
    log("Connected.");
    arena.reconnected();
  });
  room.onChange(() => current?.room === room && render());
  // A game_state says every public timer (none: no field); a state_patch only when they changed.
  on("game_state", (frame) => setTimers(frame.timers || {}));
  on("state_patch", (frame) => "timers" in frame && setTimers(frame.timers || {}));
  on("player_ready", (frame) => log(`${name(frame.user_id)}: ready.`));
  on("game_start", () => {
    log("The game starts.");
    show().catch(() => {});
  });
  on("player_disconnected", (frame) => log(`${name(frame.user_id)} lost the connection…`));
  on("player_reconnected", (frame) => log(`${name(frame.user_id)} is back.`));
  on("forfeit", (frame) => log(`${name(frame.user_id)} gave up.`));
  on("turn_timeout", (frame) => log(`${name(frame.user_id)} ran out of time.`));
  on("game_event", (frame) => gameEvent(frame.event || {}));
  on("game_over", (frame) => {
    const mine = frame.winner_id === app.me.id;
    const winner = frame.winner_id ? name(frame.winner_id) : null;
    log(`Game over. ${outcome(frame.reason, { mine, winner, spectator: current.room.players.length > 2 || readOnly() })}`);
    show().catch(() => {});
  });
  on("error", (error) => {
    if (error.code === "rate_limited" && room.mode === "arena") return; // the next direction change goes through
    if (room.mode && !DRAWN.has(room.mode)) return generic.refused(refusalText(error)); // the mode's own words
    showError(error);
  });
  on("status", (status) => {
    $("#game-panel").dataset.connection = status;
    if (status === "reconnecting") log("Connection lost, reconnecting…");
  });
  on("close", ({ code, final, error }) => {
    if (final && code === 4403 && LEFT_BY[error?.code] && kind === "play") leftGame(gameId, LEFT_BY[error.code]);
    else if (final && code === 4409) log("This game was opened in another window.");
    else if (final && code !== 1000) log(closeText(code));
  });
}

export function closeRoom() {
  current?.room.close();
  arena.stop();
  current = null;
  app.room = null;
}

function closeGame() {
  closeRoom();
  $("#game-panel").hidden = true;
  $("#replay-controls").hidden = true;
}

function name(userId) {
  if (userId === app.me.id && !readOnly()) return "You";
  return current?.room.players.find((p) => p.id === userId)?.username || `player ${userId}`;
}

function log(text) {
  const list = $("#game-log");
  list.prepend(el("li", {}, el("span", { class: "time" }, time(new Date().toISOString())), text));
}

function gameEvent(event) {
  if (event.kind === "shot") {
    const who = name(event.by) === "You" ? "You fire" : `${name(event.by)} fires`;
    const at = `${String.fromCharCode(65 + event.x)}${event.y + 1}`;
    log(`${who} at ${at}: ${event.sunk ? `hit, a ship of ${event.sunk.length} sunk!` : event.hit ? "hit!" : "miss."}`);
  }
}

function play(cell) {
  const room = current?.room;
  if (!room || readOnly() || room.state !== "active" || room.turn !== app.me.id || room.view?.board?.[cell]) return;
  room.move({ cell });
}

/** A Report action for each other player of the game, made again only when the players change
 * (render runs on every patch: an open report form must stay). */
function renderReports(room) {
  const others = room.players.filter((p) => p.id !== app.me.id);
  const key = `${room.gameId}:${others.map((p) => p.id).join(",")}`;
  const box = $("#game-report");
  if (box.dataset.key === key) return;
  box.dataset.key = key;
  fill(box, others.map((p) => el("span", { class: "player-report" }, p.username, " ", reportAction(p, { gameId: room.gameId }))));
}

function render() {
  const room = current.room;
  if (!room.game) return;
  const me = readOnly() ? null : room.players.find((p) => p.id === app.me.id);
  // A game I left by the server's hand is over for me, whatever the last state I was sent.
  const finished = FINISHED.has(room.state) || Boolean(current.left);
  const panel = $("#game-panel");
  panel.dataset.state = current.left && !FINISHED.has(room.state) ? "left" : room.state;
  panel.dataset.mode = room.mode;
  $("#game-title").textContent = `${modeTitle(room.mode)} · game ${room.gameId}`;
  $("#game-players").textContent = room.players
    .map((p) => `${p.username}${MARKS[p.side] && room.mode === "tictactoe" ? ` (${MARKS[p.side]})` : ""}${p.connected ? "" : " · away"}${p.ready ? "" : " · not ready"}`)
    .join("  vs  ");
  renderReports(room);
  $("#board").hidden = room.mode !== "tictactoe";
  $("#battleship").hidden = room.mode !== "battleship" || !(room.view?.mine || room.view?.players);
  $("#arena").hidden = room.mode !== "arena" || !room.view?.players;
  $("#game-other").hidden = DRAWN.has(room.mode);
  if (room.mode === "tictactoe") renderBoard(room, finished);
  else if (room.mode === "battleship") battleship.render(room, finished);
  else if (room.mode === "arena") arena.render(room);
  else generic.render(room);
  $("#game-ready").hidden = !me || me.ready || room.state === "active" || finished;
  $("#game-forfeit").hidden = finished || !me;
  $("#game-close").hidden = !finished && !readOnly();
  $("#game-replay").hidden = !finished || current.kind === "replay" || room.state === "abandoned";
  $("#game-status").textContent = statusText(room, me);
  renderClock();
  renderTimers();
}

function renderBoard(room, finished) {
  const board = room.view?.board || room.game.board || Array(9).fill(null);
  for (const cell of $$("#board .cell")) {
    const mark = board[Number(cell.dataset.cell)];
    cell.textContent = mark || "";
    cell.disabled = readOnly() || finished || room.state !== "active" || room.turn !== app.me.id || Boolean(mark);
  }
  $("#board").dataset.turn = room.turn === app.me.id && !readOnly() ? "mine" : "theirs";
}

function renderClock() {
  const node = $("#game-clock");
  const left = current?.room.state === "active" ? current.room.secondsLeft() : null;
  node.hidden = left === null;
  if (left === null) return;
  const whose = name(current.room.turn) === "You" ? "your turn" : `${name(current.room.turn)}'s turn`;
  node.textContent = `${Math.ceil(left)} s left on ${whose}.`;
}

/** The public timers a frame carried, counted down from now. */
function setTimers(left) {
  timers = { left, at: performance.now() };
  renderTimers();
}

/** The generic panel's public timers, each with its seconds left (while the game runs). */
function renderTimers() {
  const list = $("#generic-timers");
  const room = current?.room;
  const names = room?.state === "active" && !DRAWN.has(room.mode) ? Object.keys(timers.left) : [];
  list.hidden = names.length === 0;
  if (list.hidden) return list.replaceChildren();
  const gone = (performance.now() - timers.at) / 1000;
  fill(
    list,
    names.sort().map((timer) => el("li", { dataset: { timer } }, `${timer}: ${Math.ceil(Math.max(0, timers.left[timer] - gone))} s left`)),
  );
}

/** Whether the mode runs in real time (ticks), not as its players act. */
function realTime(room) {
  return Boolean(modes.find((m) => m.name === room.mode)?.tick_rate);
}

function statusText(room, me) {
  const state = room.game;
  if (current.left && !FINISHED.has(state.state)) return current.left;
  if (state.state === "waiting_for_players") return "Waiting for every player to connect…";
  if (state.state === "waiting_for_ready") {
    if (!me) return "Waiting for the players to get ready…"; // a spectator has no ready button
    return me.ready ? "Waiting for the others to get ready…" : "Press “I'm ready” to start.";
  }
  if (state.state === "active" && readOnly()) {
    const doing = current.kind === "watch" ? "Spectating" : "Replay";
    if (room.turn) return `${doing}: ${name(room.turn)}'s turn.`;
    return realTime(room) ? `${doing}: the game is on.` : `${doing}: no turns, every player may act.`;
  }
  if (state.state === "active") {
    if (room.mode === "arena") return "Go! Collect the gems.";
    if (room.mode === "tictactoe") return room.turn === app.me.id ? `Your turn (${MARKS[me?.side] || "?"}).` : "Opponent's turn…";
    if (room.turn === null) return realTime(room) ? "The game is on." : "The game is on: no turns, every player may act.";
    if (room.mode === "battleship") return room.turn === app.me.id ? "Your turn: fire at their waters." : "Opponent's turn…";
    return room.turn === app.me.id ? "Your turn." : `${name(room.turn)}'s turn…`;
  }
  if (state.state === "abandoned") return "The game was abandoned.";
  if (!FINISHED.has(state.state) && readOnly()) return "Waiting for the game to start…";
  const mine = state.winner_id === app.me.id && Boolean(me);
  const winner = state.winner_id ? name(state.winner_id) : null;
  return outcome(state.reason, { mine, winner, spectator: room.players.length > 2 || !me });
}

/** A refused frame in words: the server's message, and which field was wrong and why. */
function refusalText(error) {
  const fields = Object.entries(error.fields || {}).map(([field, problems]) => `${field}: ${[].concat(problems).join(" ")}`);
  return [error.detail, ...fields].join(" ");
}

// --- any other mode ----------------------------------------------------------------------

// Its view as JSON, kept current by the patches (the GameRoom applies them), and a form for each
// frame the mode declares: player_move, each game_action (a "*" action asks for its name too),
// input. A field's input follows its JSON Schema; anything else is typed as JSON.
const generic = {
  built: null, // the room and mode the forms were built for

  render(room) {
    const spec = modes.find((m) => m.name === room.mode);
    const key = `${room.gameId}:${spec ? room.mode : ""}`;
    if (this.built?.room !== room || this.built.key !== key) this.build(room, spec, key);
    $("#generic-scores").textContent = `Scores: ${room.players.map((p) => `${p.username} ${p.score}`).join(", ")}`;
    $("#generic-view").textContent = JSON.stringify(room.view ?? null, null, 2);
    $("#generic-forms").hidden = readOnly(); // a spectator or a replay sends nothing
    const active = room.state === "active";
    const myTurn = room.turn === app.me.id;
    $("#game-other").dataset.turn = active && myTurn ? "mine" : "theirs";
    for (const form of $$("#generic-forms form")) {
      // Moves wait for the player's turn when the mode keeps turns; actions and inputs do not.
      const open = active && (form.dataset.kind !== "player_move" || room.turn === null || myTurn);
      form.querySelector("button[type=submit]").disabled = !open;
    }
  },

  build(room, spec, key) {
    this.built = { room, key };
    const messages = spec?.messages || {};
    const forms = [];
    if (messages.player_move) forms.push(this.form("Move", messages.player_move, { kind: "player_move" }, (data) => room.move(data)));
    for (const [action, schema] of Object.entries(messages.game_action || {})) {
      const title = action === "*" ? "Send action" : action.replaceAll("_", " ");
      forms.push(this.form(title, schema, { kind: "game_action", action }, (data, named) => room.action(named || action, data)));
    }
    if (messages.input) forms.push(this.form("Send input", messages.input, { kind: "input" }, (data) => room.sendInput(data)));
    fill($("#generic-forms"), forms);
    this.refused(null);
  },

  form(title, schema, dataset, send) {
    const whole = !(schema?.type === "object" && schema.properties); // one JSON value, not fields
    const required = new Set(schema?.required || []);
    const fields = whole ? [this.field("data (JSON)", null, schema)] : Object.entries(schema.properties).map(([key, s]) => this.field(key, key, s, required.has(key)));
    const named = dataset.action === "*" ? el("input", { name: "action", required: true, maxlength: 32 }) : null;
    const form = el("form", { dataset }, named && el("label", {}, "action", named), fields.map((f) => f.node), el("button", { type: "submit" }, title));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      let data;
      try {
        data = whole ? (fields[0].read() ?? {}) : Object.fromEntries(fields.map((f) => [f.key, f.read()]).filter(([, value]) => value !== undefined));
      } catch (error) {
        return this.refused(error.message);
      }
      this.refused(null);
      if (send(data, named?.value.trim()) === null) this.refused("Not connected: try again in a moment.");
    });
    return form;
  },

  /** ``{key, node, read}``: a labelled input for one value; ``read()`` gives the value (undefined: left out). */
  field(label, key, schema, required = true) {
    const type = schema?.type;
    let input;
    let read;
    if (Array.isArray(schema?.enum)) {
      input = el("select", { name: label }, schema.enum.map((value) => el("option", {}, String(value))));
      read = () => schema.enum[input.selectedIndex];
    } else if (type === "integer" || type === "number") {
      input = el("input", { type: "number", name: label, min: schema.minimum, max: schema.maximum, step: type === "integer" ? 1 : "any", required });
      read = () => (input.value === "" ? undefined : Number(input.value));
    } else if (type === "boolean") {
      input = el("input", { type: "checkbox", name: label });
      read = () => input.checked;
    } else if (type === "string") {
      input = el("input", { type: "text", name: label, maxlength: schema.maxLength, required: required && schema.minLength > 0 });
      read = () => input.value;
    } else {
      input = el("textarea", { name: label, rows: 3, title: schema?.description }, type === "array" ? "[]" : "{}");
      read = () => {
        if (input.value.trim() === "") return undefined;
        try {
          return JSON.parse(input.value);
        } catch {
          throw new Error(`${label}: that is not valid JSON.`);
        }
      };
    }
    return { key, node: el("label", {}, label, input), read };
  },

  /** Shows why the server (or the form) refused the last frame; null clears it. */
  refused(text) {
    const node = $("#generic-error");
    node.textContent = text || "";
    node.hidden = !text;
  },
};

// --- battleship ------------------------------------------------------------------------

const battleship = {
  size: 10,

  setup() {
    this.build(this.size);
  },

  build(size) {
    this.size = size;
    const mine = [];
    const theirs = [];
    for (let y = 0; y < size; y += 1) {
      for (let x = 0; x < size; x += 1) {
        const label = `${String.fromCharCode(65 + x)}${y + 1}`;
        mine.push(el("div", { class: "cell", dataset: { x, y }, title: label }));
        const target = el("button", { type: "button", class: "cell", dataset: { x, y }, title: label, "aria-label": label });
        target.addEventListener("click", () => this.fire(x, y));
        theirs.push(target);
      }
    }
    for (const grid of [$("#bs-mine"), $("#bs-theirs")]) grid.style.gridTemplateColumns = `repeat(${size}, 28px)`;
    fill($("#bs-mine"), mine);
    fill($("#bs-theirs"), theirs);
  },

  fire(x, y) {
    const room = current?.room;
    if (!room || room.mode !== "battleship" || readOnly()) return;
    if (room.state !== "active") return showError({ code: "game_not_active" });
    if (room.turn !== app.me.id) return showError({ code: "not_your_turn" });
    if (room.view.theirs.shots.some((s) => s.x === x && s.y === y)) return showError({ code: "already_fired" });
    room.move({ x, y });
  },

  cells(ship) {
    return Array.from({ length: ship.length }, (_, i) => (ship.horizontal ? [ship.x + i, ship.y] : [ship.x, ship.y + i]));
  },

  /** A spectator's view (each player's shots and the ships they sank) as the first player's: their
   * shots at the second player's waters, and their own fleet as far as the second player sank it. */
  seen(room) {
    const view = room.view;
    if (!view || view.mine || !view.players) return view;
    const [first, second] = room.players.map((p) => String(p.id));
    const shotsBy = (id) => view.players[id]?.shots || [];
    const sunkBy = (id) => view.players[id]?.sunk || [];
    return {
      ...view,
      mine: { ships: sunkBy(second).map((ship) => ({ ...ship, sunk: true })), shots: shotsBy(second) },
      theirs: { shots: shotsBy(first), sunk: sunkBy(first) },
    };
  },

  captions(room) {
    const [first, second] = room.players.map((p) => p.username);
    const watching = readOnly() && first && second;
    $("#bs-theirs-caption").textContent = watching ? `${second}'s waters: ${first}'s shots` : "Their waters: click to fire";
    $("#bs-mine-caption").textContent = watching ? `${first}'s waters: ${second}'s shots` : "My fleet";
  },

  render(room, finished) {
    const view = this.seen(room);
    if (!view?.mine) return;
    this.captions(room);
    if (view.size !== this.size) this.build(view.size);
    const key = (x, y) => y * this.size + x;
    // My grid: my ships, their hits and sunk state, the opponent's shots.
    const mine = new Map();
    for (const ship of view.mine.ships) {
      for (const [x, y] of this.cells(ship)) mine.set(key(x, y), ship.sunk ? "ship sunk" : "ship");
    }
    const theirShots = new Map(view.mine.shots.map((s) => [key(s.x, s.y), s.hit ? "hit" : "miss"]));
    for (const cell of $$("#bs-mine .cell")) {
      const k = key(Number(cell.dataset.x), Number(cell.dataset.y));
      cell.className = ["cell", mine.get(k), theirShots.get(k)].filter(Boolean).join(" ");
    }
    // Their grid: only my shots and the ships I sank (the view has nothing else of theirs).
    const sunk = new Set(view.theirs.sunk.flatMap((ship) => this.cells(ship).map(([x, y]) => key(x, y))));
    const myShots = new Map(view.theirs.shots.map((s) => [key(s.x, s.y), s.hit ? "hit" : "miss"]));
    const myTurn = room.state === "active" && room.turn === app.me.id && !readOnly();
    for (const cell of $$("#bs-theirs .cell")) {
      const k = key(Number(cell.dataset.x), Number(cell.dataset.y));
      const shot = myShots.get(k);
      cell.className = ["cell", shot, sunk.has(k) && "sunk"].filter(Boolean).join(" ");
      cell.disabled = finished || !myTurn || Boolean(shot);
    }
    $("#bs-theirs").dataset.turn = myTurn ? "mine" : "theirs";
  },
};

// --- arena -----------------------------------------------------------------------------

const KEYS = {
  ArrowLeft: [-1, 0], KeyA: [-1, 0],
  ArrowRight: [1, 0], KeyD: [1, 0],
  ArrowUp: [0, -1], KeyW: [0, -1],
  ArrowDown: [0, 1], KeyS: [0, 1],
};
const TYPING = new Set(["INPUT", "TEXTAREA", "SELECT"]);

const arena = {
  pressed: new Set(),
  sent: [0, 0],
  snapshots: [], // [{at: ms, players: {id: {x, y}}}], oldest first
  frame: null,
  room: null,
  tickMs: 50,
  delayMs: 100, // render this far behind the newest positions: two ticks to interpolate between

  setup() {
    window.addEventListener("keydown", (event) => this.key(event, true));
    window.addEventListener("keyup", (event) => this.key(event, false));
    window.addEventListener("blur", () => {
      this.pressed.clear();
      this.steer();
    });
  },

  active() {
    const room = current?.room;
    return room?.mode === "arena" && !readOnly() && room.state === "active" && !$("#game-panel").hidden;
  },

  key(event, down) {
    const dir = KEYS[event.code];
    if (!dir || !this.active() || TYPING.has(event.target?.tagName)) return;
    event.preventDefault(); // no scrolling with the arrows while playing
    if (down) this.pressed.add(event.code);
    else this.pressed.delete(event.code);
    this.steer();
  },

  /** The direction the keys held give; sent only when it changes. */
  steer() {
    let dx = 0;
    let dy = 0;
    for (const code of this.pressed) {
      dx += KEYS[code][0];
      dy += KEYS[code][1];
    }
    dx = Math.max(-1, Math.min(1, dx));
    dy = Math.max(-1, Math.min(1, dy));
    if (dx === this.sent[0] && dy === this.sent[1]) return;
    if (!this.active()) return;
    if (current.room.sendInput({ dx, dy })) this.sent = [dx, dy];
  },

  /** A new connection: the server stopped this player when the old one dropped; steer again. */
  reconnected() {
    this.sent = [0, 0];
    this.steer();
  },

  render(room) {
    const view = room.view;
    if (!view?.players) return;
    if (this.room !== room) {
      this.room = room;
      this.snapshots = [];
      this.sent = [0, 0];
      const mode = modes.find((m) => m.name === "arena");
      if (mode?.tick_rate) this.tickMs = 1000 / mode.tick_rate;
    }
    this.remember(view.players);
    $("#arena-time").textContent = `${view.time_left} s`;
    $("#arena-target").textContent = `${view.target}`;
    const ids = Object.keys(view.players).sort((a, b) => view.players[b].score - view.players[a].score || a - b);
    fill(
      $("#arena-scores"),
      ids.map((id) =>
        el(
          "li",
          { class: Number(id) === app.me.id && !readOnly() ? "me" : null, dataset: { userId: id, score: view.players[id].score } },
          el("span", { class: "dot online", style: `background:${this.color(room, id)}` }),
          `${name(Number(id))}: ${view.players[id].score}`,
        ),
      ),
    );
    if (!this.frame) this.frame = requestAnimationFrame(() => this.draw());
  },

  /** Keeps the positions of each patch with the time it came; after a pause in the updates the
   * previous positions are put one tick back, so a player who starts moving glides from there. */
  remember(players) {
    const now = performance.now();
    const positions = Object.fromEntries(Object.entries(players).map(([id, p]) => [id, { x: p.x, y: p.y }]));
    const last = this.snapshots[this.snapshots.length - 1];
    if (last && now - last.at > 1.5 * this.tickMs) this.snapshots.push({ at: now - this.tickMs, players: last.players });
    this.snapshots.push({ at: now, players: positions });
    const keepFrom = now - 1000;
    while (this.snapshots.length > 2 && this.snapshots[1].at < keepFrom) this.snapshots.shift();
  },

  /** Where each player is drawn at ``at``: between the two updates around it. */
  positions(at) {
    const snaps = this.snapshots;
    if (snaps.length === 0) return {};
    if (at >= snaps[snaps.length - 1].at) return snaps[snaps.length - 1].players;
    if (at <= snaps[0].at) return snaps[0].players;
    let i = snaps.length - 2;
    while (i > 0 && snaps[i].at > at) i -= 1;
    const [a, b] = [snaps[i], snaps[i + 1]];
    const f = b.at === a.at ? 1 : (at - a.at) / (b.at - a.at);
    const out = {};
    for (const [id, to] of Object.entries(b.players)) {
      const from = a.players[id] || to;
      out[id] = { x: from.x + (to.x - from.x) * f, y: from.y + (to.y - from.y) * f };
    }
    return out;
  },

  color(room, id) {
    const seat = room.players.findIndex((p) => p.id === Number(id));
    return COLORS[(seat < 0 ? 0 : seat) % COLORS.length];
  },

  draw() {
    this.frame = null;
    const room = current?.room;
    if (!room || room !== this.room || room.mode !== "arena" || !room.view?.players) return;
    const canvas = $("#arena-canvas");
    const ctx = canvas.getContext("2d");
    const view = room.view;
    const scale = canvas.width / view.size;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.fillStyle = "#f39c12";
    for (const [gx, gy] of view.gems) {
      ctx.beginPath();
      ctx.arc(gx * scale, gy * scale, 4, 0, 2 * Math.PI);
      ctx.fill();
    }
    const drawn = this.positions(performance.now() - this.delayMs);
    ctx.font = "12px system-ui, sans-serif";
    for (const [id, p] of Object.entries(drawn)) {
      if (!view.players[id]) continue; // left the field
      ctx.fillStyle = this.color(room, id);
      ctx.beginPath();
      ctx.arc(p.x * scale, p.y * scale, Number(id) === app.me.id && !readOnly() ? 8 : 7, 0, 2 * Math.PI);
      ctx.fill();
      ctx.fillText(name(Number(id)), p.x * scale + 10, p.y * scale - 8);
    }
    const me = drawn[String(app.me.id)];
    if (me) {
      canvas.dataset.meX = me.x.toFixed(3);
      canvas.dataset.meY = me.y.toFixed(3);
    }
    // A replay stops at its end and starts again: it keeps drawing until the panel moves on.
    if (!FINISHED.has(room.state) || current.kind === "replay") this.frame = requestAnimationFrame(() => this.draw());
  },

  stop() {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = null;
    this.room = null;
    this.snapshots = [];
    this.pressed.clear();
    this.sent = [0, 0];
  },
};

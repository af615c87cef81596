// The replay viewer: a finished game played again in the game panel, from what a spectator saw of
// it (GET /api/games/{id}/replay/frames/: the spectators' view each time it changed) and its
// players and result (GET /api/games/{id}/replay/). game.js's renderers draw each frame, read-only;
// the controls under the panel play, pause, change the speed and scrub.
//
// Time runs in the frames' ticks: a real-time mode's ticks at its tick rate (1×: as fast as it was
// played), a turn-based mode's changes at one a second.

import { modeInfo, showRoom } from "./game.js";
import { $, onSubmit, showError } from "./ui.js";

const STEP_MS = 50;
const TURNS_PER_SECOND = 1;
const MAX_PAGES = 100; // 600 frames a page: over four minutes of a 20-tick game

let app;
let viewer = null; // {room, playing, speed, rate, timer, last}

export function setup(theApp) {
  app = theApp;
  app.on("open_replay", (frame) => openReplay(frame.game_id).catch(showError));
  onSubmit($("#replay-open-form"), ({ game_id: gameId }) => openReplay(Number(gameId)));
  $("#replay-play").addEventListener("click", play);
  $("#replay-pause").addEventListener("click", pause);
  $("#replay-speed").addEventListener("change", () => viewer && (viewer.speed = Number($("#replay-speed").value)));
  $("#replay-scrubber").addEventListener("input", () => viewer && seek(Number($("#replay-scrubber").value)));
}

/** Game ``gameId``'s replay in the game panel, playing from its start. */
export async function openReplay(gameId) {
  const [replay, frames] = await Promise.all([
    app.gp.get(`/api/games/${gameId}/replay/`),
    app.gp.all(`/api/games/${gameId}/replay/frames/`, { maxPages: MAX_PAGES }),
  ]);
  if (frames.length === 0) throw new Error("This replay has nothing to show.");
  stop();
  app.showTab("play");
  const room = new ReplayRoom(replay, frames);
  const tickRate = modeInfo(replay.mode)?.tick_rate || 0;
  viewer = { room, playing: false, speed: Number($("#replay-speed").value) || 1, rate: tickRate || TURNS_PER_SECOND, tickRate, timer: null, last: 0 };
  const scrubber = $("#replay-scrubber");
  scrubber.min = String(room.first);
  scrubber.max = String(room.end);
  showRoom(room, { kind: "replay" });
  seek(room.first);
  play();
}

function play() {
  if (!viewer || viewer.playing) return;
  if (viewer.room.position >= viewer.room.end) seek(viewer.room.first); // from the start again
  viewer.playing = true;
  viewer.last = performance.now();
  viewer.timer = setInterval(advance, STEP_MS);
  controls();
}

function pause() {
  if (!viewer) return;
  viewer.playing = false;
  clearInterval(viewer.timer);
  viewer.timer = null;
  controls();
}

/** Stops the replay on screen (another game took the panel, or a new replay starts). */
function stop() {
  pause();
  viewer = null;
}

function advance() {
  const room = viewer?.room;
  if (!room || room.closed) return stop();
  const now = performance.now();
  const ticks = ((now - viewer.last) / 1000) * viewer.rate * viewer.speed;
  viewer.last = now;
  seek(Math.min(room.end, room.position + ticks));
  if (room.position >= room.end) pause();
}

function seek(position) {
  viewer.room.seek(position);
  $("#replay-scrubber").value = String(Math.floor(viewer.room.position));
  controls();
}

function controls() {
  if (!viewer) return;
  const { room, playing, tickRate } = viewer;
  const box = $("#replay-controls");
  box.dataset.playing = playing ? "1" : "0";
  box.dataset.tick = String(room.tick);
  box.dataset.atEnd = room.position >= room.end ? "1" : "0";
  $("#replay-play").disabled = playing;
  $("#replay-pause").disabled = !playing;
  $("#replay-position").textContent = tickRate
    ? `${(room.position / tickRate).toFixed(1)} s of ${(room.end / tickRate).toFixed(1)} s`
    : `change ${room.index} of ${room.frames.length - 1}`;
}

/** A finished game's frames in the shape of the SDK's GameRoom, at one position at a time: the
 * game panel draws it as it draws a game in progress. */
class ReplayRoom {
  constructor(replay, frames) {
    this.gameId = replay.game_id;
    this.replay = replay;
    this.frames = frames; // [{tick, view}], in tick order
    this.first = frames[0].tick;
    this.end = frames[frames.length - 1].tick;
    this.position = this.first;
    this.index = 0;
    this.closed = false;
    this.turn = null;
    this.game = null;
    this.view = null;
    this.tick = null;
    this.status = "open";
    this._changeFns = new Set();
  }

  get state() {
    return this.game?.state ?? null;
  }

  get mode() {
    return this.replay.mode;
  }

  get players() {
    return this.game?.players ?? [];
  }

  /** ``position`` in ticks: the last frame at or before it is on screen; the game is finished at the end. */
  seek(position) {
    this.position = Math.max(this.first, Math.min(this.end, position));
    let index = this.index;
    if (this.frames[index].tick > this.position) index = 0;
    while (index + 1 < this.frames.length && this.frames[index + 1].tick <= this.position) index += 1;
    const changed = index !== this.index || this.game === null || this.atEnd !== this.position >= this.end;
    this.index = index;
    this.atEnd = this.position >= this.end;
    if (!changed) return;
    const frame = this.frames[index];
    this.view = frame.view;
    this.tick = frame.tick;
    this.game = this.snapshot();
    for (const fn of this._changeFns) fn(this.view, this);
  }

  snapshot() {
    const { players, result, mode } = this.replay;
    const scores = this.atEnd ? result.scores || {} : {};
    return {
      id: this.gameId,
      mode,
      state: this.atEnd ? "finished" : "active",
      winner_id: this.atEnd ? result.winner_id : null,
      reason: this.atEnd ? result.reason : null,
      turn: null,
      tick: this.tick,
      players: players.map((p) => ({ ...p, score: scores[String(p.id)] ?? 0, ready: true, connected: true })),
    };
  }

  on() {
    return () => {}; // no socket: nothing arrives
  }

  onChange(fn) {
    this._changeFns.add(fn);
    return () => this._changeFns.delete(fn);
  }

  secondsLeft() {
    return null;
  }

  close() {
    this.closed = true;
    this._changeFns.clear();
  }
}

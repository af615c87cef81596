// The load generator of bench/side_by_side.py, one for both servers so that the client's cost is the same:
//   node loadgen.mjs --side colyseus --url ws://127.0.0.1:2567 --rooms 50 --warmup 10 --seconds 30
//   node loadgen.mjs --side platform --url ws://127.0.0.1:8000 --games games.json --warmup 10 --seconds 30
//   (--encoding msgpack | compact: the platform's players ask for the gameplatform.msgpack or
//   gameplatform.compact subprotocol, compact.mjs, and send MessagePack)
// Colyseus's players use its own client (@colyseus/sdk, which decodes the schema patches); the
// platform's use `ws` and parse its JSON frames (docs/websocket-frames.md: game_state, then
// state_patch {tick, ops}). games.json: [{id, players: [{id, token}]}], four players a game.
//
// Every player sends a direction about 5 times a second (every 200 ms, each player at its own
// phase). A direction's components are whole hundredths between 0.30 and 0.69, never in the
// proportion of the one before, pointing away from a wall that is near: the arena moves a player
// trunc(d * 100) hundredths a tick, so the first patch in which my position moved in the new
// proportion (after any whole ticks of the old one) shows the input. Prints one JSON object.
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import WebSocket from "ws";
import { Client } from "@colyseus/sdk";
import { encode } from "@msgpack/msgpack";

import { decodeFrame, SUBPROTOCOLS } from "./compact.mjs";

const PATCH = 15; // Protocol.ROOM_STATE_PATCH, in the low 5 bits of a Colyseus message's first byte
const PLATFORM_PATCH = '{"type":"state_patch"';
const INPUT_MS = 200;
const codes = {}; // the platform's error frames, by code

function options(argv) {
  const out = { side: "", url: "", rooms: 0, games: "", warmup: 10, seconds: 30, batch: 10, encoding: "json" };
  for (let i = 2; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, "");
    if (argv[i] === "--help" || argv[i] === "-h") {
      console.log(readFileSync(new URL(import.meta.url), "utf8").split("\n").slice(0, 14).join("\n"));
      process.exit(0);
    }
    if (!(key in out)) throw new Error(`unknown option ${argv[i]}`);
    out[key] = typeof out[key] === "number" ? Number(argv[i + 1]) : argv[i + 1];
  }
  if (!["colyseus", "platform"].includes(out.side) || !out.url) throw new Error("--side colyseus|platform and --url");
  if (!["json", ...Object.keys(SUBPROTOCOLS)].includes(out.encoding)) throw new Error("--encoding json|msgpack|compact");
  return out;
}

const randint = (low, high) => low + Math.floor(Math.random() * (high - low + 1));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// What one player measures. Positions in hundredths of a unit.
class Player {
  constructor(window) {
    this.window = window;
    this.x = null;
    this.y = null;
    this.last = [0, 0]; // the step (hundredths a tick) of the latest direction sent
    this.pending = []; // directions sent and not yet seen: {at, step, before}
    this.lastPatchAt = null;
    this.intervals = [];
    this.patches = 0;
    this.bytes = 0;
    this.visible = [];
    this.unseen = 0; // sent in the window, overtaken by a later direction before any patch showed them
    this.sent = 0;
  }

  inWindow(t) {
    return t >= this.window.start && t < this.window.end;
  }

  // A state patch arrived (``bytes`` long); then ``moved(x, y)`` with my position after it.
  patch(now, bytes) {
    if (this.inWindow(now)) {
      if (this.lastPatchAt !== null) this.intervals.push(now - this.lastPatchAt);
      this.patches += 1;
      this.bytes += bytes;
    }
    this.lastPatchAt = now;
  }

  moved(now, x, y) {
    if (x === undefined || y === undefined || x === null) return;
    const nx = Math.round(x * 100);
    const ny = Math.round(y * 100);
    if (this.x !== null && this.pending.length) {
      const delta = [nx - this.x, ny - this.y];
      for (let i = this.pending.length - 1; i >= 0; i--) {
        if (shows(delta, this.pending[i])) {
          for (let j = 0; j < i; j++) if (this.inWindow(this.pending[j].at)) this.unseen += 1;
          if (this.inWindow(this.pending[i].at)) this.visible.push(now - this.pending[i].at);
          this.pending = this.pending.slice(i + 1);
          break;
        }
      }
    }
    this.x = nx;
    this.y = ny;
  }

  // The next direction: away from a near wall, in a new proportion.
  direction(now) {
    let mx;
    let my;
    do {
      mx = randint(30, 69);
      my = randint(30, 69);
    } while (this.last[0] && mx * Math.abs(this.last[1]) === my * Math.abs(this.last[0]));
    const away = (v) => (v === null ? (Math.random() < 0.5 ? 1 : -1) : v < 1000 ? 1 : v > 9000 ? -1 : Math.random() < 0.5 ? 1 : -1);
    const dx = (away(this.x) * mx) / 100;
    const dy = (away(this.y) * my) / 100;
    const step = [Math.trunc(dx * 100), Math.trunc(dy * 100)];
    this.pending.push({ at: now, step, before: this.last });
    if (this.pending.length > 50) this.pending.shift();
    this.last = step;
    this.sent += 1;
    return { dx, dy };
  }
}

// The position moved by a whole ticks of the direction before, then b >= 1 whole ticks of this one.
function shows(delta, p) {
  for (let a = 0; a <= 3; a++) {
    const rx = delta[0] - a * p.before[0];
    const ry = delta[1] - a * p.before[1];
    const b = Math.round(rx / p.step[0]);
    if (b >= 1 && rx === b * p.step[0] && ry === b * p.step[1]) return true;
  }
  return false;
}

// --- Colyseus -------------------------------------------------------------------------

async function colyseusRoom(url, window) {
  const players = [];
  const rooms = [];
  const client = new Client(url);
  const first = await client.create("arena");
  rooms.push(first);
  for (let i = 1; i < 4; i++) rooms.push(await new Client(url).joinById(first.roomId));
  for (const room of rooms) {
    const me = new Player(window);
    players.push(me);
    room.connection.transport.ws.addEventListener("message", (event) => {
      const data = event.data;
      const first = data instanceof ArrayBuffer ? new Uint8Array(data, 0, 1)[0] : data[0];
      if ((first & 0x1f) === PATCH) me.patch(performance.now(), data.byteLength);
    });
    room.onStateChange((state) => {
      const mine = state.players && state.players.get(room.sessionId);
      if (mine) me.moved(performance.now(), mine.x, mine.y);
    });
    room.onMessage("game_over", () => {});
    me.send = (dir) => room.send("input", dir);
    me.close = () => room.leave();
  }
  return players;
}

// --- the platform -----------------------------------------------------------------------

// My position in a state_patch's ops, where it changed: [x, y] (either may be undefined).
function positionIn(ops, key) {
  let x;
  let y;
  for (const op of ops) {
    if (op.path === `/players/${key}/x`) x = op.value;
    else if (op.path === `/players/${key}/y`) y = op.value;
    else if (op.path === `/players/${key}` && op.value) ({ x, y } = op.value);
    else if (op.path === "/players" && op.value && op.value[key]) ({ x, y } = op.value[key]);
    else if (op.path === "" && op.value && op.value.players && op.value.players[key]) ({ x, y } = op.value.players[key]);
  }
  return [x, y];
}

function platformPlayer(url, game, seat, window, encoding) {
  return new Promise((resolve, reject) => {
    const me = new Player(window);
    const key = String(seat.id);
    const protocol = SUBPROTOCOLS[encoding]; // undefined: JSON
    const ws = new WebSocket(`${url}/ws/game/${game.id}/`, protocol ? [protocol] : [], {
      headers: { Authorization: `Bearer ${seat.token}` },
      perMessageDeflate: false,
    });
    let started = false;
    let ready = false;
    const send = (frame) => ws.send(protocol ? encode(frame) : JSON.stringify(frame));
    ws.on("error", reject);
    ws.on("open", () => {
      if (protocol && ws.protocol !== protocol) reject(new Error(`the server did not take ${protocol}`));
    });
    ws.on("message", (data, isBinary) => {
      const now = performance.now();
      let frame;
      if (isBinary) {
        frame = decodeFrame(data, encoding);
      } else if (data.length > PLATFORM_PATCH.length && data.toString("latin1", 0, PLATFORM_PATCH.length) === PLATFORM_PATCH) {
        frame = JSON.parse(data);
      }
      if (frame && frame.type === "state_patch") {
        me.patch(now, data.length);
        const [x, y] = positionIn(frame.ops, key);
        if (x !== undefined || y !== undefined) me.moved(now, x ?? me.x / 100, y ?? me.y / 100);
        return;
      }
      frame = frame || JSON.parse(data);
      if (frame.type === "game_state") {
        const mine = frame.view && frame.view.players && frame.view.players[key];
        if (mine) me.moved(now, mine.x, mine.y);
        if (!ready) {
          ready = true;
          send({ type: "player_ready" });
        }
        if (!started && frame.state === "active") {
          started = true;
          resolve(me);
        }
      } else if (frame.type === "error") {
        me.errors = (me.errors || 0) + 1;
        codes[frame.code] = (codes[frame.code] || 0) + 1;
        if (!started) reject(new Error(JSON.stringify(frame)));
      }
    });
    me.send = (dir) => send({ type: "input", data: dir });
    me.close = () => ws.close();
  });
}

async function platformRoom(url, game, window, encoding) {
  return Promise.all(game.players.map((seat) => platformPlayer(url, game, seat, window, encoding)));
}

// --- the run ----------------------------------------------------------------------------

function percentile(values, share) {
  if (!values.length) return null;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor((share / 100) * sorted.length))];
}

async function main() {
  const opts = options(process.argv);
  const window = { start: Infinity, end: Infinity };
  const groups = opts.side === "platform" ? JSON.parse(readFileSync(opts.games, "utf8")) : [...Array(opts.rooms).keys()];
  const began = performance.now();
  const players = [];
  for (let i = 0; i < groups.length; i += opts.batch) {
    const batch = groups.slice(i, i + opts.batch);
    const joined = await Promise.all(
      batch.map((g) => (opts.side === "platform" ? platformRoom(opts.url, g, window, opts.encoding) : colyseusRoom(opts.url, window))),
    );
    for (const room of joined) players.push(...room);
  }
  const joinSeconds = (performance.now() - began) / 1000;
  const timers = [];
  for (const me of players) {
    const phase = Math.random() * INPUT_MS;
    timers.push(
      setTimeout(() => {
        me.send(me.direction(performance.now()));
        timers.push(setInterval(() => me.send(me.direction(performance.now())), INPUT_MS));
      }, phase),
    );
  }
  await sleep(opts.warmup * 1000);
  window.start = performance.now();
  window.end = window.start + opts.seconds * 1000;
  console.log(JSON.stringify({ event: "window_start" })); // the driver reads the server's CPU at these two lines
  const cpu0 = process.cpuUsage();
  await sleep(opts.seconds * 1000);
  console.log(JSON.stringify({ event: "window_end" }));
  await sleep(300); // patches of inputs sent at the window's end still count
  const cpu = process.cpuUsage(cpu0);
  for (const t of timers) clearInterval(t);
  const intervals = players.flatMap((p) => p.intervals);
  const visible = players.flatMap((p) => p.visible);
  const patches = players.reduce((s, p) => s + p.patches, 0);
  const bytes = players.reduce((s, p) => s + p.bytes, 0);
  const expected = Math.round(opts.seconds * 20);
  const missed = players.reduce((s, p) => s + Math.max(0, expected - p.patches), 0);
  const out = {
    side: opts.side,
    rooms: players.length / 4,
    players: players.length,
    join_s: Math.round(joinSeconds * 10) / 10,
    window_s: opts.seconds,
    patches,
    patches_expected: expected * players.length,
    patches_missed: missed,
    patch_interval_p50_ms: percentile(intervals, 50),
    patch_interval_p99_ms: percentile(intervals, 99),
    bytes_per_patch: patches ? bytes / patches : null,
    inputs_sent: players.reduce((s, p) => s + p.sent, 0),
    inputs_seen: visible.length,
    inputs_unseen: players.reduce((s, p) => s + p.unseen, 0),
    input_to_visible_p50_ms: percentile(visible, 50),
    input_to_visible_p99_ms: percentile(visible, 99),
    client_cores: (cpu.user + cpu.system) / 1e6 / (opts.seconds + 0.3),
    errors: players.reduce((s, p) => s + (p.errors || 0), 0),
    error_codes: codes,
  };
  console.log(JSON.stringify(out));
  await Promise.allSettled(players.map((p) => p.close()));
  process.exit(0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

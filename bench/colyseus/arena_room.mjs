// The platform's built-in arena (game/modes/builtin/arena.py) as a Colyseus 0.18 room, for
// bench/side_by_side.py: the same rules, written the way a Colyseus room is (schema state mutated
// in place, setSimulationInterval and patchRate at 50 ms), so that both servers do the same work.
//
// Four players (the bench's groups) stand on a circle in a 100-unit square and collect 10 gems; a
// client sends `input {dx, dy}` (each in [-1, 1], a longer vector shortened to 1); players move
// only in the tick, 20 units a second at full stick, on a 0.01 grid rounded towards zero, inside
// the walls. A gem within 2.5 units scores 1 and moves elsewhere. The game ends at 10 gems or
// after 90 s of game time; `time_left` is whole seconds. The game starts when the room is full.
import { Room } from "@colyseus/core";
import { schema, t } from "@colyseus/schema";

// Plain "number" fields (Colyseus picks the smallest encoding of each value), as a room written
// from its documentation declares them.
const Player = schema({ x: t.number(), y: t.number(), score: t.number() }, "Player");
const Gem = schema({ x: t.number(), y: t.number() }, "Gem");
const ArenaState = schema(
  {
    size: t.number(),
    target: t.number(),
    time_left: t.number(),
    players: t.map(Player),
    gems: t.array(Gem),
  },
  "ArenaState",
);

const SIZE = 100;
const SPEED = 20.0;
const PICKUP_RADIUS = 2.5;
const GEM_COUNT = 10;
const TARGET_SCORE = 10;
const DURATION = 90;
const SPAWN_RADIUS = 35.0;
const TICK_MS = 50;
const DT = TICK_MS / 1000; // the platform's ctx.dt: one tick's game time, fixed

const randint = (low, high) => low + Math.floor(Math.random() * (high - low + 1));

export class ArenaRoom extends Room {
  maxClients = 4;
  patchRate = TICK_MS;
  autoDispose = true;

  onCreate() {
    this.state = new ArenaState();
    this.state.size = SIZE;
    this.state.target = TARGET_SCORE;
    this.state.time_left = DURATION;
    this.dirs = new Map(); // session id -> [dx, dy]: the latest direction, private
    this.now = 0; // game time, in seconds from the room's first tick
    this.endsAt = null; // set when the room is full
    this.over = false;
    this.onMessage("input", (client, data) => this.input(client, data));
    this.setSimulationInterval(() => this.tick(), TICK_MS);
  }

  onJoin(client) {
    this.dirs.set(client.sessionId, [0, 0]);
    this.state.players.set(client.sessionId, new Player().assign({ x: 0, y: 0, score: 0 }));
    if (this.state.players.size === this.maxClients) this.start();
  }

  onLeave(client) {
    this.dirs.set(client.sessionId, [0, 0]); // a player who drops stops where they are
  }

  start() {
    const count = this.state.players.size;
    let seat = 0;
    const centre = SIZE / 2;
    for (const me of this.state.players.values()) {
      const angle = (2 * Math.PI * seat++) / count;
      me.x = Math.round((centre + SPAWN_RADIUS * Math.cos(angle)) * 100) / 100;
      me.y = Math.round((centre + SPAWN_RADIUS * Math.sin(angle)) * 100) / 100;
    }
    for (let i = 0; i < GEM_COUNT; i++) {
      const [x, y] = this.newGem();
      this.state.gems.push(new Gem().assign({ x, y }));
    }
    this.endsAt = this.now + DURATION;
  }

  input(client, data) {
    if (this.over || data === null || typeof data !== "object") return;
    let { dx, dy } = data;
    if (typeof dx !== "number" || typeof dy !== "number" || !(Math.abs(dx) <= 1) || !(Math.abs(dy) <= 1)) return;
    const length = Math.hypot(dx, dy);
    if (length > 1.0) {
      dx /= length;
      dy /= length;
    }
    this.dirs.set(client.sessionId, [dx, dy]);
  }

  tick() {
    this.now += DT;
    if (this.endsAt === null || this.over) return;
    const step = SPEED * DT * 100; // hundredths of a unit per tick at full stick
    const top = SIZE * 100;
    const r = PICKUP_RADIUS;
    const reach = r * r;
    const gems = this.state.gems;
    let scored = false;
    for (const [pid, me] of this.state.players) {
      const [dx, dy] = this.dirs.get(pid);
      if (!(dx || dy)) continue;
      let x = Math.round(me.x * 100) + Math.trunc(dx * step);
      let y = Math.round(me.y * 100) + Math.trunc(dy * step);
      x = (x < 0 ? 0 : x > top ? top : x) / 100;
      y = (y < 0 ? 0 : y > top ? top : y) / 100;
      me.x = x;
      me.y = y;
      for (const gem of gems) {
        const gx = gem.x - x;
        if (-r < gx && gx < r) {
          const gy = gem.y - y;
          if (gx * gx + gy * gy < reach) {
            me.score += 1;
            scored = true;
            const [nx, ny] = this.newGem();
            gem.x = nx;
            gem.y = ny;
          }
        }
      }
    }
    const left = this.endsAt - this.now;
    const timeLeft = left > 1e-6 ? Math.ceil(left - 1e-6) : 0;
    if (this.state.time_left !== timeLeft) this.state.time_left = timeLeft;
    if (scored && [...this.state.players.values()].some((me) => me.score >= TARGET_SCORE)) this.finish();
    else if (timeLeft === 0) this.finish();
  }

  finish() {
    this.over = true;
    let best = null;
    for (const [pid, me] of this.state.players) if (best === null || me.score > best[1]) best = [pid, me.score];
    this.broadcast("game_over", { winner: best && best[0] });
  }

  // A gem at a random whole-unit spot out of every player's reach, clear of the others when a few tries find one.
  newGem() {
    const low = Math.ceil(PICKUP_RADIUS);
    const high = SIZE - Math.ceil(PICKUP_RADIUS);
    const reach = PICKUP_RADIUS ** 2;
    const clear = 4 * reach;
    const players = [...this.state.players.values()].map((p) => [p.x, p.y]);
    const others = players.concat([...this.state.gems].map((g) => [g.x, g.y]));
    let x = 0;
    let y = 0;
    for (let attempt = 0; attempt < 64; attempt++) {
      x = randint(low, high);
      y = randint(low, high);
      const near = attempt < 8 ? others : players;
      const limit = attempt < 8 ? clear : reach;
      if (near.every(([ox, oy]) => (x - ox) ** 2 + (y - oy) ** 2 >= limit)) break;
    }
    return [x, y];
  }
}

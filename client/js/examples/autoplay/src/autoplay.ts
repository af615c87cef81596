/**
 * A page where a bot plays a whole game of a mode for this browser, built on @gameplatform/client:
 * log in as a guest, queue for the mode, ready, play by the mode's rules until `game_over`, then
 * read the game's record. Open it in two browsers (or two private windows) with the same `mode`
 * and they play each other. A studio's smoke test of a server: every mode the server runs, played
 * end to end by the package a browser game is built on.
 *
 * There is one bot for each built-in mode, and one for the game `manage.py startmode` writes
 * ("first to 10"): a mode made with `startmode first_to_ten` is played as it is; one made under
 * another name, with `?bot=first_to_ten`. A studio adds its own mode's bot to `BOTS`.
 */
import { Client, GamePlatformError, type GameOverFrame, type GameRoom, type GameSummary, type Id } from "@gameplatform/client";

/** Plays `room` (the game has started) until its game is over: the page readies, the bot moves. */
export type Bot = (room: GameRoom<any>) => Promise<void>;

/** What the page holds, on `window.autoplay` for the console (and the example's test). */
export interface Autoplay {
  mode: string;
  client: Client | null;
  gameId: Id | null;
  room: GameRoom<unknown> | null;
  status: string;
  /** The `game_over` frame this page received, once it did. */
  gameOver: GameOverFrame | null;
  /** The game as the server recorded it (`GET /api/games/{id}/`), read after `game_over`. */
  record: GameSummary | null;
  /** Why the page stopped, when something went wrong. */
  error: string | null;
}

export interface AutoplayOptions {
  server: string;
  mode: string;
  /** The bot to play with (a key of `BOTS`); default: the one named as the mode. */
  bot?: string | undefined;
}

export function autoplay(status: HTMLElement, viewBox: HTMLElement, options: AutoplayOptions): Autoplay {
  const page: Autoplay = {
    mode: options.mode,
    client: null,
    gameId: null,
    room: null,
    status: "",
    gameOver: null,
    record: null,
    error: null,
  };
  const say = (text: string): void => {
    page.status = status.textContent = text;
  };
  run(page, options, say, viewBox).catch((error: unknown) => {
    page.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    say(`stopped: ${page.error}`);
  });
  return page;
}

async function run(page: Autoplay, options: AutoplayOptions, say: (text: string) => void, viewBox: HTMLElement) {
  const bot = BOTS[options.bot ?? options.mode];
  if (!bot) throw new Error(`no bot plays ${options.bot ?? options.mode} (bots: ${Object.keys(BOTS).join(", ")})`);
  const client = (page.client = new Client({ baseUrl: options.server, storageKey: "autoplay-example.auth" }));
  if (!client.loggedIn) await client.deviceLogin(deviceId());
  const modes = await client.games.modes();
  const mode = modes.find((m) => m.name === options.mode);
  if (!mode) {
    throw new Error(`the server does not run ${options.mode} (it runs ${modes.map((m) => m.name).join(", ")})`);
  }
  say("waiting for another player…");
  const gameId = (page.gameId = await client.findMatch(options.mode));
  const room = (page.room = client.gameRoom(gameId));
  paces.set(room, { gapMs: 1000 / (Number(mode.input_rate) || 30), lastAt: 0 });
  room.on("game_over", (frame) => (page.gameOver = frame));
  room.onChange((view) => (viewBox.textContent = JSON.stringify(view)));
  const playing = room.until((r) => r.state === "active" || r.over !== null).then(() => {
    say("playing…");
    return bot(room);
  });
  await room.ready(); // queued until the socket opens
  await playing;
  const over = await room.gameOver();
  page.record = await client.games.get(gameId);
  say(`game over: ${over.reason}${over.winner_id === client.userId ? " (I won)" : ""}`);
  room.close();
}

/** Waits for my turn; false once the game is over. */
async function myTurn(room: GameRoom<any>): Promise<boolean> {
  await room.until((r) => r.myTurn || r.over !== null);
  return room.over === null;
}

/** Each room's pace: moves at most at the mode's `input_rate` (from the modes list), and when the last went. */
const paces = new WeakMap<GameRoom<any>, { gapMs: number; lastAt: number }>();

/**
 * A move, at most at the mode's input rate: two bots answer each other within a round trip, faster
 * than the mode allows (30 frames a second per player by default), as no person does. Past the
 * rate each move would be refused `rate_limited`, and a user refused more than 10 times in 10 s is
 * closed as a flood. A refused move is still sent again after the server's `retry_after`.
 */
async function move(room: GameRoom<any>, movement: Record<string, unknown>): Promise<void> {
  const pace = paces.get(room);
  if (pace) {
    const wait = pace.lastAt + pace.gapMs - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    pace.lastAt = performance.now();
  }
  for (;;) {
    try {
      await room.move(movement);
      return;
    } catch (error) {
      if (!(error instanceof GamePlatformError) || error.code !== "rate_limited") throw error;
      await new Promise((resolve) => setTimeout(resolve, (error.retryAfter ?? 0.1) * 1000));
    }
  }
}

// --- the bots ---------------------------------------------------------------------------------

interface TicTacToeView {
  board: (string | null)[];
}

const TICTACTOE_LINES = [
  [0, 1, 2], [3, 4, 5], [6, 7, 8], [0, 3, 6], [1, 4, 7], [2, 5, 8], [0, 4, 8], [2, 4, 6],
];

/** Tic-tac-toe: win if I can, block if I must, else the best free cell (centre, corners, edges). */
async function ticTacToe(room: GameRoom<TicTacToeView>): Promise<void> {
  while (await myTurn(room)) {
    const board = room.view!.board;
    const mine = board.filter((mark) => mark !== null).length % 2 === 0 ? "X" : "O";
    const completing = (mark: string): number | undefined =>
      TICTACTOE_LINES.map((line) => line.filter((cell) => board[cell] === null))
        .find((free, i) => free.length === 1 && TICTACTOE_LINES[i]!.filter((c) => board[c] === mark).length === 2)
        ?.at(0);
    const cell =
      completing(mine) ??
      completing(mine === "X" ? "O" : "X") ??
      [4, 0, 2, 6, 8, 1, 3, 5, 7].find((c) => board[c] === null)!;
    await move(room, { cell });
  }
}

interface Shot {
  x: number;
  y: number;
  hit: boolean;
}
interface Ship {
  x: number;
  y: number;
  length: number;
  horizontal: boolean;
}
interface BattleshipView {
  size: number;
  theirs: { shots: Shot[]; sunk: Ship[] };
}

/** Battleship: after a hit, the cells around it (hits of ships not yet sunk); else a checkerboard sweep. */
async function battleship(room: GameRoom<BattleshipView>): Promise<void> {
  while (await myTurn(room)) {
    const { size, theirs } = room.view!;
    const fired = new Set(theirs.shots.map((s) => `${s.x},${s.y}`));
    const sunk = new Set(theirs.sunk.flatMap((ship) => shipCells(ship)));
    const open = ([x, y]: [number, number]): boolean =>
      x >= 0 && y >= 0 && x < size && y < size && !fired.has(`${x},${y}`);
    const around = theirs.shots
      .filter((s) => s.hit && !sunk.has(`${s.x},${s.y}`))
      .flatMap((s): [number, number][] => [[s.x + 1, s.y], [s.x - 1, s.y], [s.x, s.y + 1], [s.x, s.y - 1]])
      .filter(open);
    const sweep: [number, number][] = [];
    for (const parity of [0, 1]) {
      for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) if ((x + y) % 2 === parity) sweep.push([x, y]);
    }
    const [x, y] = around[0] ?? sweep.find(open)!;
    await move(room, { x, y });
  }
}

function shipCells(ship: Ship): string[] {
  return Array.from({ length: ship.length }, (_, i) =>
    ship.horizontal ? `${ship.x + i},${ship.y}` : `${ship.x},${ship.y + i}`,
  );
}

/**
 * Relay (the server only relays; the clients simulate the game): each player rolls a die and sends
 * the roll as a move; once every player's roll has come back relayed, each reports the same scores
 * (the rolls), and the server ends the game when the reports agree.
 */
async function relay(room: GameRoom<unknown>): Promise<void> {
  const rolls = new Map<Id, number>();
  const allRolled = new Promise<void>((resolve) => {
    room.on("player_move", (frame) => {
      const roll = (frame.movement as { roll?: unknown }).roll;
      if (typeof roll === "number") rolls.set(frame.user_id, roll);
      if (room.players.every((p) => rolls.has(p.id))) resolve();
    });
  });
  await room.move({ roll: 1 + Math.floor(Math.random() * 6) });
  await Promise.race([allRolled, room.gameOver()]);
  if (room.over) return;
  const scores = Object.fromEntries(room.players.map((p) => [String(p.id), rolls.get(p.id)!]));
  await room.action("report_score", { scores });
}

interface ArenaView {
  players: Record<string, { x: number; y: number }>;
  gems: [number, number][];
}

/** Arena (real time): run at the nearest gem; a new direction goes out only when it changes. */
async function arena(room: GameRoom<ArenaView>): Promise<void> {
  const me = String(room.client.userId);
  let sent = "";
  const steer = (view: ArenaView | null): void => {
    const at = view?.players[me];
    if (!at || room.over) return;
    const nearest = (view.gems ?? [])
      .map(([x, y]) => ({ dx: x - at.x, dy: y - at.y }))
      .sort((a, b) => Math.hypot(a.dx, a.dy) - Math.hypot(b.dx, b.dy))[0];
    if (!nearest) return;
    const length = Math.hypot(nearest.dx, nearest.dy) || 1;
    const dx = Math.round((nearest.dx / length) * 10) / 10;
    const dy = Math.round((nearest.dy / length) * 10) / 10;
    if (`${dx},${dy}` === sent) return;
    sent = `${dx},${dy}`;
    room.send({ dx, dy }); // at most one a tick (20 a second): under the mode's 30
  };
  const stop = room.onChange(steer);
  steer(room.view);
  try {
    await room.gameOver();
  } finally {
    stop();
  }
}

interface FirstToTenView {
  total: number;
  target: number;
}

/** The game `manage.py startmode` writes: add 1 to 3; leave the counter a multiple of 4 short of the target. */
async function firstToTen(room: GameRoom<FirstToTenView>): Promise<void> {
  while (await myTurn(room)) {
    const { total, target } = room.view!;
    const add = Math.min(3, target - total, (target - total) % 4 || 1);
    await move(room, { add });
  }
}

/** The bots, by the name of the mode they play. */
export const BOTS: Record<string, Bot> = {
  tictactoe: ticTacToe,
  battleship,
  relay,
  arena,
  first_to_ten: firstToTen,
};

/** A device id kept by this browser: the same guest account every visit. */
function deviceId(): string {
  let id = localStorage.getItem("autoplay-example.device");
  if (!id) {
    id = `autoplay-${crypto.randomUUID()}`;
    localStorage.setItem("autoplay-example.device", id);
  }
  return id;
}

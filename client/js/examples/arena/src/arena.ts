/**
 * The arena on a canvas, built on @gameplatform/client: play as a guest, queue, and steer a dot
 * with the arrow keys or WASD. The server owns every position; the page sends only a direction
 * (`input {dx, dy}`, when it changes) and draws what its view says, interpolated between patches.
 */
import { Client, type GameRoom } from "@gameplatform/client";

import { Interpolator, type Point } from "./interpolate.js";

export interface ArenaPlayer extends Point {
  score: number;
}

export interface ArenaView {
  size: number;
  target: number;
  time_left: number;
  players: Record<string, ArenaPlayer>;
  gems: [number, number][];
}

const KEYS: Record<string, [number, number]> = {
  ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1],
  a: [-1, 0], d: [1, 0], w: [0, -1], s: [0, 1],
};

/** What the page holds, on `window.arena` for the console (and the example's test). */
export interface Arena {
  client: Client;
  room: GameRoom<ArenaView> | null;
  drawn: Record<string, Point>;
  status: string;
}

export async function start(canvas: HTMLCanvasElement, status: HTMLElement, baseUrl: string): Promise<Arena> {
  const client = new Client({ baseUrl, storageKey: "arena-example.auth" });
  const arena: Arena = { client, room: null, drawn: {}, status: "" };
  const say = (text: string): void => {
    arena.status = status.textContent = text;
  };
  if (!client.loggedIn) await client.deviceLogin(deviceId());
  say("waiting for another player…");
  const gameId = await client.findMatch("arena");
  const room = (arena.room = client.gameRoom<ArenaView>(gameId));
  const smooth = new Interpolator<ArenaView>((view) => view.players);
  room.onChange((view) => view && smooth.push(view, performance.now()));
  room.socket.onClose((why) => why.reconnect || say(`disconnected: ${why.description}`));
  steer(room);
  await room.ready();
  const frame = (): void => {
    const view = room.view;
    if (view) {
      arena.drawn = smooth.positions(performance.now());
      draw(canvas, view, arena.drawn, String(client.userId));
      say(room.over ? `game over: ${room.over.reason}` : `time left ${view.time_left} s`);
    }
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  return arena;
}

/** Sends the direction the held keys make, only when it changes. */
function steer(room: GameRoom<ArenaView>): void {
  const held = new Set<string>();
  let sent = "0,0";
  const update = (): void => {
    let dx = 0;
    let dy = 0;
    for (const key of held) {
      dx += KEYS[key]![0];
      dy += KEYS[key]![1];
    }
    const direction = `${dx},${dy}`;
    if (direction === sent) return;
    sent = direction;
    room.send({ dx, dy });
  };
  addEventListener("keydown", (event) => {
    if (!(event.key in KEYS)) return;
    held.add(event.key);
    update();
  });
  addEventListener("keyup", (event) => {
    held.delete(event.key);
    update();
  });
}

function draw(canvas: HTMLCanvasElement, view: ArenaView, dots: Record<string, Point>, me: string): void {
  const ctx = canvas.getContext("2d")!;
  const scale = canvas.width / view.size;
  ctx.fillStyle = "#10141c";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = "#4fd1c5";
  for (const [x, y] of view.gems) ctx.fillRect(x * scale - 3, y * scale - 3, 6, 6);
  for (const [id, p] of Object.entries(dots)) {
    ctx.fillStyle = id === me ? "#f6ad55" : "#a0aec0";
    ctx.beginPath();
    ctx.arc(p.x * scale, p.y * scale, 8, 0, 2 * Math.PI);
    ctx.fill();
  }
}

/** A device id kept by this browser: the same guest account every visit. */
function deviceId(): string {
  let id = localStorage.getItem("arena-example.device");
  if (!id) {
    id = `arena-${crypto.randomUUID()}`;
    localStorage.setItem("arena-example.device", id);
  }
  return id;
}

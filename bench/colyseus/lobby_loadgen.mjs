// The lobby fan-out load generator of bench/side_by_side.py --scenario lobby, one for both servers:
//   node lobby_loadgen.mjs --side colyseus --url ws://127.0.0.1:2567 --lobbies 4 --members 50 --senders 10
//   node lobby_loadgen.mjs --side platform --url ws://127.0.0.1:8000 --file lobbies.json --senders 10
//   (--interval 1.0 s between one sender's messages, --warmup 10, --seconds 30; --encoding msgpack
//   or compact: the platform's members ask for that subprotocol, compact.mjs)
// Colyseus's members use its own client (@colyseus/sdk) in the bench's chat room (chat_room.mjs);
// the platform's use `ws` on the lobby socket /ws/lobbies/{id}/ (docs/domains/chat.md).
// lobbies.json: [{id, tokens: [...]}], the members' access tokens.
//
// The first S members of every lobby send a chat message every I seconds, the senders spread
// evenly over one interval (the platform's rate limit, 3 messages in any 2 s per user, is kept
// by I >= 0.7). Every member, the sender too, must receive each message. For the messages sent in
// the measured window: deliveries (each message to each member), latency send -> receive (p50,
// p99, this process's clock), bytes per delivery (the WebSocket message), lost (messages some
// member never got). Prints one JSON object; the window's edges as marker lines before it.
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import WebSocket from "ws";
import { Client } from "@colyseus/sdk";
import { encode } from "@msgpack/msgpack";

import { decodeFrame, SUBPROTOCOLS } from "./compact.mjs";

const ROOM_DATA = 13; // Protocol.ROOM_DATA, in the low 5 bits of a Colyseus message's first byte
const MARK = "pbench "; // a message's text: MARK, its number, its send time (ms, this clock)
const DRAIN_MS = 2000; // after the window: deliveries of its last messages still count
const codes = {}; // the platform's error frames, by code

function options(argv) {
  const out = {
    side: "", url: "", lobbies: 4, members: 50, file: "", senders: 10, interval: 1.0,
    warmup: 10, seconds: 30, batch: 10, encoding: "json",
  }; // prettier-ignore
  for (let i = 2; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, "");
    if (argv[i] === "--help" || argv[i] === "-h") {
      console.log(readFileSync(new URL(import.meta.url), "utf8").split("\n").slice(0, 15).join("\n"));
      process.exit(0);
    }
    if (!(key in out)) throw new Error(`unknown option ${argv[i]}`);
    out[key] = typeof out[key] === "number" ? Number(argv[i + 1]) : argv[i + 1];
  }
  if (!["colyseus", "platform"].includes(out.side) || !out.url) throw new Error("--side colyseus|platform and --url");
  if (out.side === "platform" && !out.file) throw new Error("--file lobbies.json for the platform");
  return out;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The run's messages and what arrived of them: one record for every member and sender.
class Tally {
  constructor() {
    this.window = { start: Infinity, end: Infinity };
    this.next = 0;
    this.sent = new Map(); // number -> {at, lobby, got}: the messages sent in the window
    this.latencies = [];
    this.frames = 0; // chat frames received in the window, and their bytes
    this.bytes = 0;
    this.errors = 0;
  }

  inWindow(t) {
    return t >= this.window.start && t < this.window.end;
  }

  // The text of a new message from ``lobby``, noted if it is sent in the window.
  text(lobby) {
    const n = this.next++;
    const at = performance.now();
    if (this.inWindow(at)) this.sent.set(n, { at, lobby, got: 0 });
    return `${MARK}${n} ${at.toFixed(3)}`;
  }

  // A chat frame of ``bytes`` arrived (counted apart: Colyseus's client hands over the decoded message only).
  frame(now, bytes) {
    if (this.inWindow(now)) {
      this.frames += 1;
      this.bytes += bytes;
    }
  }

  received(now, text) {
    if (typeof text !== "string" || !text.startsWith(MARK)) return;
    const message = this.sent.get(Number(text.slice(MARK.length, text.indexOf(" ", MARK.length))));
    if (message === undefined) return; // sent before the window
    message.got += 1;
    this.latencies.push(now - message.at);
  }
}

// --- Colyseus -------------------------------------------------------------------------

async function colyseusLobby(url, index, members, batch, tally) {
  const first = await new Client(url).create("chat");
  const rooms = [first];
  for (let i = 1; i < members; i += batch) {
    const size = Math.min(batch, members - i);
    rooms.push(...(await Promise.all([...Array(size)].map(() => new Client(url).joinById(first.roomId)))));
  }
  return rooms.map((room) => {
    room.connection.transport.ws.addEventListener("message", (event) => {
      const data = event.data;
      const kind = data instanceof ArrayBuffer ? new Uint8Array(data, 0, 1)[0] : data[0];
      if ((kind & 0x1f) === ROOM_DATA) tally.frame(performance.now(), data.byteLength);
    });
    room.onMessage("chat", (message) => tally.received(performance.now(), message.text));
    return { lobby: index, send: (text) => room.send("chat", { text }), close: () => room.leave() };
  });
}

// --- the platform -----------------------------------------------------------------------

function platformMember(url, lobby, token, tally, encoding) {
  return new Promise((resolve, reject) => {
    const protocol = SUBPROTOCOLS[encoding]; // undefined: JSON
    const ws = new WebSocket(`${url}/ws/lobbies/${lobby.id}/`, protocol ? [protocol] : [], {
      headers: { Authorization: `Bearer ${token}` },
      perMessageDeflate: false,
    });
    const member = {
      lobby: lobby.id,
      send: (text) => {
        const frame = { type: "chat_message", message: text };
        ws.send(protocol ? encode(frame) : JSON.stringify(frame));
      },
      close: () => ws.close(),
    };
    let ready = false;
    ws.on("error", reject);
    ws.on("open", () => {
      if (protocol && ws.protocol !== protocol) reject(new Error(`the server did not take ${protocol}`));
    });
    ws.on("message", (data, isBinary) => {
      const now = performance.now();
      const frame = isBinary ? decodeFrame(data, encoding) : JSON.parse(data);
      if (frame.type === "chat_message") {
        tally.frame(now, data.length);
        tally.received(now, frame.message && frame.message.content);
      } else if (frame.type === "lobby_state" && !ready) {
        ready = true;
        resolve(member);
      } else if (frame.type === "error") {
        tally.errors += 1;
        codes[frame.code] = (codes[frame.code] || 0) + 1;
        if (!ready) reject(new Error(JSON.stringify(frame)));
      }
    });
    ws.on("close", (code) => {
      if (!ready) reject(new Error(`closed ${code} before lobby_state`));
    });
  });
}

async function platformLobby(url, lobby, batch, tally, encoding) {
  const members = [];
  for (let i = 0; i < lobby.tokens.length; i += batch) {
    const tokens = lobby.tokens.slice(i, i + batch);
    members.push(...(await Promise.all(tokens.map((t) => platformMember(url, lobby, t, tally, encoding)))));
  }
  return members;
}

// --- the run ----------------------------------------------------------------------------

function percentile(values, share) {
  if (!values.length) return null;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor((share / 100) * sorted.length))];
}

async function main() {
  const opts = options(process.argv);
  const tally = new Tally();
  const began = performance.now();
  const lobbies = [];
  if (opts.side === "platform") {
    for (const lobby of JSON.parse(readFileSync(opts.file, "utf8"))) {
      lobbies.push(await platformLobby(opts.url, lobby, opts.batch, tally, opts.encoding));
    }
  } else {
    for (let i = 0; i < opts.lobbies; i++) lobbies.push(await colyseusLobby(opts.url, i, opts.members, opts.batch, tally));
  }
  const joinSeconds = (performance.now() - began) / 1000;
  await sleep(500); // the joins' own frames (presence) go by
  const senders = lobbies.flatMap((members) => members.slice(0, opts.senders));
  const timers = [];
  const period = opts.interval * 1000;
  senders.forEach((member, index) => {
    const send = () => member.send(tally.text(member.lobby));
    timers.push(
      setTimeout(() => {
        send();
        timers.push(setInterval(send, period));
      }, (period * index) / senders.length),
    );
  });
  await sleep(opts.warmup * 1000);
  tally.window.start = performance.now();
  tally.window.end = tally.window.start + opts.seconds * 1000;
  console.log(JSON.stringify({ event: "window_start" })); // the driver reads the server's CPU at these two lines
  const cpu0 = process.cpuUsage();
  await sleep(opts.seconds * 1000);
  console.log(JSON.stringify({ event: "window_end" }));
  const cpu = process.cpuUsage(cpu0);
  for (const t of timers) clearInterval(t);
  await sleep(DRAIN_MS);
  const sizes = new Map(lobbies.map((members) => [members[0].lobby, members.length]));
  const messages = [...tally.sent.values()];
  const expected = messages.reduce((s, m) => s + sizes.get(m.lobby), 0);
  const deliveries = messages.reduce((s, m) => s + m.got, 0);
  const out = {
    side: opts.side,
    lobbies: lobbies.length,
    members: lobbies.reduce((s, members) => s + members.length, 0),
    senders: senders.length,
    interval_s: opts.interval,
    join_s: Math.round(joinSeconds * 10) / 10,
    window_s: opts.seconds,
    messages: messages.length,
    expected,
    deliveries,
    deliveries_missing: expected - deliveries,
    lost: messages.filter((m) => m.got < sizes.get(m.lobby)).length,
    latency_p50_ms: percentile(tally.latencies, 50),
    latency_p99_ms: percentile(tally.latencies, 99),
    bytes_per_delivery: tally.frames ? tally.bytes / tally.frames : null,
    client_cores: (cpu.user + cpu.system) / 1e6 / opts.seconds,
    errors: tally.errors,
    error_codes: codes,
  };
  console.log(JSON.stringify(out));
  await Promise.allSettled(lobbies.flat().map((m) => m.close()));
  process.exit(0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

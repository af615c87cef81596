// What the live tests share: the server they run against (GAMEPLATFORM_URL, set by
// tests/test_sdk_js_live.py to the pytest session's live server) and fresh users on it.
import { after, test } from "node:test";
import { WebSocket } from "ws";

import { Client, GamePlatformError, MemoryStorage } from "@gameplatform/client";

export const SERVER = process.env.GAMEPLATFORM_URL ?? "";
export const PASSWORD = "pass-w0rd-long-enough";

const run = Math.random().toString(36).slice(2, 8);
let names = 0;

/** A username no other test of any run has taken. */
export function newName(prefix = "js") {
  names += 1;
  return `${prefix}_${run}_${names}`;
}

/**
 * A test that needs the live server: skipped, saying why, when GAMEPLATFORM_URL is not set.
 * @param {string} name
 * @param {() => Promise<void>} fn
 */
export function liveTest(name, fn) {
  const skip = SERVER ? false : "GAMEPLATFORM_URL is not set (tests/test_sdk_js_live.py sets it to a live server)";
  test(name, { skip, timeout: 60_000 }, fn);
}

/** Fast reconnection for tests (the default starts at 0.5 s and grows to 15 s). */
export const FAST = { baseMs: 50, maxMs: 500, jitter: 0.5 };

/**
 * A client of the live server (the `ws` package's WebSocket: Node 20 has no global one).
 * @param {import("@gameplatform/client").ClientOptions} [options]
 */
export function newClient(options = {}) {
  const client = new Client({ baseUrl: SERVER, storage: new MemoryStorage(), WebSocket, reconnect: FAST, ...options });
  clients.push(client);
  return client;
}

/**
 * The `ws` package's WebSocket, counting the binary and text messages each connection received
 * (`Client({WebSocket: CountingWebSocket})`): what the server really sent, and on which subprotocol.
 */
export class CountingWebSocket extends WebSocket {
  /** @type {CountingWebSocket[]} every connection made, in order */
  static made = [];

  /**
   * @param {string} url
   * @param {string | string[]} [protocols]
   */
  constructor(url, protocols) {
    super(url, protocols);
    this.binaryMessages = 0;
    this.textMessages = 0;
    this.addEventListener("message", (event) => {
      if (typeof event.data === "string") this.textMessages += 1;
      else this.binaryMessages += 1;
    });
    CountingWebSocket.made.push(this);
  }
}

/**
 * The `ws` package's WebSocket on a network that loses a frame when told to, and its connection
 * with it (`Client({WebSocket: FaultyWebSocket})`): `loseSent` loses the next frame the client
 * sends that it matches (the server never gets it), `loseReceived` the next frame the server sends
 * that it matches (the server took what it answers); either way the TCP connection is cut right
 * there, no close frame, as a network failure cuts it. `silenceReceived` drops every frame the
 * server sends that it matches while it is set, and keeps the connection: a server that never answers.
 */
export class FaultyWebSocket extends WebSocket {
  /** @type {((frame: Record<string, any>) => boolean) | null} */
  static loseSent = null;
  /** @type {((frame: Record<string, any>) => boolean) | null} */
  static loseReceived = null;
  /** @type {((frame: Record<string, any>) => boolean) | null} */
  static silenceReceived = null;

  /**
   * @param {any} data
   * @param {any[]} rest
   */
  send(data, ...rest) {
    const lose = FaultyWebSocket.loseSent;
    if (lose && typeof data === "string" && lose(JSON.parse(data))) {
      FaultyWebSocket.loseSent = null;
      this.terminate();
      return;
    }
    super.send(data, ...rest);
  }

  /**
   * @param {string | symbol} event
   * @param {any[]} args
   */
  emit(event, ...args) {
    const lose = FaultyWebSocket.loseReceived;
    // `ws` emits ("message", data, isBinary) before the `onmessage` handler sees it.
    if (event === "message" && lose && !args[1] && lose(JSON.parse(String(args[0])))) {
      FaultyWebSocket.loseReceived = null;
      this.terminate();
      return true;
    }
    const silence = FaultyWebSocket.silenceReceived;
    if (event === "message" && silence && !args[1] && silence(JSON.parse(String(args[0])))) return true;
    return super.emit(event, ...args);
  }
}

/** @type {Client[]} */
const clients = [];
// Whatever a test left open (it failed half-way) is closed, so that the test file's process ends.
after(() => {
  for (const client of clients) client.close();
});

/**
 * A client logged in as a new user.
 * @param {string} [prefix]
 * @param {import("@gameplatform/client").ClientOptions} [options]
 */
export async function newPlayer(prefix = "js", options = {}) {
  const client = newClient(options);
  const username = newName(prefix);
  await client.register({ username, email: `${username}@example.com`, password: PASSWORD });
  return client;
}

/**
 * The promise, or a rejection after `ms` milliseconds saying what was awaited.
 * @template T
 * @param {Promise<T>} promise
 * @param {string} what
 * @param {number} [ms]
 * @returns {Promise<T>}
 */
export function within(promise, what, ms = 10_000) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return /** @type {Promise<T>} */ (Promise.race([promise, timeout]).finally(() => clearTimeout(timer)));
}

/**
 * The GamePlatformError a call fails with (the test fails if it succeeds or fails otherwise).
 * @param {Promise<unknown>} promise
 * @returns {Promise<GamePlatformError>}
 */
export async function failure(promise) {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GamePlatformError) return error;
    throw error;
  }
  throw new Error("the call succeeded; a GamePlatformError was expected");
}

// What the offline socket tests share: a stand-in WebSocket (the constructor the client takes)
// that records what the SDK asks of it and plays the server's side of the handshake, and a client
// whose only REST call, for WebSocket tickets, is answered here.
import assert from "node:assert/strict";

import { encode } from "@msgpack/msgpack";

import { Client, MemoryStorage } from "@gameplatform/client";

/** A WebSocket as browsers make it, driven by the test: `accept(protocol)`, `receive(data)`. */
export class FakeWebSocket {
  /** @type {FakeWebSocket[]} */
  static made = [];

  /**
   * @param {string} url
   * @param {string | string[]} [protocols]
   */
  constructor(url, protocols) {
    this.url = url;
    this.args = protocols === undefined ? [url] : [url, protocols];
    this.readyState = 0;
    this.protocol = "";
    this.binaryType = "blob";
    /** @type {(string | Uint8Array)[]} */
    this.sent = [];
    /** @type {((event: any) => void) | null} */
    this.onopen = null;
    /** @type {((event: any) => void) | null} */
    this.onmessage = null;
    /** @type {((event: any) => void) | null} */
    this.onclose = null;
    /** @type {((event: any) => void) | null} */
    this.onerror = null;
    FakeWebSocket.made.push(this);
  }

  /** The server's handshake answer: `protocol` is the subprotocol it agreed to ("" for none). */
  accept(protocol = "") {
    this.protocol = protocol;
    this.readyState = 1;
    this.onopen?.({});
  }

  /** @param {unknown} data */
  receive(data) {
    this.onmessage?.({ data });
  }

  /** @param {string | Uint8Array} data */
  send(data) {
    this.sent.push(data);
  }

  /** @param {number} [code] */
  close(code = 1000) {
    this.readyState = 3;
    this.onclose?.({ code, reason: "" });
  }
}

/** A fetch that hands out WebSocket tickets, the only REST call a socket makes. */
async function ticketFetch() {
  return new Response(JSON.stringify({ ticket: "t", expires_in: 30 }), {
    status: 200,
    headers: { "Content-Type": "application/json" },
  });
}

/** @param {import("@gameplatform/client").ClientOptions} [options] */
export function offlineClient(options = {}) {
  return new Client({ baseUrl: "http://game.test", storage: new MemoryStorage(), fetch: ticketFetch, WebSocket: FakeWebSocket, ...options });
}

/** The stand-in the socket made once its ticket arrived. */
export async function madeSocket() {
  const before = FakeWebSocket.made.length;
  for (let n = 0; n < 100 && FakeWebSocket.made.length === before; n += 1) await new Promise((r) => setTimeout(r, 1));
  assert.equal(FakeWebSocket.made.length, before + 1, "one WebSocket made");
  return /** @type {FakeWebSocket} */ (FakeWebSocket.made.at(-1));
}

/** An ArrayBuffer holding exactly the MessagePack encoding of `value`, as a browser delivers it. */
export function packed(/** @type {unknown} */ value) {
  const bytes = encode(value);
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
}

/**
 * How a socket's frames travel: JSON text (the default, what every server speaks) or MessagePack
 * binary messages on the `gameplatform.msgpack` subprotocol. Either way a frame is one plain
 * object with the same keys and values; only its bytes differ.
 */
import { decode, encode } from "@msgpack/msgpack";

export type Encoding = "json" | "msgpack";

/** The WebSocket subprotocol a `msgpack` socket offers (and the server names when it agrees). */
export const MSGPACK_SUBPROTOCOL = "gameplatform.msgpack";

/** The subprotocols to offer for `encoding` (none for JSON: the server's default). */
export function subprotocols(encoding: Encoding): string[] {
  return encoding === "msgpack" ? [MSGPACK_SUBPROTOCOL] : [];
}

/**
 * The frame as the connection's negotiated encoding sends it. `undefined` fields are left out,
 * as `JSON.stringify` leaves them out, so both encodings carry the same keys.
 */
export function encodeFrame(frame: Record<string, unknown>, binary: boolean): string | Uint8Array {
  return binary ? encode(frame, { ignoreUndefined: true }) : JSON.stringify(frame);
}

/**
 * A received message as a value: a text message is JSON (on either encoding), a binary one is
 * MessagePack (an `ArrayBuffer` in browsers and with `binaryType = "arraybuffer"`, a `Buffer`
 * in the `ws` package otherwise). Throws on bytes that are neither.
 */
export function decodeMessage(data: unknown): unknown {
  if (typeof data === "string") return JSON.parse(data);
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return decode(data as ArrayBuffer | ArrayBufferView);
  return JSON.parse(String(data));
}

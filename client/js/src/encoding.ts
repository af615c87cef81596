/**
 * How a socket's frames travel: JSON text (the default, what every server speaks), MessagePack
 * binary messages on the `gameplatform.msgpack` subprotocol, or on `gameplatform.compact`:
 * MessagePack with short decimals as small integers and state patches as arrays of relative
 * paths, decoded here back into the frames the contract names (`compact.ts`). Whichever it is, a
 * frame is one plain object with the same keys and values; only its bytes differ. Sending is
 * JSON, or plain MessagePack on either binary subprotocol.
 */
import { COMPACT_SUBPROTOCOL, compactDecoder } from "./compact.js";

export type Encoding = "json" | "msgpack" | "compact";

export { COMPACT_SUBPROTOCOL };

/** The WebSocket subprotocol a `msgpack` socket offers (and the server names when it agrees). */
export const MSGPACK_SUBPROTOCOL = "gameplatform.msgpack";

/** The encodings a client takes. */
export const ENCODINGS: readonly Encoding[] = ["json", "msgpack", "compact"];

type MessagePack = typeof import("@msgpack/msgpack");

// Imported on the first binary socket, not before: a page that loads the package without a
// bundler (an import map naming only `@gameplatform/client`) and speaks JSON never asks for it.
let messagePack: Promise<MessagePack> | null = null;
let loaded: MessagePack | null = null;
let decodeCompact: ((data: ArrayBuffer | ArrayBufferView) => unknown) | null = null;

/** Loads `@msgpack/msgpack` (once); rejects when it cannot be imported. */
export async function loadMessagePack(): Promise<void> {
  messagePack ??= import("@msgpack/msgpack");
  try {
    loaded = await messagePack;
  } catch (error) {
    messagePack = null;
    throw error;
  }
  decodeCompact ??= compactDecoder(loaded);
}

/** The subprotocols to offer for `encoding` (none for JSON: the server's default). */
export function subprotocols(encoding: Encoding): string[] {
  if (encoding === "msgpack") return [MSGPACK_SUBPROTOCOL];
  if (encoding === "compact") return [COMPACT_SUBPROTOCOL];
  return [];
}

/**
 * The frame as JSON text, or as MessagePack bytes when `binary` (on a connection that agreed to
 * either binary subprotocol, so after `loadMessagePack`). `undefined` fields are left out either
 * way, so both carry the same keys.
 */
export function encodeFrame(frame: Record<string, unknown>, binary: boolean): string | Uint8Array {
  return binary ? loaded!.encode(frame, { ignoreUndefined: true }) : JSON.stringify(frame);
}

/**
 * A received message as a value: a text message is JSON (on any encoding), a binary one is
 * MessagePack, read as `gameplatform.compact` when that is the connection's `protocol` (an
 * `ArrayBuffer` in browsers and with `binaryType = "arraybuffer"`, a `Buffer` in the `ws` package
 * otherwise). Throws on bytes that are neither.
 */
export function decodeMessage(data: unknown, protocol = ""): unknown {
  if (typeof data === "string") return JSON.parse(data);
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) {
    if (!loaded) throw new TypeError("a binary frame on a socket that did not ask for MessagePack");
    const bytes = data as ArrayBuffer | ArrayBufferView;
    return protocol === COMPACT_SUBPROTOCOL ? decodeCompact!(bytes) : loaded.decode(bytes);
  }
  return JSON.parse(String(data));
}

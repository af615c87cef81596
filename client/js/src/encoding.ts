/**
 * How a socket's frames travel: JSON text (the default, what every server speaks) or MessagePack
 * binary messages on the `gameplatform.msgpack` subprotocol. Either way a frame is one plain
 * object with the same keys and values; only its bytes differ.
 */
export type Encoding = "json" | "msgpack";

/** The WebSocket subprotocol a `msgpack` socket offers (and the server names when it agrees). */
export const MSGPACK_SUBPROTOCOL = "gameplatform.msgpack";

type MessagePack = typeof import("@msgpack/msgpack");

// Imported on the first `msgpack` socket, not before: a page that loads the package without a
// bundler (an import map naming only `@gameplatform/client`) and speaks JSON never asks for it.
let messagePack: Promise<MessagePack> | null = null;
let loaded: MessagePack | null = null;

/** Loads `@msgpack/msgpack` (once); rejects when it cannot be imported. */
export async function loadMessagePack(): Promise<void> {
  messagePack ??= import("@msgpack/msgpack");
  try {
    loaded = await messagePack;
  } catch (error) {
    messagePack = null;
    throw error;
  }
}

/** The subprotocols to offer for `encoding` (none for JSON: the server's default). */
export function subprotocols(encoding: Encoding): string[] {
  return encoding === "msgpack" ? [MSGPACK_SUBPROTOCOL] : [];
}

/**
 * The frame as JSON text, or as MessagePack bytes when `binary` (on a connection that agreed to
 * it, so after `loadMessagePack`). `undefined` fields are left out either way, so both carry the
 * same keys.
 */
export function encodeFrame(frame: Record<string, unknown>, binary: boolean): string | Uint8Array {
  return binary ? loaded!.encode(frame, { ignoreUndefined: true }) : JSON.stringify(frame);
}

/**
 * A received message as a value: a text message is JSON (on either encoding), a binary one is
 * MessagePack (an `ArrayBuffer` in browsers and with `binaryType = "arraybuffer"`, a `Buffer`
 * in the `ws` package otherwise). Throws on bytes that are neither.
 */
export function decodeMessage(data: unknown): unknown {
  if (typeof data === "string") return JSON.parse(data);
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) {
    if (!loaded) throw new TypeError("a binary frame on a socket that did not ask for MessagePack");
    return loaded.decode(data as ArrayBuffer | ArrayBufferView);
  }
  return JSON.parse(String(data));
}

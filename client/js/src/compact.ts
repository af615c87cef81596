/**
 * Frames of the `gameplatform.compact` subprotocol, decoded into the frames the contract names.
 *
 * The server sends MessagePack with floats that are short decimals as extensions (type 1 to 4:
 * the number of places, holding the scaled integer, big-endian and signed, in 1, 2 or 4 bytes)
 * and each `state_patch` as an array `[tick, changes, turn, turn_deadline(, timers)]` whose flat
 * `changes`, `[path, value, ...]`, are the JSON Patch operations with their paths relative to the
 * previous one's parent (the spec: the server's `gameplatform/sockets/codec.py`). `compactDecoder` gives
 * back the frame JSON would have carried: the same keys, values and ops.
 */
import type { Decoder } from "@msgpack/msgpack";

import type { PatchOperation } from "./frames.js";

type MessagePack = typeof import("@msgpack/msgpack");

/** The WebSocket subprotocol a `compact` socket offers (and the server names when it agrees). */
export const COMPACT_SUBPROTOCOL = "gameplatform.compact";

const REMOVE_TYPE = 0;
const ADD_TYPE = 5;
// Extension 0 (empty): the change removes; extension 5 wraps the value an `add` puts.
const REMOVE: unique symbol = Symbol("remove");
class Added {
  constructor(readonly value: unknown) {}
}

/** A decoder of `gameplatform.compact` frames, on the loaded `@msgpack/msgpack`. */
export function compactDecoder(msgpack: MessagePack): (data: ArrayBuffer | ArrayBufferView) => unknown {
  const codec = new msgpack.ExtensionCodec();
  const decoder: Decoder = new msgpack.Decoder({ extensionCodec: codec });
  const encode = () => null; // decoding only: the client sends plain MessagePack
  for (const places of [1, 2, 3, 4]) {
    const scale = 10 ** places;
    // Both sides divide exact numbers and IEEE division rounds correctly: the JSON text's double.
    codec.register({ type: places, encode, decode: (data) => signed(data) / scale });
  }
  codec.register({ type: REMOVE_TYPE, encode, decode: () => REMOVE });
  // The decoder is reentrant (it clones itself when entered), so an add's value nests safely.
  codec.register({ type: ADD_TYPE, encode, decode: (data) => new Added(decoder.decode(data)) });
  return (data) => expand(decoder.decode(data));
}

function signed(data: Uint8Array): number {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.byteLength === 1) return view.getInt8(0);
  if (data.byteLength === 2) return view.getInt16(0);
  if (data.byteLength === 4) return view.getInt32(0);
  throw new RangeError(`a decimal of ${data.byteLength} bytes (1, 2 or 4)`);
}

/** An array frame as the `state_patch` it stands for; every other frame is a map, as it is. */
function expand(frame: unknown): unknown {
  if (!Array.isArray(frame)) return frame;
  const [tick, changes, turn, deadline, ...rest] = frame;
  if (!Array.isArray(changes)) throw new TypeError("a compact state_patch without changes");
  const patch: Record<string, unknown> = { type: "state_patch", tick, ops: operations(changes), turn, turn_deadline: deadline };
  if (rest.length > 0) patch.timers = rest[0];
  return patch;
}

function operations(changes: unknown[]): PatchOperation[] {
  const ops: PatchOperation[] = [];
  let parent: string[] = [];
  for (let i = 0; i + 1 < changes.length; i += 2) {
    const path = changes[i];
    let tokens: string[];
    if (typeof path === "string") {
      tokens = [...parent, path];
    } else if (Array.isArray(path) && path.length === 0) {
      tokens = parent = [];
    } else if (Array.isArray(path) && Number.isInteger(path[0]) && path[0] >= 0 && path[0] <= parent.length) {
      tokens = [...parent.slice(0, parent.length - path[0]), ...path.slice(1).map(String)];
      parent = tokens.slice(0, -1);
    } else {
      throw new TypeError(`a compact patch path that does not fit: ${JSON.stringify(path)}`);
    }
    ops.push(operation(pointer(tokens), changes[i + 1]));
  }
  return ops;
}

function operation(path: string, value: unknown): PatchOperation {
  if (value === REMOVE) return { op: "remove", path };
  if (value instanceof Added) return { op: "add", path, value: value.value };
  return { op: "replace", path, value };
}

function pointer(tokens: string[]): string {
  return tokens.map((token) => `/${token.replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");
}

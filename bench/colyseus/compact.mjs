// The platform's binary subprotocols for the load generators (--encoding msgpack | compact):
// what each offers, and how its frames decode. gameplatform.compact's frames become the frames JSON
// carries: short decimals (extensions 1..4) as doubles, a state_patch sent as an array
// [tick, changes, turn, turn_deadline(, timers)] as {type, tick, ops, turn, turn_deadline(, timers)}
// with RFC 6902 ops. The spec is the module text of gameplatform/sockets/codec.py; this is the decoder of
// client/js/src/compact.ts without its checks (the SDK is TypeScript and needs a build).
import { decode, Decoder, ExtensionCodec } from "@msgpack/msgpack";

export const SUBPROTOCOLS = { msgpack: "gameplatform.msgpack", compact: "gameplatform.compact" };

const REMOVE = Symbol("remove"); // extension 0
class Added { // extension 5, wrapping an add's value
  constructor(value) {
    this.value = value;
  }
}
const codec = new ExtensionCodec();
const decoder = new Decoder({ extensionCodec: codec });
const none = () => null; // the load generators send plain MessagePack
for (const places of [1, 2, 3, 4]) {
  const scale = 10 ** places;
  codec.register({ type: places, encode: none, decode: (data) => signed(data) / scale });
}
codec.register({ type: 0, encode: none, decode: () => REMOVE });
codec.register({ type: 5, encode: none, decode: (data) => new Added(decoder.decode(data)) });

function signed(data) {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return data.byteLength === 1 ? view.getInt8(0) : data.byteLength === 2 ? view.getInt16(0) : view.getInt32(0);
}

const pointer = (tokens) => tokens.map((t) => `/${t.replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");

function compactFrame(frame) {
  if (!Array.isArray(frame)) return frame;
  const [tick, changes, turn, turnDeadline, ...rest] = frame;
  const ops = [];
  let parent = [];
  for (let i = 0; i + 1 < changes.length; i += 2) {
    const path = changes[i];
    let tokens;
    if (typeof path === "string") tokens = [...parent, path];
    else if (path.length === 0) tokens = parent = [];
    else {
      tokens = [...parent.slice(0, parent.length - path[0]), ...path.slice(1)];
      parent = tokens.slice(0, -1);
    }
    const value = changes[i + 1];
    if (value === REMOVE) ops.push({ op: "remove", path: pointer(tokens) });
    else if (value instanceof Added) ops.push({ op: "add", path: pointer(tokens), value: value.value });
    else ops.push({ op: "replace", path: pointer(tokens), value });
  }
  const patch = { type: "state_patch", tick, ops, turn, turn_deadline: turnDeadline };
  if (rest.length > 0) patch.timers = rest[0];
  return patch;
}

/** A binary frame received on `encoding`'s subprotocol, as the frame JSON would have carried. */
export function decodeFrame(data, encoding) {
  return encoding === "compact" ? compactFrame(decoder.decode(data)) : decode(data);
}

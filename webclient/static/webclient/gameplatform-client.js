// @gameplatform/client (client/js), bundled for browsers by esbuild: generated, do not edit.
// Refresh it with `make sdk-bundle` after changing client/js/src.
var __defProp = Object.defineProperty;
var __getOwnPropNames = Object.getOwnPropertyNames;
var __esm = (fn, res, err) => function __init() {
  if (err) throw err[0];
  try {
    return fn && (res = (0, fn[__getOwnPropNames(fn)[0]])(fn = 0)), res;
  } catch (e) {
    throw err = [e], e;
  }
};
var __export = (target, all) => {
  for (var name in all)
    __defProp(target, name, { get: all[name], enumerable: true });
};

// node_modules/@msgpack/msgpack/dist.esm/utils/utf8.mjs
function utf8Count(str) {
  const strLength = str.length;
  let byteLength = 0;
  let pos = 0;
  while (pos < strLength) {
    let value = str.charCodeAt(pos++);
    if ((value & 4294967168) === 0) {
      byteLength++;
      continue;
    } else if ((value & 4294965248) === 0) {
      byteLength += 2;
    } else {
      if (value >= 55296 && value <= 56319) {
        if (pos < strLength) {
          const extra = str.charCodeAt(pos);
          if ((extra & 64512) === 56320) {
            ++pos;
            value = ((value & 1023) << 10) + (extra & 1023) + 65536;
          }
        }
      }
      if ((value & 4294901760) === 0) {
        byteLength += 3;
      } else {
        byteLength += 4;
      }
    }
  }
  return byteLength;
}
function utf8EncodeJs(str, output, outputOffset) {
  const strLength = str.length;
  let offset = outputOffset;
  let pos = 0;
  while (pos < strLength) {
    let value = str.charCodeAt(pos++);
    if ((value & 4294967168) === 0) {
      output[offset++] = value;
      continue;
    } else if ((value & 4294965248) === 0) {
      output[offset++] = value >> 6 & 31 | 192;
    } else {
      if (value >= 55296 && value <= 56319) {
        if (pos < strLength) {
          const extra = str.charCodeAt(pos);
          if ((extra & 64512) === 56320) {
            ++pos;
            value = ((value & 1023) << 10) + (extra & 1023) + 65536;
          }
        }
      }
      if ((value & 4294901760) === 0) {
        output[offset++] = value >> 12 & 15 | 224;
        output[offset++] = value >> 6 & 63 | 128;
      } else {
        output[offset++] = value >> 18 & 7 | 240;
        output[offset++] = value >> 12 & 63 | 128;
        output[offset++] = value >> 6 & 63 | 128;
      }
    }
    output[offset++] = value & 63 | 128;
  }
}
function utf8EncodeTE(str, output, outputOffset) {
  sharedTextEncoder.encodeInto(str, output.subarray(outputOffset));
}
function utf8Encode(str, output, outputOffset) {
  if (str.length > TEXT_ENCODER_THRESHOLD) {
    utf8EncodeTE(str, output, outputOffset);
  } else {
    utf8EncodeJs(str, output, outputOffset);
  }
}
function utf8DecodeJs(bytes, inputOffset, byteLength) {
  let offset = inputOffset;
  const end = offset + byteLength;
  const units = [];
  let result = "";
  while (offset < end) {
    const byte1 = bytes[offset++];
    if ((byte1 & 128) === 0) {
      units.push(byte1);
    } else if ((byte1 & 224) === 192) {
      const byte2 = bytes[offset++] & 63;
      units.push((byte1 & 31) << 6 | byte2);
    } else if ((byte1 & 240) === 224) {
      const byte2 = bytes[offset++] & 63;
      const byte3 = bytes[offset++] & 63;
      units.push((byte1 & 31) << 12 | byte2 << 6 | byte3);
    } else if ((byte1 & 248) === 240) {
      const byte2 = bytes[offset++] & 63;
      const byte3 = bytes[offset++] & 63;
      const byte4 = bytes[offset++] & 63;
      let unit = (byte1 & 7) << 18 | byte2 << 12 | byte3 << 6 | byte4;
      if (unit > 65535) {
        unit -= 65536;
        units.push(unit >>> 10 & 1023 | 55296);
        unit = 56320 | unit & 1023;
      }
      units.push(unit);
    } else {
      units.push(byte1);
    }
    if (units.length >= CHUNK_SIZE) {
      result += String.fromCharCode(...units);
      units.length = 0;
    }
  }
  if (units.length > 0) {
    result += String.fromCharCode(...units);
  }
  return result;
}
function utf8DecodeTD(bytes, inputOffset, byteLength) {
  const stringBytes = bytes.subarray(inputOffset, inputOffset + byteLength);
  return sharedTextDecoder.decode(stringBytes);
}
function utf8Decode(bytes, inputOffset, byteLength) {
  if (byteLength > TEXT_DECODER_THRESHOLD) {
    return utf8DecodeTD(bytes, inputOffset, byteLength);
  } else {
    return utf8DecodeJs(bytes, inputOffset, byteLength);
  }
}
var sharedTextEncoder, TEXT_ENCODER_THRESHOLD, CHUNK_SIZE, sharedTextDecoder, TEXT_DECODER_THRESHOLD;
var init_utf8 = __esm({
  "node_modules/@msgpack/msgpack/dist.esm/utils/utf8.mjs"() {
    sharedTextEncoder = new TextEncoder();
    TEXT_ENCODER_THRESHOLD = 50;
    CHUNK_SIZE = 4096;
    sharedTextDecoder = new TextDecoder();
    TEXT_DECODER_THRESHOLD = 200;
  }
});

// node_modules/@msgpack/msgpack/dist.esm/ExtData.mjs
var ExtData;
var init_ExtData = __esm({
  "node_modules/@msgpack/msgpack/dist.esm/ExtData.mjs"() {
    ExtData = class {
      type;
      data;
      constructor(type, data) {
        this.type = type;
        this.data = data;
      }
    };
  }
});

// node_modules/@msgpack/msgpack/dist.esm/DecodeError.mjs
var DecodeError;
var init_DecodeError = __esm({
  "node_modules/@msgpack/msgpack/dist.esm/DecodeError.mjs"() {
    DecodeError = class _DecodeError extends Error {
      constructor(message) {
        super(message);
        const proto = Object.create(_DecodeError.prototype);
        Object.setPrototypeOf(this, proto);
        Object.defineProperty(this, "name", {
          configurable: true,
          enumerable: false,
          value: _DecodeError.name
        });
      }
    };
  }
});

// node_modules/@msgpack/msgpack/dist.esm/utils/int.mjs
function setUint64(view, offset, value) {
  const high = value / 4294967296;
  const low = value;
  view.setUint32(offset, high);
  view.setUint32(offset + 4, low);
}
function setInt64(view, offset, value) {
  const high = Math.floor(value / 4294967296);
  const low = value;
  view.setUint32(offset, high);
  view.setUint32(offset + 4, low);
}
function getInt64(view, offset) {
  const high = view.getInt32(offset);
  const low = view.getUint32(offset + 4);
  return high * 4294967296 + low;
}
function getUint64(view, offset) {
  const high = view.getUint32(offset);
  const low = view.getUint32(offset + 4);
  return high * 4294967296 + low;
}
var UINT32_MAX;
var init_int = __esm({
  "node_modules/@msgpack/msgpack/dist.esm/utils/int.mjs"() {
    UINT32_MAX = 4294967295;
  }
});

// node_modules/@msgpack/msgpack/dist.esm/timestamp.mjs
function encodeTimeSpecToTimestamp({ sec, nsec }) {
  if (sec >= 0 && nsec >= 0 && sec <= TIMESTAMP64_MAX_SEC) {
    if (nsec === 0 && sec <= TIMESTAMP32_MAX_SEC) {
      const rv = new Uint8Array(4);
      const view = new DataView(rv.buffer);
      view.setUint32(0, sec);
      return rv;
    } else {
      const secHigh = sec / 4294967296;
      const secLow = sec & 4294967295;
      const rv = new Uint8Array(8);
      const view = new DataView(rv.buffer);
      view.setUint32(0, nsec << 2 | secHigh & 3);
      view.setUint32(4, secLow);
      return rv;
    }
  } else {
    const rv = new Uint8Array(12);
    const view = new DataView(rv.buffer);
    view.setUint32(0, nsec);
    setInt64(view, 4, sec);
    return rv;
  }
}
function encodeDateToTimeSpec(date) {
  const msec = date.getTime();
  const sec = Math.floor(msec / 1e3);
  const nsec = (msec - sec * 1e3) * 1e6;
  const nsecInSec = Math.floor(nsec / 1e9);
  return {
    sec: sec + nsecInSec,
    nsec: nsec - nsecInSec * 1e9
  };
}
function encodeTimestampExtension(object) {
  if (object instanceof Date) {
    const timeSpec = encodeDateToTimeSpec(object);
    return encodeTimeSpecToTimestamp(timeSpec);
  } else {
    return null;
  }
}
function decodeTimestampToTimeSpec(data) {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  switch (data.byteLength) {
    case 4: {
      const sec = view.getUint32(0);
      const nsec = 0;
      return { sec, nsec };
    }
    case 8: {
      const nsec30AndSecHigh2 = view.getUint32(0);
      const secLow32 = view.getUint32(4);
      const sec = (nsec30AndSecHigh2 & 3) * 4294967296 + secLow32;
      const nsec = nsec30AndSecHigh2 >>> 2;
      return { sec, nsec };
    }
    case 12: {
      const sec = getInt64(view, 4);
      const nsec = view.getUint32(0);
      return { sec, nsec };
    }
    default:
      throw new DecodeError(`Unrecognized data size for timestamp (expected 4, 8, or 12): ${data.length}`);
  }
}
function decodeTimestampExtension(data) {
  const timeSpec = decodeTimestampToTimeSpec(data);
  return new Date(timeSpec.sec * 1e3 + timeSpec.nsec / 1e6);
}
var EXT_TIMESTAMP, TIMESTAMP32_MAX_SEC, TIMESTAMP64_MAX_SEC, timestampExtension;
var init_timestamp = __esm({
  "node_modules/@msgpack/msgpack/dist.esm/timestamp.mjs"() {
    init_DecodeError();
    init_int();
    EXT_TIMESTAMP = -1;
    TIMESTAMP32_MAX_SEC = 4294967296 - 1;
    TIMESTAMP64_MAX_SEC = 17179869184 - 1;
    timestampExtension = {
      type: EXT_TIMESTAMP,
      encode: encodeTimestampExtension,
      decode: decodeTimestampExtension
    };
  }
});

// node_modules/@msgpack/msgpack/dist.esm/ExtensionCodec.mjs
var ExtensionCodec;
var init_ExtensionCodec = __esm({
  "node_modules/@msgpack/msgpack/dist.esm/ExtensionCodec.mjs"() {
    init_ExtData();
    init_timestamp();
    ExtensionCodec = class _ExtensionCodec {
      static defaultCodec = new _ExtensionCodec();
      // ensures ExtensionCodecType<X> matches ExtensionCodec<X>
      // this will make type errors a lot more clear
      // eslint-disable-next-line @typescript-eslint/naming-convention
      __brand;
      // built-in extensions
      builtInEncoders = [];
      builtInDecoders = [];
      // custom extensions
      encoders = [];
      decoders = [];
      constructor() {
        this.register(timestampExtension);
      }
      register({ type, encode: encode2, decode: decode2 }) {
        if (type >= 0) {
          this.encoders[type] = encode2;
          this.decoders[type] = decode2;
        } else {
          const index2 = -1 - type;
          this.builtInEncoders[index2] = encode2;
          this.builtInDecoders[index2] = decode2;
        }
      }
      tryToEncode(object, context) {
        for (let i = 0; i < this.builtInEncoders.length; i++) {
          const encodeExt = this.builtInEncoders[i];
          if (encodeExt != null) {
            const data = encodeExt(object, context);
            if (data != null) {
              const type = -1 - i;
              return new ExtData(type, data);
            }
          }
        }
        for (let i = 0; i < this.encoders.length; i++) {
          const encodeExt = this.encoders[i];
          if (encodeExt != null) {
            const data = encodeExt(object, context);
            if (data != null) {
              const type = i;
              return new ExtData(type, data);
            }
          }
        }
        if (object instanceof ExtData) {
          return object;
        }
        return null;
      }
      decode(data, type, context) {
        const decodeExt = type < 0 ? this.builtInDecoders[-1 - type] : this.decoders[type];
        if (decodeExt) {
          return decodeExt(data, type, context);
        } else {
          return new ExtData(type, data);
        }
      }
    };
  }
});

// node_modules/@msgpack/msgpack/dist.esm/utils/typedArrays.mjs
function isArrayBufferLike(buffer) {
  return buffer instanceof ArrayBuffer || typeof SharedArrayBuffer !== "undefined" && buffer instanceof SharedArrayBuffer;
}
function ensureUint8Array(buffer) {
  if (buffer instanceof Uint8Array) {
    return buffer;
  } else if (ArrayBuffer.isView(buffer)) {
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } else if (isArrayBufferLike(buffer)) {
    return new Uint8Array(buffer);
  } else {
    return Uint8Array.from(buffer);
  }
}
var init_typedArrays = __esm({
  "node_modules/@msgpack/msgpack/dist.esm/utils/typedArrays.mjs"() {
  }
});

// node_modules/@msgpack/msgpack/dist.esm/Encoder.mjs
var DEFAULT_MAX_DEPTH, DEFAULT_INITIAL_BUFFER_SIZE, Encoder;
var init_Encoder = __esm({
  "node_modules/@msgpack/msgpack/dist.esm/Encoder.mjs"() {
    init_utf8();
    init_ExtensionCodec();
    init_int();
    init_typedArrays();
    DEFAULT_MAX_DEPTH = 100;
    DEFAULT_INITIAL_BUFFER_SIZE = 2048;
    Encoder = class _Encoder {
      extensionCodec;
      context;
      useBigInt64;
      maxDepth;
      initialBufferSize;
      sortKeys;
      forceFloat32;
      ignoreUndefined;
      forceIntegerToFloat;
      pos;
      view;
      bytes;
      entered = false;
      constructor(options) {
        this.extensionCodec = options?.extensionCodec ?? ExtensionCodec.defaultCodec;
        this.context = options?.context;
        this.useBigInt64 = options?.useBigInt64 ?? false;
        this.maxDepth = options?.maxDepth ?? DEFAULT_MAX_DEPTH;
        this.initialBufferSize = options?.initialBufferSize ?? DEFAULT_INITIAL_BUFFER_SIZE;
        this.sortKeys = options?.sortKeys ?? false;
        this.forceFloat32 = options?.forceFloat32 ?? false;
        this.ignoreUndefined = options?.ignoreUndefined ?? false;
        this.forceIntegerToFloat = options?.forceIntegerToFloat ?? false;
        this.pos = 0;
        this.view = new DataView(new ArrayBuffer(this.initialBufferSize));
        this.bytes = new Uint8Array(this.view.buffer);
      }
      clone() {
        return new _Encoder({
          extensionCodec: this.extensionCodec,
          context: this.context,
          useBigInt64: this.useBigInt64,
          maxDepth: this.maxDepth,
          initialBufferSize: this.initialBufferSize,
          sortKeys: this.sortKeys,
          forceFloat32: this.forceFloat32,
          ignoreUndefined: this.ignoreUndefined,
          forceIntegerToFloat: this.forceIntegerToFloat
        });
      }
      reinitializeState() {
        this.pos = 0;
      }
      /**
       * This is almost equivalent to {@link Encoder#encode}, but it returns an reference of the encoder's internal buffer and thus much faster than {@link Encoder#encode}.
       *
       * @returns Encodes the object and returns a shared reference the encoder's internal buffer.
       */
      encodeSharedRef(object) {
        if (this.entered) {
          const instance = this.clone();
          return instance.encodeSharedRef(object);
        }
        try {
          this.entered = true;
          this.reinitializeState();
          this.doEncode(object, 1);
          return this.bytes.subarray(0, this.pos);
        } finally {
          this.entered = false;
        }
      }
      /**
       * @returns Encodes the object and returns a copy of the encoder's internal buffer.
       */
      encode(object) {
        if (this.entered) {
          const instance = this.clone();
          return instance.encode(object);
        }
        try {
          this.entered = true;
          this.reinitializeState();
          this.doEncode(object, 1);
          return this.bytes.slice(0, this.pos);
        } finally {
          this.entered = false;
        }
      }
      doEncode(object, depth) {
        if (depth > this.maxDepth) {
          throw new Error(`Too deep objects in depth ${depth}`);
        }
        if (object == null) {
          this.encodeNil();
        } else if (typeof object === "boolean") {
          this.encodeBoolean(object);
        } else if (typeof object === "number") {
          if (!this.forceIntegerToFloat) {
            this.encodeNumber(object);
          } else {
            this.encodeNumberAsFloat(object);
          }
        } else if (typeof object === "string") {
          this.encodeString(object);
        } else if (this.useBigInt64 && typeof object === "bigint") {
          this.encodeBigInt64(object);
        } else {
          this.encodeObject(object, depth);
        }
      }
      ensureBufferSizeToWrite(sizeToWrite) {
        const requiredSize = this.pos + sizeToWrite;
        if (this.view.byteLength < requiredSize) {
          this.resizeBuffer(requiredSize * 2);
        }
      }
      resizeBuffer(newSize) {
        const newBuffer = new ArrayBuffer(newSize);
        const newBytes = new Uint8Array(newBuffer);
        const newView = new DataView(newBuffer);
        newBytes.set(this.bytes);
        this.view = newView;
        this.bytes = newBytes;
      }
      encodeNil() {
        this.writeU8(192);
      }
      encodeBoolean(object) {
        if (object === false) {
          this.writeU8(194);
        } else {
          this.writeU8(195);
        }
      }
      encodeNumber(object) {
        if (!this.forceIntegerToFloat && Number.isSafeInteger(object)) {
          if (object >= 0) {
            if (object < 128) {
              this.writeU8(object);
            } else if (object < 256) {
              this.writeU8(204);
              this.writeU8(object);
            } else if (object < 65536) {
              this.writeU8(205);
              this.writeU16(object);
            } else if (object < 4294967296) {
              this.writeU8(206);
              this.writeU32(object);
            } else if (!this.useBigInt64) {
              this.writeU8(207);
              this.writeU64(object);
            } else {
              this.encodeNumberAsFloat(object);
            }
          } else {
            if (object >= -32) {
              this.writeU8(224 | object + 32);
            } else if (object >= -128) {
              this.writeU8(208);
              this.writeI8(object);
            } else if (object >= -32768) {
              this.writeU8(209);
              this.writeI16(object);
            } else if (object >= -2147483648) {
              this.writeU8(210);
              this.writeI32(object);
            } else if (!this.useBigInt64) {
              this.writeU8(211);
              this.writeI64(object);
            } else {
              this.encodeNumberAsFloat(object);
            }
          }
        } else {
          this.encodeNumberAsFloat(object);
        }
      }
      encodeNumberAsFloat(object) {
        if (this.forceFloat32) {
          this.writeU8(202);
          this.writeF32(object);
        } else {
          this.writeU8(203);
          this.writeF64(object);
        }
      }
      encodeBigInt64(object) {
        if (object >= BigInt(0)) {
          this.writeU8(207);
          this.writeBigUint64(object);
        } else {
          this.writeU8(211);
          this.writeBigInt64(object);
        }
      }
      writeStringHeader(byteLength) {
        if (byteLength < 32) {
          this.writeU8(160 + byteLength);
        } else if (byteLength < 256) {
          this.writeU8(217);
          this.writeU8(byteLength);
        } else if (byteLength < 65536) {
          this.writeU8(218);
          this.writeU16(byteLength);
        } else if (byteLength < 4294967296) {
          this.writeU8(219);
          this.writeU32(byteLength);
        } else {
          throw new Error(`Too long string: ${byteLength} bytes in UTF-8`);
        }
      }
      encodeString(object) {
        const maxHeaderSize = 1 + 4;
        const byteLength = utf8Count(object);
        this.ensureBufferSizeToWrite(maxHeaderSize + byteLength);
        this.writeStringHeader(byteLength);
        utf8Encode(object, this.bytes, this.pos);
        this.pos += byteLength;
      }
      encodeObject(object, depth) {
        const ext = this.extensionCodec.tryToEncode(object, this.context);
        if (ext != null) {
          this.encodeExtension(ext);
        } else if (Array.isArray(object)) {
          this.encodeArray(object, depth);
        } else if (ArrayBuffer.isView(object)) {
          this.encodeBinary(object);
        } else if (typeof object === "object") {
          this.encodeMap(object, depth);
        } else {
          throw new Error(`Unrecognized object: ${Object.prototype.toString.apply(object)}`);
        }
      }
      encodeBinary(object) {
        const size = object.byteLength;
        if (size < 256) {
          this.writeU8(196);
          this.writeU8(size);
        } else if (size < 65536) {
          this.writeU8(197);
          this.writeU16(size);
        } else if (size < 4294967296) {
          this.writeU8(198);
          this.writeU32(size);
        } else {
          throw new Error(`Too large binary: ${size}`);
        }
        const bytes = ensureUint8Array(object);
        this.writeU8a(bytes);
      }
      encodeArray(object, depth) {
        const size = object.length;
        if (size < 16) {
          this.writeU8(144 + size);
        } else if (size < 65536) {
          this.writeU8(220);
          this.writeU16(size);
        } else if (size < 4294967296) {
          this.writeU8(221);
          this.writeU32(size);
        } else {
          throw new Error(`Too large array: ${size}`);
        }
        for (const item of object) {
          this.doEncode(item, depth + 1);
        }
      }
      countWithoutUndefined(object, keys) {
        let count = 0;
        for (const key of keys) {
          if (object[key] !== void 0) {
            count++;
          }
        }
        return count;
      }
      encodeMap(object, depth) {
        const keys = Object.keys(object);
        if (this.sortKeys) {
          keys.sort();
        }
        const size = this.ignoreUndefined ? this.countWithoutUndefined(object, keys) : keys.length;
        if (size < 16) {
          this.writeU8(128 + size);
        } else if (size < 65536) {
          this.writeU8(222);
          this.writeU16(size);
        } else if (size < 4294967296) {
          this.writeU8(223);
          this.writeU32(size);
        } else {
          throw new Error(`Too large map object: ${size}`);
        }
        for (const key of keys) {
          const value = object[key];
          if (!(this.ignoreUndefined && value === void 0)) {
            this.encodeString(key);
            this.doEncode(value, depth + 1);
          }
        }
      }
      encodeExtension(ext) {
        if (typeof ext.data === "function") {
          const data = ext.data(this.pos + 6);
          const size2 = data.length;
          if (size2 >= 4294967296) {
            throw new Error(`Too large extension object: ${size2}`);
          }
          this.writeU8(201);
          this.writeU32(size2);
          this.writeI8(ext.type);
          this.writeU8a(data);
          return;
        }
        const size = ext.data.length;
        if (size === 1) {
          this.writeU8(212);
        } else if (size === 2) {
          this.writeU8(213);
        } else if (size === 4) {
          this.writeU8(214);
        } else if (size === 8) {
          this.writeU8(215);
        } else if (size === 16) {
          this.writeU8(216);
        } else if (size < 256) {
          this.writeU8(199);
          this.writeU8(size);
        } else if (size < 65536) {
          this.writeU8(200);
          this.writeU16(size);
        } else if (size < 4294967296) {
          this.writeU8(201);
          this.writeU32(size);
        } else {
          throw new Error(`Too large extension object: ${size}`);
        }
        this.writeI8(ext.type);
        this.writeU8a(ext.data);
      }
      writeU8(value) {
        this.ensureBufferSizeToWrite(1);
        this.view.setUint8(this.pos, value);
        this.pos++;
      }
      writeU8a(values) {
        const size = values.length;
        this.ensureBufferSizeToWrite(size);
        this.bytes.set(values, this.pos);
        this.pos += size;
      }
      writeI8(value) {
        this.ensureBufferSizeToWrite(1);
        this.view.setInt8(this.pos, value);
        this.pos++;
      }
      writeU16(value) {
        this.ensureBufferSizeToWrite(2);
        this.view.setUint16(this.pos, value);
        this.pos += 2;
      }
      writeI16(value) {
        this.ensureBufferSizeToWrite(2);
        this.view.setInt16(this.pos, value);
        this.pos += 2;
      }
      writeU32(value) {
        this.ensureBufferSizeToWrite(4);
        this.view.setUint32(this.pos, value);
        this.pos += 4;
      }
      writeI32(value) {
        this.ensureBufferSizeToWrite(4);
        this.view.setInt32(this.pos, value);
        this.pos += 4;
      }
      writeF32(value) {
        this.ensureBufferSizeToWrite(4);
        this.view.setFloat32(this.pos, value);
        this.pos += 4;
      }
      writeF64(value) {
        this.ensureBufferSizeToWrite(8);
        this.view.setFloat64(this.pos, value);
        this.pos += 8;
      }
      writeU64(value) {
        this.ensureBufferSizeToWrite(8);
        setUint64(this.view, this.pos, value);
        this.pos += 8;
      }
      writeI64(value) {
        this.ensureBufferSizeToWrite(8);
        setInt64(this.view, this.pos, value);
        this.pos += 8;
      }
      writeBigUint64(value) {
        this.ensureBufferSizeToWrite(8);
        this.view.setBigUint64(this.pos, value);
        this.pos += 8;
      }
      writeBigInt64(value) {
        this.ensureBufferSizeToWrite(8);
        this.view.setBigInt64(this.pos, value);
        this.pos += 8;
      }
    };
  }
});

// node_modules/@msgpack/msgpack/dist.esm/encode.mjs
function encode(value, options) {
  const encoder = new Encoder(options);
  return encoder.encodeSharedRef(value);
}
var init_encode = __esm({
  "node_modules/@msgpack/msgpack/dist.esm/encode.mjs"() {
    init_Encoder();
  }
});

// node_modules/@msgpack/msgpack/dist.esm/utils/prettyByte.mjs
function prettyByte(byte) {
  return `${byte < 0 ? "-" : ""}0x${Math.abs(byte).toString(16).padStart(2, "0")}`;
}
var init_prettyByte = __esm({
  "node_modules/@msgpack/msgpack/dist.esm/utils/prettyByte.mjs"() {
  }
});

// node_modules/@msgpack/msgpack/dist.esm/CachedKeyDecoder.mjs
var DEFAULT_MAX_KEY_LENGTH, DEFAULT_MAX_LENGTH_PER_KEY, CachedKeyDecoder;
var init_CachedKeyDecoder = __esm({
  "node_modules/@msgpack/msgpack/dist.esm/CachedKeyDecoder.mjs"() {
    init_utf8();
    DEFAULT_MAX_KEY_LENGTH = 16;
    DEFAULT_MAX_LENGTH_PER_KEY = 16;
    CachedKeyDecoder = class {
      hit = 0;
      miss = 0;
      caches;
      maxKeyLength;
      maxLengthPerKey;
      constructor(maxKeyLength = DEFAULT_MAX_KEY_LENGTH, maxLengthPerKey = DEFAULT_MAX_LENGTH_PER_KEY) {
        this.maxKeyLength = maxKeyLength;
        this.maxLengthPerKey = maxLengthPerKey;
        this.caches = [];
        for (let i = 0; i < this.maxKeyLength; i++) {
          this.caches.push([]);
        }
      }
      canBeCached(byteLength) {
        return byteLength > 0 && byteLength <= this.maxKeyLength;
      }
      find(bytes, inputOffset, byteLength) {
        const records = this.caches[byteLength - 1];
        FIND_CHUNK: for (const record of records) {
          const recordBytes = record.bytes;
          for (let j = 0; j < byteLength; j++) {
            if (recordBytes[j] !== bytes[inputOffset + j]) {
              continue FIND_CHUNK;
            }
          }
          return record.str;
        }
        return null;
      }
      store(bytes, value) {
        const records = this.caches[bytes.length - 1];
        const record = { bytes, str: value };
        if (records.length >= this.maxLengthPerKey) {
          records[Math.random() * records.length | 0] = record;
        } else {
          records.push(record);
        }
      }
      decode(bytes, inputOffset, byteLength) {
        const cachedValue = this.find(bytes, inputOffset, byteLength);
        if (cachedValue != null) {
          this.hit++;
          return cachedValue;
        }
        this.miss++;
        const str = utf8DecodeJs(bytes, inputOffset, byteLength);
        const slicedCopyOfBytes = Uint8Array.prototype.slice.call(bytes, inputOffset, inputOffset + byteLength);
        this.store(slicedCopyOfBytes, str);
        return str;
      }
    };
  }
});

// node_modules/@msgpack/msgpack/dist.esm/Decoder.mjs
var STATE_ARRAY, STATE_MAP_KEY, STATE_MAP_VALUE, mapKeyConverter, StackPool, HEAD_BYTE_REQUIRED, EMPTY_VIEW, EMPTY_BYTES, MORE_DATA, sharedCachedKeyDecoder, Decoder;
var init_Decoder = __esm({
  "node_modules/@msgpack/msgpack/dist.esm/Decoder.mjs"() {
    init_prettyByte();
    init_ExtensionCodec();
    init_int();
    init_utf8();
    init_typedArrays();
    init_CachedKeyDecoder();
    init_DecodeError();
    STATE_ARRAY = "array";
    STATE_MAP_KEY = "map_key";
    STATE_MAP_VALUE = "map_value";
    mapKeyConverter = (key) => {
      if (typeof key === "string" || typeof key === "number") {
        return key;
      }
      throw new DecodeError("The type of key must be string or number but " + typeof key);
    };
    StackPool = class {
      stack = [];
      stackHeadPosition = -1;
      get length() {
        return this.stackHeadPosition + 1;
      }
      top() {
        return this.stack[this.stackHeadPosition];
      }
      pushArrayState(size) {
        const state = this.getUninitializedStateFromPool();
        state.type = STATE_ARRAY;
        state.position = 0;
        state.size = size;
        state.array = new Array(size);
      }
      pushMapState(size) {
        const state = this.getUninitializedStateFromPool();
        state.type = STATE_MAP_KEY;
        state.readCount = 0;
        state.size = size;
        state.map = {};
      }
      getUninitializedStateFromPool() {
        this.stackHeadPosition++;
        if (this.stackHeadPosition === this.stack.length) {
          const partialState = {
            type: void 0,
            size: 0,
            array: void 0,
            position: 0,
            readCount: 0,
            map: void 0,
            key: null
          };
          this.stack.push(partialState);
        }
        return this.stack[this.stackHeadPosition];
      }
      release(state) {
        const topStackState = this.stack[this.stackHeadPosition];
        if (topStackState !== state) {
          throw new Error("Invalid stack state. Released state is not on top of the stack.");
        }
        if (state.type === STATE_ARRAY) {
          const partialState = state;
          partialState.size = 0;
          partialState.array = void 0;
          partialState.position = 0;
          partialState.type = void 0;
        }
        if (state.type === STATE_MAP_KEY || state.type === STATE_MAP_VALUE) {
          const partialState = state;
          partialState.size = 0;
          partialState.map = void 0;
          partialState.readCount = 0;
          partialState.type = void 0;
        }
        this.stackHeadPosition--;
      }
      reset() {
        this.stack.length = 0;
        this.stackHeadPosition = -1;
      }
    };
    HEAD_BYTE_REQUIRED = -1;
    EMPTY_VIEW = new DataView(new ArrayBuffer(0));
    EMPTY_BYTES = new Uint8Array(EMPTY_VIEW.buffer);
    try {
      EMPTY_VIEW.getInt8(0);
    } catch (e) {
      if (!(e instanceof RangeError)) {
        throw new Error("This module is not supported in the current JavaScript engine because DataView does not throw RangeError on out-of-bounds access");
      }
    }
    MORE_DATA = new RangeError("Insufficient data");
    sharedCachedKeyDecoder = new CachedKeyDecoder();
    Decoder = class _Decoder {
      extensionCodec;
      context;
      useBigInt64;
      rawStrings;
      maxStrLength;
      maxBinLength;
      maxArrayLength;
      maxMapLength;
      maxExtLength;
      keyDecoder;
      mapKeyConverter;
      totalPos = 0;
      pos = 0;
      view = EMPTY_VIEW;
      bytes = EMPTY_BYTES;
      headByte = HEAD_BYTE_REQUIRED;
      stack = new StackPool();
      entered = false;
      constructor(options) {
        this.extensionCodec = options?.extensionCodec ?? ExtensionCodec.defaultCodec;
        this.context = options?.context;
        this.useBigInt64 = options?.useBigInt64 ?? false;
        this.rawStrings = options?.rawStrings ?? false;
        this.maxStrLength = options?.maxStrLength ?? UINT32_MAX;
        this.maxBinLength = options?.maxBinLength ?? UINT32_MAX;
        this.maxArrayLength = options?.maxArrayLength ?? UINT32_MAX;
        this.maxMapLength = options?.maxMapLength ?? UINT32_MAX;
        this.maxExtLength = options?.maxExtLength ?? UINT32_MAX;
        this.keyDecoder = options?.keyDecoder !== void 0 ? options.keyDecoder : sharedCachedKeyDecoder;
        this.mapKeyConverter = options?.mapKeyConverter ?? mapKeyConverter;
      }
      clone() {
        return new _Decoder({
          extensionCodec: this.extensionCodec,
          context: this.context,
          useBigInt64: this.useBigInt64,
          rawStrings: this.rawStrings,
          maxStrLength: this.maxStrLength,
          maxBinLength: this.maxBinLength,
          maxArrayLength: this.maxArrayLength,
          maxMapLength: this.maxMapLength,
          maxExtLength: this.maxExtLength,
          keyDecoder: this.keyDecoder
        });
      }
      reinitializeState() {
        this.totalPos = 0;
        this.headByte = HEAD_BYTE_REQUIRED;
        this.stack.reset();
      }
      setBuffer(buffer) {
        const bytes = ensureUint8Array(buffer);
        this.bytes = bytes;
        this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        this.pos = 0;
      }
      appendBuffer(buffer) {
        if (this.headByte === HEAD_BYTE_REQUIRED && !this.hasRemaining(1)) {
          this.setBuffer(buffer);
        } else {
          const remainingData = this.bytes.subarray(this.pos);
          const newData = ensureUint8Array(buffer);
          const newBuffer = new Uint8Array(remainingData.length + newData.length);
          newBuffer.set(remainingData);
          newBuffer.set(newData, remainingData.length);
          this.setBuffer(newBuffer);
        }
      }
      hasRemaining(size) {
        return this.view.byteLength - this.pos >= size;
      }
      createExtraByteError(posToShow) {
        const { view, pos } = this;
        return new RangeError(`Extra ${view.byteLength - pos} of ${view.byteLength} byte(s) found at buffer[${posToShow}]`);
      }
      /**
       * @throws {@link DecodeError}
       * @throws {@link RangeError}
       */
      decode(buffer) {
        if (this.entered) {
          const instance = this.clone();
          return instance.decode(buffer);
        }
        try {
          this.entered = true;
          this.reinitializeState();
          this.setBuffer(buffer);
          const object = this.doDecodeSync();
          if (this.hasRemaining(1)) {
            throw this.createExtraByteError(this.pos);
          }
          return object;
        } finally {
          this.entered = false;
        }
      }
      *decodeMulti(buffer) {
        if (this.entered) {
          const instance = this.clone();
          yield* instance.decodeMulti(buffer);
          return;
        }
        try {
          this.entered = true;
          this.reinitializeState();
          this.setBuffer(buffer);
          while (this.hasRemaining(1)) {
            yield this.doDecodeSync();
          }
        } finally {
          this.entered = false;
        }
      }
      async decodeAsync(stream) {
        if (this.entered) {
          const instance = this.clone();
          return instance.decodeAsync(stream);
        }
        try {
          this.entered = true;
          let decoded = false;
          let object;
          for await (const buffer of stream) {
            if (decoded) {
              this.entered = false;
              throw this.createExtraByteError(this.totalPos);
            }
            this.appendBuffer(buffer);
            try {
              object = this.doDecodeSync();
              decoded = true;
            } catch (e) {
              if (!(e instanceof RangeError)) {
                throw e;
              }
            }
            this.totalPos += this.pos;
          }
          if (decoded) {
            if (this.hasRemaining(1)) {
              throw this.createExtraByteError(this.totalPos);
            }
            return object;
          }
          const { headByte, pos, totalPos } = this;
          throw new RangeError(`Insufficient data in parsing ${prettyByte(headByte)} at ${totalPos} (${pos} in the current buffer)`);
        } finally {
          this.entered = false;
        }
      }
      decodeArrayStream(stream) {
        return this.decodeMultiAsync(stream, true);
      }
      decodeStream(stream) {
        return this.decodeMultiAsync(stream, false);
      }
      async *decodeMultiAsync(stream, isArray) {
        if (this.entered) {
          const instance = this.clone();
          yield* instance.decodeMultiAsync(stream, isArray);
          return;
        }
        try {
          this.entered = true;
          let isArrayHeaderRequired = isArray;
          let arrayItemsLeft = -1;
          for await (const buffer of stream) {
            if (isArray && arrayItemsLeft === 0) {
              throw this.createExtraByteError(this.totalPos);
            }
            this.appendBuffer(buffer);
            if (isArrayHeaderRequired) {
              arrayItemsLeft = this.readArraySize();
              isArrayHeaderRequired = false;
              this.complete();
            }
            try {
              while (true) {
                yield this.doDecodeSync();
                if (--arrayItemsLeft === 0) {
                  break;
                }
              }
            } catch (e) {
              if (!(e instanceof RangeError)) {
                throw e;
              }
            }
            this.totalPos += this.pos;
          }
        } finally {
          this.entered = false;
        }
      }
      doDecodeSync() {
        DECODE: while (true) {
          const headByte = this.readHeadByte();
          let object;
          if (headByte >= 224) {
            object = headByte - 256;
          } else if (headByte < 192) {
            if (headByte < 128) {
              object = headByte;
            } else if (headByte < 144) {
              const size = headByte - 128;
              if (size !== 0) {
                this.pushMapState(size);
                this.complete();
                continue DECODE;
              } else {
                object = {};
              }
            } else if (headByte < 160) {
              const size = headByte - 144;
              if (size !== 0) {
                this.pushArrayState(size);
                this.complete();
                continue DECODE;
              } else {
                object = [];
              }
            } else {
              const byteLength = headByte - 160;
              object = this.decodeString(byteLength, 0);
            }
          } else if (headByte === 192) {
            object = null;
          } else if (headByte === 194) {
            object = false;
          } else if (headByte === 195) {
            object = true;
          } else if (headByte === 202) {
            object = this.readF32();
          } else if (headByte === 203) {
            object = this.readF64();
          } else if (headByte === 204) {
            object = this.readU8();
          } else if (headByte === 205) {
            object = this.readU16();
          } else if (headByte === 206) {
            object = this.readU32();
          } else if (headByte === 207) {
            if (this.useBigInt64) {
              object = this.readU64AsBigInt();
            } else {
              object = this.readU64();
            }
          } else if (headByte === 208) {
            object = this.readI8();
          } else if (headByte === 209) {
            object = this.readI16();
          } else if (headByte === 210) {
            object = this.readI32();
          } else if (headByte === 211) {
            if (this.useBigInt64) {
              object = this.readI64AsBigInt();
            } else {
              object = this.readI64();
            }
          } else if (headByte === 217) {
            const byteLength = this.lookU8();
            object = this.decodeString(byteLength, 1);
          } else if (headByte === 218) {
            const byteLength = this.lookU16();
            object = this.decodeString(byteLength, 2);
          } else if (headByte === 219) {
            const byteLength = this.lookU32();
            object = this.decodeString(byteLength, 4);
          } else if (headByte === 220) {
            const size = this.readU16();
            if (size !== 0) {
              this.pushArrayState(size);
              this.complete();
              continue DECODE;
            } else {
              object = [];
            }
          } else if (headByte === 221) {
            const size = this.readU32();
            if (size !== 0) {
              this.pushArrayState(size);
              this.complete();
              continue DECODE;
            } else {
              object = [];
            }
          } else if (headByte === 222) {
            const size = this.readU16();
            if (size !== 0) {
              this.pushMapState(size);
              this.complete();
              continue DECODE;
            } else {
              object = {};
            }
          } else if (headByte === 223) {
            const size = this.readU32();
            if (size !== 0) {
              this.pushMapState(size);
              this.complete();
              continue DECODE;
            } else {
              object = {};
            }
          } else if (headByte === 196) {
            const size = this.lookU8();
            object = this.decodeBinary(size, 1);
          } else if (headByte === 197) {
            const size = this.lookU16();
            object = this.decodeBinary(size, 2);
          } else if (headByte === 198) {
            const size = this.lookU32();
            object = this.decodeBinary(size, 4);
          } else if (headByte === 212) {
            object = this.decodeExtension(1, 0);
          } else if (headByte === 213) {
            object = this.decodeExtension(2, 0);
          } else if (headByte === 214) {
            object = this.decodeExtension(4, 0);
          } else if (headByte === 215) {
            object = this.decodeExtension(8, 0);
          } else if (headByte === 216) {
            object = this.decodeExtension(16, 0);
          } else if (headByte === 199) {
            const size = this.lookU8();
            object = this.decodeExtension(size, 1);
          } else if (headByte === 200) {
            const size = this.lookU16();
            object = this.decodeExtension(size, 2);
          } else if (headByte === 201) {
            const size = this.lookU32();
            object = this.decodeExtension(size, 4);
          } else {
            throw new DecodeError(`Unrecognized type byte: ${prettyByte(headByte)}`);
          }
          this.complete();
          const stack = this.stack;
          while (stack.length > 0) {
            const state = stack.top();
            if (state.type === STATE_ARRAY) {
              state.array[state.position] = object;
              state.position++;
              if (state.position === state.size) {
                object = state.array;
                stack.release(state);
              } else {
                continue DECODE;
              }
            } else if (state.type === STATE_MAP_KEY) {
              if (object === "__proto__") {
                throw new DecodeError("The key __proto__ is not allowed");
              }
              state.key = this.mapKeyConverter(object);
              state.type = STATE_MAP_VALUE;
              continue DECODE;
            } else {
              state.map[state.key] = object;
              state.readCount++;
              if (state.readCount === state.size) {
                object = state.map;
                stack.release(state);
              } else {
                state.key = null;
                state.type = STATE_MAP_KEY;
                continue DECODE;
              }
            }
          }
          return object;
        }
      }
      readHeadByte() {
        if (this.headByte === HEAD_BYTE_REQUIRED) {
          this.headByte = this.readU8();
        }
        return this.headByte;
      }
      complete() {
        this.headByte = HEAD_BYTE_REQUIRED;
      }
      readArraySize() {
        const headByte = this.readHeadByte();
        switch (headByte) {
          case 220:
            return this.readU16();
          case 221:
            return this.readU32();
          default: {
            if (headByte < 160) {
              return headByte - 144;
            } else {
              throw new DecodeError(`Unrecognized array type byte: ${prettyByte(headByte)}`);
            }
          }
        }
      }
      pushMapState(size) {
        if (size > this.maxMapLength) {
          throw new DecodeError(`Max length exceeded: map length (${size}) > maxMapLengthLength (${this.maxMapLength})`);
        }
        this.stack.pushMapState(size);
      }
      pushArrayState(size) {
        if (size > this.maxArrayLength) {
          throw new DecodeError(`Max length exceeded: array length (${size}) > maxArrayLength (${this.maxArrayLength})`);
        }
        this.stack.pushArrayState(size);
      }
      decodeString(byteLength, headerOffset) {
        if (!this.rawStrings || this.stateIsMapKey()) {
          return this.decodeUtf8String(byteLength, headerOffset);
        }
        return this.decodeBinary(byteLength, headerOffset);
      }
      /**
       * @throws {@link RangeError}
       */
      decodeUtf8String(byteLength, headerOffset) {
        if (byteLength > this.maxStrLength) {
          throw new DecodeError(`Max length exceeded: UTF-8 byte length (${byteLength}) > maxStrLength (${this.maxStrLength})`);
        }
        if (this.bytes.byteLength < this.pos + headerOffset + byteLength) {
          throw MORE_DATA;
        }
        const offset = this.pos + headerOffset;
        let object;
        if (this.stateIsMapKey() && this.keyDecoder?.canBeCached(byteLength)) {
          object = this.keyDecoder.decode(this.bytes, offset, byteLength);
        } else {
          object = utf8Decode(this.bytes, offset, byteLength);
        }
        this.pos += headerOffset + byteLength;
        return object;
      }
      stateIsMapKey() {
        if (this.stack.length > 0) {
          const state = this.stack.top();
          return state.type === STATE_MAP_KEY;
        }
        return false;
      }
      /**
       * @throws {@link RangeError}
       */
      decodeBinary(byteLength, headOffset) {
        if (byteLength > this.maxBinLength) {
          throw new DecodeError(`Max length exceeded: bin length (${byteLength}) > maxBinLength (${this.maxBinLength})`);
        }
        if (!this.hasRemaining(byteLength + headOffset)) {
          throw MORE_DATA;
        }
        const offset = this.pos + headOffset;
        const object = this.bytes.subarray(offset, offset + byteLength);
        this.pos += headOffset + byteLength;
        return object;
      }
      decodeExtension(size, headOffset) {
        if (size > this.maxExtLength) {
          throw new DecodeError(`Max length exceeded: ext length (${size}) > maxExtLength (${this.maxExtLength})`);
        }
        const extType = this.view.getInt8(this.pos + headOffset);
        const data = this.decodeBinary(
          size,
          headOffset + 1
          /* extType */
        );
        return this.extensionCodec.decode(data, extType, this.context);
      }
      lookU8() {
        return this.view.getUint8(this.pos);
      }
      lookU16() {
        return this.view.getUint16(this.pos);
      }
      lookU32() {
        return this.view.getUint32(this.pos);
      }
      readU8() {
        const value = this.view.getUint8(this.pos);
        this.pos++;
        return value;
      }
      readI8() {
        const value = this.view.getInt8(this.pos);
        this.pos++;
        return value;
      }
      readU16() {
        const value = this.view.getUint16(this.pos);
        this.pos += 2;
        return value;
      }
      readI16() {
        const value = this.view.getInt16(this.pos);
        this.pos += 2;
        return value;
      }
      readU32() {
        const value = this.view.getUint32(this.pos);
        this.pos += 4;
        return value;
      }
      readI32() {
        const value = this.view.getInt32(this.pos);
        this.pos += 4;
        return value;
      }
      readU64() {
        const value = getUint64(this.view, this.pos);
        this.pos += 8;
        return value;
      }
      readI64() {
        const value = getInt64(this.view, this.pos);
        this.pos += 8;
        return value;
      }
      readU64AsBigInt() {
        const value = this.view.getBigUint64(this.pos);
        this.pos += 8;
        return value;
      }
      readI64AsBigInt() {
        const value = this.view.getBigInt64(this.pos);
        this.pos += 8;
        return value;
      }
      readF32() {
        const value = this.view.getFloat32(this.pos);
        this.pos += 4;
        return value;
      }
      readF64() {
        const value = this.view.getFloat64(this.pos);
        this.pos += 8;
        return value;
      }
    };
  }
});

// node_modules/@msgpack/msgpack/dist.esm/decode.mjs
function decode(buffer, options) {
  const decoder = new Decoder(options);
  return decoder.decode(buffer);
}
function decodeMulti(buffer, options) {
  const decoder = new Decoder(options);
  return decoder.decodeMulti(buffer);
}
var init_decode = __esm({
  "node_modules/@msgpack/msgpack/dist.esm/decode.mjs"() {
    init_Decoder();
  }
});

// node_modules/@msgpack/msgpack/dist.esm/utils/stream.mjs
function isAsyncIterable(object) {
  return object[Symbol.asyncIterator] != null;
}
async function* asyncIterableFromStream(stream) {
  const reader = stream.getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) {
        return;
      }
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}
function ensureAsyncIterable(streamLike) {
  if (isAsyncIterable(streamLike)) {
    return streamLike;
  } else {
    return asyncIterableFromStream(streamLike);
  }
}
var init_stream = __esm({
  "node_modules/@msgpack/msgpack/dist.esm/utils/stream.mjs"() {
  }
});

// node_modules/@msgpack/msgpack/dist.esm/decodeAsync.mjs
async function decodeAsync(streamLike, options) {
  const stream = ensureAsyncIterable(streamLike);
  const decoder = new Decoder(options);
  return decoder.decodeAsync(stream);
}
function decodeArrayStream(streamLike, options) {
  const stream = ensureAsyncIterable(streamLike);
  const decoder = new Decoder(options);
  return decoder.decodeArrayStream(stream);
}
function decodeMultiStream(streamLike, options) {
  const stream = ensureAsyncIterable(streamLike);
  const decoder = new Decoder(options);
  return decoder.decodeStream(stream);
}
var init_decodeAsync = __esm({
  "node_modules/@msgpack/msgpack/dist.esm/decodeAsync.mjs"() {
    init_Decoder();
    init_stream();
  }
});

// node_modules/@msgpack/msgpack/dist.esm/index.mjs
var dist_exports = {};
__export(dist_exports, {
  DecodeError: () => DecodeError,
  Decoder: () => Decoder,
  EXT_TIMESTAMP: () => EXT_TIMESTAMP,
  Encoder: () => Encoder,
  ExtData: () => ExtData,
  ExtensionCodec: () => ExtensionCodec,
  decode: () => decode,
  decodeArrayStream: () => decodeArrayStream,
  decodeAsync: () => decodeAsync,
  decodeMulti: () => decodeMulti,
  decodeMultiStream: () => decodeMultiStream,
  decodeTimestampExtension: () => decodeTimestampExtension,
  decodeTimestampToTimeSpec: () => decodeTimestampToTimeSpec,
  encode: () => encode,
  encodeDateToTimeSpec: () => encodeDateToTimeSpec,
  encodeTimeSpecToTimestamp: () => encodeTimeSpecToTimestamp,
  encodeTimestampExtension: () => encodeTimestampExtension
});
var init_dist = __esm({
  "node_modules/@msgpack/msgpack/dist.esm/index.mjs"() {
    init_encode();
    init_decode();
    init_decodeAsync();
    init_Decoder();
    init_DecodeError();
    init_Encoder();
    init_ExtensionCodec();
    init_ExtData();
    init_timestamp();
  }
});

// dist/compact.js
var COMPACT_SUBPROTOCOL = "gameplatform.compact";
var REMOVE_TYPE = 0;
var ADD_TYPE = 5;
var REMOVE = /* @__PURE__ */ Symbol("remove");
var Added = class {
  value;
  constructor(value) {
    this.value = value;
  }
};
function compactDecoder(msgpack) {
  const codec = new msgpack.ExtensionCodec();
  const decoder = new msgpack.Decoder({ extensionCodec: codec });
  const encode2 = () => null;
  for (const places of [1, 2, 3, 4]) {
    const scale = 10 ** places;
    codec.register({ type: places, encode: encode2, decode: (data) => signed(data) / scale });
  }
  codec.register({ type: REMOVE_TYPE, encode: encode2, decode: () => REMOVE });
  codec.register({ type: ADD_TYPE, encode: encode2, decode: (data) => new Added(decoder.decode(data)) });
  return (data) => expand(decoder.decode(data));
}
function signed(data) {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.byteLength === 1)
    return view.getInt8(0);
  if (data.byteLength === 2)
    return view.getInt16(0);
  if (data.byteLength === 4)
    return view.getInt32(0);
  throw new RangeError(`a decimal of ${data.byteLength} bytes (1, 2 or 4)`);
}
function expand(frame) {
  if (!Array.isArray(frame))
    return frame;
  const [tick, changes, turn, deadline, ...rest] = frame;
  if (!Array.isArray(changes))
    throw new TypeError("a compact state_patch without changes");
  const patch = { type: "state_patch", tick, ops: operations(changes), turn, turn_deadline: deadline };
  if (rest.length > 0)
    patch.timers = rest[0];
  return patch;
}
function operations(changes) {
  const ops = [];
  let parent = [];
  for (let i = 0; i + 1 < changes.length; i += 2) {
    const path = changes[i];
    let tokens2;
    if (typeof path === "string") {
      tokens2 = [...parent, path];
    } else if (Array.isArray(path) && path.length === 0) {
      tokens2 = parent = [];
    } else if (Array.isArray(path) && Number.isInteger(path[0]) && path[0] >= 0 && path[0] <= parent.length) {
      tokens2 = [...parent.slice(0, parent.length - path[0]), ...path.slice(1).map(String)];
      parent = tokens2.slice(0, -1);
    } else {
      throw new TypeError(`a compact patch path that does not fit: ${JSON.stringify(path)}`);
    }
    ops.push(operation(pointer(tokens2), changes[i + 1]));
  }
  return ops;
}
function operation(path, value) {
  if (value === REMOVE)
    return { op: "remove", path };
  if (value instanceof Added)
    return { op: "add", path, value: value.value };
  return { op: "replace", path, value };
}
function pointer(tokens2) {
  return tokens2.map((token) => `/${token.replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");
}

// dist/encoding.js
var MSGPACK_SUBPROTOCOL = "gameplatform.msgpack";
var ENCODINGS = ["json", "msgpack", "compact"];
var messagePack = null;
var loaded = null;
var decodeCompact = null;
async function loadMessagePack() {
  messagePack ??= Promise.resolve().then(() => (init_dist(), dist_exports));
  try {
    loaded = await messagePack;
  } catch (error) {
    messagePack = null;
    throw error;
  }
  decodeCompact ??= compactDecoder(loaded);
}
function subprotocols(encoding) {
  if (encoding === "msgpack")
    return [MSGPACK_SUBPROTOCOL];
  if (encoding === "compact")
    return [COMPACT_SUBPROTOCOL];
  return [];
}
function encodeFrame(frame, binary) {
  return binary ? loaded.encode(frame, { ignoreUndefined: true }) : JSON.stringify(frame);
}
function decodeMessage(data, protocol = "") {
  if (typeof data === "string")
    return JSON.parse(data);
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) {
    if (!loaded)
      throw new TypeError("a binary frame on a socket that did not ask for MessagePack");
    const bytes = data;
    return protocol === COMPACT_SUBPROTOCOL ? decodeCompact(bytes) : loaded.decode(bytes);
  }
  return JSON.parse(String(data));
}

// dist/errors.js
var GamePlatformError = class extends Error {
  status;
  code;
  detail;
  /** Validation errors by field (`{"username": ["..."]}`), when the server sent them. */
  fields;
  /** Seconds to wait before trying again, when the server said (429, 503, `rate_limited` frames). */
  retryAfter;
  /** The `ref` of the client frame a socket's `error` answers. */
  ref;
  constructor(init) {
    super(init.detail || init.code);
    this.name = "GamePlatformError";
    this.status = init.status;
    this.code = init.code;
    this.detail = init.detail || init.code;
    this.fields = init.fields ?? null;
    this.retryAfter = init.retryAfter ?? null;
    this.ref = init.ref ?? null;
  }
};
var AccountSuspended = class extends GamePlatformError {
  /** When the suspension ends (ISO 8601), or null for a ban. */
  until;
  /** Why, in the staff's words (the statement of reasons). */
  statement;
  sanctionId;
  appealToken;
  constructor(init, body = {}) {
    super(init);
    this.name = "AccountSuspended";
    this.until = typeof body.until === "string" ? body.until : null;
    this.statement = typeof body.statement === "string" ? body.statement : "";
    this.sanctionId = typeof body.sanction_id === "number" ? body.sanction_id : null;
    this.appealToken = typeof body.appeal_token === "string" ? body.appeal_token : null;
  }
  /** True for a ban (no end). */
  get banned() {
    return this.until === null;
  }
};
var Muted = class extends GamePlatformError {
  /** When the mute ends (ISO 8601). */
  until;
  constructor(init, body = {}) {
    super(init);
    this.name = "Muted";
    this.until = typeof body.until === "string" ? body.until : null;
  }
};
function coded(init, body) {
  if (init.code === "account_suspended")
    return new AccountSuspended(init, body);
  if (init.code === "muted")
    return new Muted(init, body);
  return new GamePlatformError(init);
}
async function errorFromResponse(response) {
  const header = Number(response.headers.get("Retry-After"));
  const retryAfter = Number.isFinite(header) && header > 0 ? header : null;
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  const status = response.status;
  if (body !== null && typeof body === "object" && !Array.isArray(body)) {
    const record = body;
    if (typeof record.detail === "string") {
      const code = typeof record.code === "string" ? record.code : `http_${status}`;
      const fields = isRecord(record.fields) ? record.fields : null;
      return coded({ status, code, detail: record.detail, fields, retryAfter }, record);
    }
    const detail = Object.entries(record).map(([field, messages]) => `${field}: ${[].concat(messages).join(" ")}`).join("; ");
    return new GamePlatformError({ status, code: "invalid", detail, fields: record, retryAfter });
  }
  return new GamePlatformError({ status, code: `http_${status}`, detail: response.statusText, retryAfter });
}
function errorFromFrame(frame) {
  const init = {
    status: 0,
    code: typeof frame.code === "string" ? frame.code : "error",
    detail: typeof frame.message === "string" ? frame.message : "",
    fields: isRecord(frame.fields) ? frame.fields : null,
    retryAfter: typeof frame.retry_after === "number" ? frame.retry_after : null,
    ref: typeof frame.ref === "string" ? frame.ref : null
  };
  return coded(init, frame);
}
function isRecord(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

// dist/retry.js
var DEFAULT_RETRY = { retries: 3, baseMs: 250, maxMs: 8e3, jitter: 0.5 };
var DEFAULT_RECONNECT = { retries: Infinity, baseMs: 500, maxMs: 15e3, jitter: 0.5 };
function backoffDelay(attempt, policy, random = Math.random) {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** attempt);
  const jitter = Math.min(1, Math.max(0, policy.jitter));
  return ceiling * (1 - jitter) + random() * ceiling * jitter;
}
var IDEMPOTENT_METHODS = /* @__PURE__ */ new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]);
function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// dist/session.js
var MemoryStorage = class {
  items = /* @__PURE__ */ new Map();
  getItem(key) {
    return this.items.get(key) ?? null;
  }
  setItem(key, value) {
    this.items.set(key, value);
  }
  removeItem(key) {
    this.items.delete(key);
  }
};
function defaultStorage() {
  try {
    const local = globalThis.localStorage;
    if (local)
      return local;
  } catch {
  }
  return new MemoryStorage();
}
var DEFAULT_STORAGE_KEY = "gameplatform.auth";
function readTokens(storage, key) {
  try {
    const value = JSON.parse(storage.getItem(key) ?? "null");
    if (value && typeof value === "object") {
      const { access, refresh } = value;
      if (typeof access === "string" && typeof refresh === "string")
        return { access, refresh };
    }
  } catch {
  }
  return null;
}
function writeTokens(storage, key, tokens2) {
  if (tokens2)
    storage.setItem(key, JSON.stringify({ access: tokens2.access, refresh: tokens2.refresh }));
  else
    storage.removeItem(key);
}
function tokenClaims(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const text = atob(part + "=".repeat((4 - part.length % 4) % 4));
    const claims = JSON.parse(text);
    return claims && typeof claims === "object" ? claims : null;
  } catch {
    return null;
  }
}
function tokenUserId(token) {
  const id = Number(tokenClaims(token)?.user_id);
  return Number.isInteger(id) ? id : null;
}
function refreshDueAt(token, marginS = 60) {
  const claims = tokenClaims(token);
  const exp = typeof claims?.exp === "number" ? claims.exp : null;
  if (exp === null)
    return null;
  const iat = typeof claims?.iat === "number" ? claims.iat : null;
  const lifetime = iat === null ? marginS * 4 : exp - iat;
  return (exp - Math.min(marginS, lifetime / 4)) * 1e3;
}

// dist/meta.js
var MAX_PAGE_SIZE = 200;
var slug = encodeURIComponent;
function lobbyCalls(client) {
  return {
    list: (query = {}) => client.get("/api/lobbies/", {
      public: query.public === void 0 ? void 0 : Number(query.public),
      status: query.status,
      search: query.search
    }),
    /** Premium users only (403 `premium_required`); `max_participants` 2-64. */
    create: (fields) => client.post("/api/lobbies/", fields),
    get: (id) => client.get(`/api/lobbies/${id}/`),
    /** 409 `lobby_full` / `lobby_closed`; 403 `banned` / `private_lobby`. */
    join: (id) => client.post(`/api/lobbies/${id}/join/`),
    leave: (id) => client.post(`/api/lobbies/${id}/leave/`),
    start: (id, mode) => client.post(`/api/lobbies/${id}/start/`, mode ? { mode } : {}),
    kick: (id, userId, reason = "") => client.post(`/api/lobbies/${id}/kick/`, { user_id: userId, reason }),
    ban: (id, userId, reason = "") => client.post(`/api/lobbies/${id}/ban/`, { user_id: userId, reason }),
    unban: (id, userId) => client.post(`/api/lobbies/${id}/unban/`, { user_id: userId }),
    messages: (id, query = {}) => client.get(`/api/lobbies/${id}/messages/`, query),
    /** Members only; at most 3 messages in 2 s (429 `rate_limited`). */
    post: (id, content) => client.post(`/api/lobbies/${id}/messages/`, { content }),
    /** The lobby's chat socket (members only: 4403): `lobby_state`, `chat_message`, presence, typing. */
    socket: (id, options = {}) => client.socket(`/ws/lobbies/${id}/`, options)
  };
}
function dmCalls(client) {
  return {
    conversations: () => client.get("/api/dm/"),
    /** Friends only (403 `not_friends` / `blocked`). */
    messages: (userId, query = {}) => client.get(`/api/dm/${userId}/messages/`, query),
    send: (userId, content) => client.post(`/api/dm/${userId}/messages/`, { content }),
    markRead: (userId) => client.post(`/api/dm/${userId}/read/`),
    /** The socket with one friend: `dm_message` both ways. */
    socket: (userId, options = {}) => client.socket(`/ws/dm/${userId}/`, options)
  };
}
function friendCalls(client) {
  return {
    list: () => client.get("/api/friends/"),
    /** A request to someone who already asked me accepts theirs; 409 duplicate, 403 `blocked`. */
    request: (userId) => client.post("/api/friends/requests/", { user_id: userId }),
    requests: (direction = "incoming") => client.get("/api/friends/requests/", { direction }),
    accept: (requestId) => client.post(`/api/friends/requests/${requestId}/accept/`),
    decline: (requestId) => client.post(`/api/friends/requests/${requestId}/decline/`),
    cancel: (requestId) => client.delete(`/api/friends/requests/${requestId}/`),
    remove: (userId) => client.delete(`/api/friends/${userId}/`),
    block: (userId) => client.post("/api/friends/blocks/", { user_id: userId }),
    unblock: (userId) => client.delete(`/api/friends/blocks/${userId}/`),
    /** `presence_snapshot` on connect, then `presence {user_id, status}`. */
    presenceSocket: (options = {}) => client.socket("/ws/friends/status/", options)
  };
}
function groupCalls(client) {
  return {
    list: (search = "") => client.get("/api/groups/", search ? { search } : {}),
    /** A page of the groups I am in, each with my `role`, the oldest membership first. */
    mine: ({ page, pageSize } = {}) => client.get("/api/groups/mine/", { page, page_size: pageSize }),
    /** Every group I am in (all the pages). */
    mineAll: () => client.all("/api/groups/mine/", { page_size: MAX_PAGE_SIZE }),
    /** I become its `superadmin`. */
    create: (fields) => client.post("/api/groups/", fields),
    get: (id) => client.get(`/api/groups/${id}/`),
    /** An open group at once, a closed one by request; 409 `group_full`. */
    join: (id) => client.post(`/api/groups/${id}/join/`),
    leave: (id) => client.post(`/api/groups/${id}/leave/`),
    members: (id) => client.get(`/api/groups/${id}/members/`),
    requests: (id) => client.get(`/api/groups/${id}/requests/`),
    acceptRequest: (id, userId) => client.post(`/api/groups/${id}/requests/${userId}/accept/`),
    declineRequest: (id, userId) => client.post(`/api/groups/${id}/requests/${userId}/decline/`),
    /** A higher role on a lower one (403 otherwise). */
    act: (id, action, userId) => client.post(`/api/groups/${id}/${action}/`, { user_id: userId }),
    messages: (id, query = {}) => client.get(`/api/groups/${id}/messages/`, query),
    post: (id, content) => client.post(`/api/groups/${id}/messages/`, { content }),
    /** The group's chat socket (members only: 4403). */
    socket: (id, options = {}) => client.socket(`/ws/groups/${id}/`, options)
  };
}
function leaderboardCalls(client) {
  return {
    /** A page of the boards that are not a tournament's, by id. */
    list: ({ page, pageSize } = {}) => client.get("/api/leaderboards/", { page, page_size: pageSize }),
    /** Every such board (all the pages). */
    listAll: () => client.all("/api/leaderboards/", { page_size: MAX_PAGE_SIZE }),
    get: (id) => client.get(`/api/leaderboards/${slug(id)}/`),
    /** Admins only. */
    create: (fields) => client.post("/api/leaderboards/", fields),
    /** My record after the board's operator (403 on an `authoritative` board). */
    write: (id, score, metadata = {}) => client.post(`/api/leaderboards/${slug(id)}/records/`, { score, metadata }),
    /** The top, or the rows around mine; `period: "previous"` reads the last reset's archive. */
    records: (id, { aroundMe = false, limit, period } = {}) => client.get(`/api/leaderboards/${slug(id)}/records/`, { around_me: aroundMe ? 1 : void 0, limit, period })
  };
}
function paymentCalls(client) {
  return {
    /** What can be bought with money (404 `not_configured` when no store is). */
    products: () => client.all("/api/payments/products/", { page_size: MAX_PAGE_SIZE }),
    /** A Stripe Checkout session for one product; granted only once Stripe's webhook says it was paid. */
    checkout: (productId) => client.post("/api/payments/checkout/", { product_id: productId }),
    /** My purchases, newest first, refunded ones included. */
    purchases: () => client.all("/api/payments/purchases/", { page_size: MAX_PAGE_SIZE }),
    /** My subscriptions in every store, newest first. */
    subscriptions: () => client.all("/api/payments/subscriptions/", { page_size: MAX_PAGE_SIZE }),
    /** Stop a Stripe subscription renewing (it runs to its period's end); 409 `cancel_in_store` for the stores' own. */
    cancelSubscription: (id) => client.post(`/api/payments/subscriptions/${id}/cancel/`),
    /** Stripe's customer portal (card, invoices, cancel): send the player to `url`. */
    portal: () => client.post("/api/payments/portal/")
  };
}
function tournamentCalls(client) {
  return {
    /** A page of the tournaments, the latest to start first. */
    list: ({ page, pageSize } = {}) => client.get("/api/tournaments/", { page, page_size: pageSize }),
    /** Every tournament (all the pages). */
    listAll: () => client.all("/api/tournaments/", { page_size: MAX_PAGE_SIZE }),
    get: (id) => client.get(`/api/tournaments/${slug(id)}/`),
    /** Admins only. */
    create: (fields) => client.post("/api/tournaments/", fields),
    /** Pays the entry fee once (402 `insufficient_funds`). */
    join: (id) => client.post(`/api/tournaments/${slug(id)}/join/`)
  };
}
function storageCalls(client) {
  const path = (collection, key) => `/api/storage/${slug(collection)}/${slug(key)}/`;
  return {
    /** An object of mine, or `userId`'s public one. */
    get: (collection, key, { userId } = {}) => client.get(path(collection, key), { user_id: userId }),
    /**
     * Writes an object whole. `version`: only if it is still at that version, `createOnly`: only
     * if it does not exist (else 412 `version_conflict`).
     */
    put: (collection, key, value, { read = "owner", version, createOnly = false } = {}) => {
      const headers = {};
      if (version !== void 0)
        headers["If-Match"] = `"${version}"`;
      if (createOnly)
        headers["If-None-Match"] = "*";
      return client.put(path(collection, key), { value, read }, { headers });
    },
    delete: (collection, key, { version } = {}) => client.delete(path(collection, key), version === void 0 ? {} : { headers: { "If-Match": `"${version}"` } }),
    /** My objects in a collection, or `userId`'s public ones. */
    list: (collection, { userId } = {}) => client.get(`/api/storage/${slug(collection)}/`, { user_id: userId })
  };
}
function items(listing) {
  return Array.isArray(listing) ? listing : listing.results;
}

// dist/liveops.js
var EVENT_BATCH_MAX = 100;
var EMPTY = { flags: {}, experiments: {}, live_events: [], messages_unread: 0 };
var LiveOps = class {
  /** The last answer of `GET /api/liveops/` (empty before the first `refresh()`). */
  answer = EMPTY;
  /** Events dropped because the queue was full, or refused by the server (a 4xx but 429). */
  droppedEvents = 0;
  client;
  flushIntervalMs;
  maxQueued;
  timeoutMs;
  etag = null;
  queue = [];
  flushing = null;
  timer = null;
  listeners = /* @__PURE__ */ new Set();
  unwatch = null;
  constructor(client, { flushIntervalMs = 5e3, maxQueuedEvents = 1e3, timeoutMs } = {}) {
    this.client = client;
    this.flushIntervalMs = flushIntervalMs;
    this.maxQueued = maxQueuedEvents;
    this.timeoutMs = timeoutMs ?? client.requestTimeoutMs;
  }
  // --- what I see ----------------------------------------------------------------------------
  /** `GET /api/liveops/` (with `If-None-Match`: a 304 keeps the last answer); the answer now. */
  async refresh() {
    let etag = null;
    const answer = await this.call("GET", "/api/liveops/", {
      headers: this.etag ? { "If-None-Match": this.etag } : {},
      onResponse: (response) => {
        etag = response.headers.get("ETag");
      }
    });
    if (answer !== null) {
      this.answer = answer;
      this.etag = etag;
    }
    return this.answer;
  }
  /** `{name: value}`: every flag's value for me, as of the last `refresh()`. */
  get flags() {
    return this.answer.flags;
  }
  /** A flag's value, or `fallback` when the server has no such flag (or before the first `refresh()`). */
  flag(name, fallback) {
    return Object.hasOwn(this.answer.flags, name) ? this.answer.flags[name] : fallback;
  }
  /** `{key: variation}`: the experiments I am in. */
  get experiments() {
    return this.answer.experiments;
  }
  /** The live events running now for me. */
  get liveEvents() {
    return this.answer.live_events;
  }
  /** How many messages of my liveops inbox I have not read. */
  get messagesUnread() {
    return this.answer.messages_unread;
  }
  /**
   * `fn(answer)` after each change the server announces (`liveops_changed`), once `refresh()` has
   * the new answer; opens the notification socket. Returns an unsubscribe.
   */
  onChange(fn) {
    this.listeners.add(fn);
    this.watch();
    return () => {
      this.listeners.delete(fn);
      if (this.listeners.size === 0) {
        this.unwatch?.();
        this.unwatch = null;
      }
    };
  }
  // --- what I say and do -----------------------------------------------------------------------
  /** `PUT /api/liveops/attributes/`: what my client says about itself, read by the flags' rules. */
  setAttributes({ country, platform, appVersion, custom }) {
    const body = {};
    if (country !== void 0)
      body.country = country;
    if (platform !== void 0)
      body.platform = platform;
    if (appVersion !== void 0)
      body.app_version = appVersion;
    if (custom !== void 0)
      body.custom = custom;
    return this.call("PUT", "/api/liveops/attributes/", { body });
  }
  /** Takes part in an explicit live event while it runs (409 `not_active`). */
  joinLiveEvent(id) {
    return this.call("POST", `/api/liveops/live-events/${id}/join/`);
  }
  /** My liveops inbox, newest first (every page). */
  inbox() {
    return this.client.all("/api/liveops/messages/");
  }
  /** Marks a message of my inbox read (again: the first time is kept). */
  markRead(id) {
    return this.call("POST", `/api/liveops/messages/${id}/read/`);
  }
  /** Claims the gifts of a message of my inbox, once (409 `already_claimed`, 410 `expired`). */
  claim(id) {
    return this.call("POST", `/api/liveops/messages/${id}/claim/`);
  }
  // --- analytics ---------------------------------------------------------------------------
  /** Queues an event (sent within `flushIntervalMs`); returns its id. */
  track(name, { value, metadata } = {}) {
    const id = newEventId();
    this.queue.push({ id, name, timestamp: (/* @__PURE__ */ new Date()).toISOString(), value: value ?? null, metadata: metadata ?? {} });
    const over = this.queue.length - this.maxQueued;
    if (over > 0) {
      this.queue.splice(0, over);
      this.droppedEvents += over;
    }
    this.startTimer();
    return id;
  }
  /** Events waiting to go out. */
  get queuedEvents() {
    return this.queue.length;
  }
  /**
   * Sends every queued event now, in batches of at most 100; rejects with the first failure (the
   * failed batch stays queued, ids and all, for the next flush). Concurrent callers share one flush.
   */
  flushEvents() {
    this.flushing ??= this.flushAll().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }
  /** Stops the flush timer and the change listening (`client.close()` calls it); queued events stay. */
  stop() {
    if (this.timer)
      clearInterval(this.timer);
    this.timer = null;
    this.unwatch?.();
    this.unwatch = null;
  }
  async flushAll() {
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, EVENT_BATCH_MAX);
      try {
        await this.call("POST", "/api/liveops/events/", { body: { events: batch } });
      } catch (error) {
        if (!refused(error))
          throw error;
        this.droppedEvents += batch.length;
      }
      const sent = new Set(batch.map((event) => event.id));
      this.queue = this.queue.filter((event) => !sent.has(event.id));
    }
  }
  startTimer() {
    if (this.timer)
      return;
    this.timer = setInterval(() => {
      if (this.queue.length > 0)
        this.flushEvents().catch(() => void 0);
    }, this.flushIntervalMs);
    this.timer.unref?.();
  }
  watch() {
    if (this.unwatch)
      return;
    const notifications = this.client.notifications();
    const changed = () => {
      this.refreshAndTell().catch(() => void 0);
    };
    const stops = [notifications.on("liveops_changed", changed), notifications.socket.onOpen(changed)];
    this.unwatch = () => stops.forEach((stop) => stop());
  }
  async refreshAndTell() {
    const before = this.answer;
    const answer = await this.refresh();
    if (answer === before)
      return;
    for (const fn of [...this.listeners]) {
      try {
        fn(answer);
      } catch (error) {
        console.error("gameplatform: a liveops onChange listener threw", error);
      }
    }
  }
  /** One call that gives up after `timeoutMs` (a `GamePlatformError` `timeout`). */
  async call(method, path, options = {}) {
    const signal = AbortSignal.timeout(this.timeoutMs);
    try {
      return await this.client.request(method, path, { ...options, signal });
    } catch (error) {
      if (signal.aborted) {
        throw new GamePlatformError({ status: 0, code: "timeout", detail: `${method} ${path}: no answer within ${this.timeoutMs} ms` });
      }
      throw error;
    }
  }
};
function refused(error) {
  return error instanceof GamePlatformError && error.status >= 400 && error.status < 500 && error.status !== 429;
}
function newEventId() {
  const uuid = globalThis.crypto?.randomUUID;
  if (uuid)
    return uuid.call(globalThis.crypto);
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
}

// dist/frames.js
function isSanctionNotification(notification) {
  return notification.kind === "sanction";
}

// dist/notifications.js
var Notifications = class {
  socket;
  client;
  reported = /* @__PURE__ */ new Set();
  matchListeners = /* @__PURE__ */ new Set();
  constructor(client, options = {}) {
    this.client = client;
    this.socket = client.socket("/ws/notifications/", options);
    this.socket.on("match_found", (frame) => this.report(frame.game_id, false));
    this.socket.onOpen(() => void this.askForMatch());
  }
  /** `fn(frame)` for the socket's frames; `match_found` comes once per game, live or replayed. */
  on = (type, fn) => {
    if (type !== "match_found")
      return this.socket.on(type, fn);
    this.matchListeners.add(fn);
    return () => this.matchListeners.delete(fn);
  };
  /**
   * `fn(frame)` for each `sanction` notification: a sanction imposed on me (`payload.event`
   * `"imposed"`), lifted by staff (`"lifted"`, its `lift_statement` saying why) or my appeal of
   * one decided (`"appeal_decided"`), with its `statement` and end.
   */
  onSanction(fn) {
    return this.socket.on("notification", (frame) => {
      if (isSanctionNotification(frame))
        fn(frame);
    });
  }
  /** The next match reported from now on (live or replayed); rejects with `timeout` after `timeoutMs`. */
  nextMatch({ timeoutMs = 6e4 } = {}) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        stop();
        reject(new GamePlatformError({ status: 0, code: "timeout", detail: `no match_found within ${timeoutMs} ms` }));
      }, timeoutMs);
      const stop = this.on("match_found", (frame) => {
        stop();
        clearTimeout(timer);
        resolve(frame);
      });
    });
  }
  close() {
    this.socket.close();
  }
  /** Reports a match the SDK learnt of another way (a queue join answered `matched`). */
  report(gameId, replayed) {
    if (this.reported.has(gameId))
      return;
    this.reported.add(gameId);
    const frame = { type: "match_found", game_id: gameId, ...replayed ? { replayed } : {} };
    for (const fn of this.matchListeners) {
      try {
        fn(frame);
      } catch (error) {
        console.error("gameplatform: a match_found listener threw", error);
      }
    }
  }
  async askForMatch() {
    try {
      const status = await this.client.matchmaking.status();
      if (status.status === "matched" && status.game_id !== null)
        this.report(status.game_id, true);
    } catch {
    }
  }
};

// dist/patch.js
var PatchError = class extends Error {
  name = "PatchError";
};
function applyPatch(doc, ops) {
  let root = copy(doc);
  for (const op of ops)
    root = applyOne(root, op);
  return root;
}
function applyOne(root, op) {
  switch (op.op) {
    case "add":
      return put(root, op.path, copy(op.value), "add");
    case "replace":
      return put(root, op.path, copy(op.value), "replace");
    case "remove":
      return remove(root, op.path);
    case "move": {
      const value = get(root, from(op));
      if (op.path.startsWith(`${op.from}/`))
        throw new PatchError(`cannot move ${op.from} into itself`);
      return put(remove(root, from(op)), op.path, value, "add");
    }
    case "copy":
      return put(root, op.path, copy(get(root, from(op))), "add");
    case "test":
      if (JSON.stringify(get(root, op.path)) !== JSON.stringify(op.value))
        throw new PatchError(`test failed at ${op.path}`);
      return root;
    default:
      throw new PatchError(`unknown op ${String(op.op)}`);
  }
}
function from(op) {
  if (typeof op.from !== "string")
    throw new PatchError(`${op.op} without from`);
  return op.from;
}
function tokens(path) {
  if (path === "")
    return [];
  if (!path.startsWith("/"))
    throw new PatchError(`bad pointer ${path}`);
  return path.slice(1).split("/").map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
}
function index(list, token, end) {
  if (end && token === "-")
    return list.length;
  if (!/^(0|[1-9][0-9]*)$/.test(token))
    throw new PatchError(`bad index ${token}`);
  const at = Number(token);
  if (at > list.length || at === list.length && !end)
    throw new PatchError(`index ${at} out of range`);
  return at;
}
function parentOf(root, path) {
  const parts = tokens(path);
  const last = parts.pop();
  let node = root;
  for (const token of parts) {
    node = Array.isArray(node) ? node[index(node, token, false)] : isObject(node) ? node[token] : void 0;
  }
  if (!Array.isArray(node) && !isObject(node))
    throw new PatchError(`no container at ${path}`);
  return [node, last];
}
function get(root, path) {
  if (path === "")
    return root;
  const [parent, key] = parentOf(root, path);
  if (Array.isArray(parent))
    return parent[index(parent, key, false)];
  if (!Object.prototype.hasOwnProperty.call(parent, key))
    throw new PatchError(`nothing at ${path}`);
  return parent[key];
}
function put(root, path, value, how) {
  if (path === "")
    return value;
  const [parent, key] = parentOf(root, path);
  if (Array.isArray(parent)) {
    const at = index(parent, key, how === "add");
    if (how === "add")
      parent.splice(at, 0, value);
    else
      parent[at] = value;
  } else {
    if (how === "replace" && !Object.prototype.hasOwnProperty.call(parent, key))
      throw new PatchError(`nothing at ${path}`);
    parent[key] = value;
  }
  return root;
}
function remove(root, path) {
  if (path === "")
    throw new PatchError("cannot remove the whole document");
  const [parent, key] = parentOf(root, path);
  if (Array.isArray(parent))
    parent.splice(index(parent, key, false), 1);
  else if (Object.prototype.hasOwnProperty.call(parent, key))
    delete parent[key];
  else
    throw new PatchError(`nothing at ${path}`);
  return root;
}
function isObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
function copy(value) {
  return value === void 0 ? null : JSON.parse(JSON.stringify(value));
}

// dist/room.js
var DEFAULT_REQUEST_TIMEOUT_MS = 1e4;
var MAX_TIMER_MS = 2 ** 31 - 1;
var UNAVAILABLE_RETRY_MS = 1e3;
function checkedTimeout(ms, where) {
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms <= 0 || ms > MAX_TIMER_MS) {
    throw new TypeError(`${where}: milliseconds above 0 and at most ${MAX_TIMER_MS}, not ${String(ms)}`);
  }
  return ms;
}
var OVER = /* @__PURE__ */ new Set(["finished", "abandoned", "aborted"]);
var GameRoom = class {
  id;
  client;
  socket;
  /** The latest `game_state` without its view (patches update `tick`, `turn`, `turn_deadline`). */
  game = null;
  /** My view of the game: the latest `game_state`'s `view` with every patch since applied. */
  view = null;
  /** The `game_over` frame, once the game has ended. */
  over = null;
  changeListeners = /* @__PURE__ */ new Set();
  pending = /* @__PURE__ */ new Map();
  refs = 0;
  // Refs differ between rooms (a page loaded again makes a new room): the server takes a ref once.
  refTag = Math.random().toString(36).slice(2, 10);
  requestTimeoutMs;
  /** The connection (its number in `socket.opens`) whose `game_state` the view is built on; 0: none yet. */
  stateOn = 0;
  /** When the turn clock runs out, by the client's clock (milliseconds), or null. */
  deadlineAt = null;
  constructor(client, id, options = {}) {
    const { watch = false, requestTimeoutMs, ...socketOptions } = options;
    this.id = id;
    this.client = client;
    this.requestTimeoutMs = requestTimeoutMs === void 0 ? client.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS : checkedTimeout(requestTimeoutMs, "gameRoom(id, { requestTimeoutMs })");
    this.socket = client.socket(`/ws/game/${id}/${watch ? "?watch=1" : ""}`, socketOptions);
    this.socket.on("game_state", (frame) => this.onState(frame));
    this.socket.on("state_patch", (frame) => this.onPatch(frame));
    this.socket.on("game_over", (frame) => this.onOver(frame));
    this.socket.on("ack", (frame) => this.answered(frame));
    this.socket.on("error", (error) => error.ref && this.refused(error.ref, error));
    this.socket.onClose((reason) => this.onClose(reason.reconnect));
  }
  get state() {
    return this.game?.state ?? null;
  }
  get mode() {
    return this.game?.mode ?? null;
  }
  get players() {
    return this.game?.players ?? [];
  }
  get tick() {
    return this.game?.tick ?? null;
  }
  /** Whose turn it is (a user id), or null (real-time modes, a game not started). */
  get turn() {
    return this.game?.turn ?? null;
  }
  get myTurn() {
    return this.state === "active" && this.turn !== null && this.turn === this.client.userId;
  }
  get status() {
    return this.socket.status;
  }
  /**
   * Seconds left on the turn clock (modes with `turn_seconds`), counted down from the latest
   * frame that set it; null while no clock runs.
   */
  secondsLeft() {
    if (this.deadlineAt === null)
      return null;
    return Math.max(0, (this.deadlineAt - this.client.clock()) / 1e3);
  }
  /** `fn(frame)` for the room's frames (`player_move`, `game_action`...), after the room took them in. */
  on = (type, fn) => this.socket.on(type, fn);
  /** `fn(view, room)` after every `game_state` and `state_patch`; returns an unsubscribe function. */
  onChange(fn) {
    this.changeListeners.add(fn);
    return () => this.changeListeners.delete(fn);
  }
  /**
   * Resolves with the room once `test(room)` holds: at once if it does now, else after the change
   * that makes it hold. E.g. `await room.until((r) => r.myTurn || r.over !== null)`.
   */
  until(test, { timeoutMs = 3e4 } = {}) {
    if (test(this))
      return Promise.resolve(this);
    return new Promise((resolve, reject) => {
      const stop = () => {
        stopChange();
        stopClose();
        clearTimeout(timer);
      };
      const check = () => {
        if (!test(this))
          return;
        stop();
        resolve(this);
      };
      const stopChange = this.onChange(check);
      const stopClose = this.socket.onClose((reason) => {
        if (reason.reconnect)
          return;
        stop();
        reject(new GamePlatformError({ status: 0, code: "socket_closed", detail: reason.description }));
      });
      const timer = setTimeout(() => {
        stop();
        reject(new GamePlatformError({ status: 0, code: "timeout", detail: `not reached within ${timeoutMs} ms` }));
      }, timeoutMs);
    });
  }
  /** The end of the game: its `game_over` (at once if it is over already). */
  async gameOver({ timeoutMs = 6e5 } = {}) {
    await this.until((room) => room.over !== null, { timeoutMs });
    return this.over;
  }
  // --- inputs ------------------------------------------------------------------------------
  /**
   * I am ready; the game starts once every player is. Each call below resolves once the server took
   * its frame, or rejects with a `GamePlatformError`: the `error` the server refused it with,
   * `timeout` past `timeoutMs`, `disconnected` when the socket closed for good before the answer.
   */
  ready(options = {}) {
    return this.request("player_ready", {}, options);
  }
  /** A turn-based move (`player_move {movement}`); resolves with my view once the server took it. */
  async move(movement, options = {}) {
    await this.request("player_move", { movement }, options);
    return this.view;
  }
  /** A mode's action (`game_action {action, data}`); resolves with my view once the server took it. */
  async action(action, data = {}, options = {}) {
    await this.request("game_action", { action, data }, options);
    return this.view;
  }
  /**
   * A real-time input (`input {data}`), fire and forget: its effect comes in a later patch; a
   * refusal (`rate_limited`, `invalid`) reaches `on("error")`.
   */
  send(data) {
    return this.socket.send("input", { data });
  }
  forfeit(options = {}) {
    return this.request("forfeit", {}, options);
  }
  close() {
    this.socket.close();
  }
  /** Calls still waiting for their answer. */
  get waiting() {
    return this.pending.size;
  }
  request(type, fields, options) {
    let timeoutMs = this.requestTimeoutMs;
    try {
      if (options.timeoutMs !== void 0)
        timeoutMs = checkedTimeout(options.timeoutMs, `${type} { timeoutMs }`);
    } catch (error) {
      return Promise.reject(error);
    }
    this.refs += 1;
    const ref = `${type}-${this.refTag}-${this.refs}`;
    return new Promise((resolve, reject) => {
      const detail = `no answer to ${type} within ${timeoutMs} ms`;
      const deadline = setTimeout(() => this.fail(ref, new GamePlatformError({ status: 0, code: "timeout", detail, ref })), timeoutMs);
      const pending = {
        type,
        fields: { ...fields, ref },
        resolve,
        reject,
        connection: 0,
        resend: false,
        deadline,
        endsAt: Date.now() + timeoutMs,
        retry: null
      };
      this.pending.set(ref, pending);
      const result = this.socket.send(type, pending.fields);
      if (result === "dropped") {
        this.fail(ref, new GamePlatformError({ status: 0, code: "socket_closed", detail: "the game's socket is closed", ref }));
        return;
      }
      pending.connection = result === "sent" ? this.socket.opens : this.socket.opens + 1;
    });
  }
  /** Sends a pending frame again (same ref) if this connection has its `game_state`; else at the next one. */
  sendAgain(pending) {
    if (!this.socket.isOpen || this.stateOn !== this.socket.opens) {
      pending.resend = true;
      return;
    }
    pending.resend = false;
    this.socket.send(pending.type, { ...pending.fields, resent: true });
    pending.connection = this.socket.opens;
  }
  answered(frame) {
    const pending = this.settle(frame.ref);
    pending?.resolve();
  }
  refused(ref, error) {
    const pending = this.pending.get(ref);
    if (!pending)
      return;
    if (error.code === "unavailable") {
      const wait = error.retryAfter !== null && error.retryAfter >= 0 ? error.retryAfter * 1e3 : UNAVAILABLE_RETRY_MS;
      if (Date.now() + wait < pending.endsAt) {
        if (pending.retry)
          clearTimeout(pending.retry);
        pending.retry = setTimeout(() => {
          pending.retry = null;
          if (this.pending.get(ref) === pending)
            this.sendAgain(pending);
        }, wait);
        return;
      }
    }
    this.fail(ref, error);
  }
  fail(ref, error) {
    this.settle(ref)?.reject(error);
  }
  /** The pending call of `ref`, taken out with its timers stopped; undefined when none waits. */
  settle(ref) {
    const pending = this.pending.get(ref);
    if (!pending)
      return void 0;
    this.pending.delete(ref);
    clearTimeout(pending.deadline);
    if (pending.retry)
      clearTimeout(pending.retry);
    return pending;
  }
  // A frame that went out on a connection now gone may or may not have been taken: it is sent
  // again once the next connection has its game_state (a ref the server took is not applied
  // twice). Frames still queued go out on the next connection. A socket closed for good fails them.
  onClose(comesBack) {
    for (const [ref, pending] of this.pending) {
      if (!comesBack) {
        const detail = "the connection closed before the server answered; the frame may or may not have been taken";
        this.fail(ref, new GamePlatformError({ status: 0, code: "disconnected", detail, ref }));
      } else if (pending.retry === null && pending.connection <= this.socket.opens) {
        pending.resend = true;
      }
    }
  }
  // --- what the server sends ---------------------------------------------------------------
  // Every connection's first game_state replaces the view whole (patches meanwhile were not
  // applied: they follow a view this client may not have); the calls waiting for it go out again.
  onState(frame) {
    const { view, ...game } = frame;
    this.stateOn = this.socket.opens;
    const same = this.game !== null && JSON.stringify([this.game, this.view]) === JSON.stringify([game, view ?? null]);
    this.game = game;
    this.view = view ?? null;
    this.setClock(game.turn_deadline);
    if (OVER.has(game.state) && !this.over) {
      this.over = { type: "game_over", winner_id: game.winner_id, reason: game.reason ?? game.state };
    }
    if (!same)
      this.changed();
    for (const pending of [...this.pending.values()])
      if (pending.resend)
        this.sendAgain(pending);
  }
  onPatch(frame) {
    if (!this.game || this.stateOn !== this.socket.opens)
      return;
    try {
      this.view = applyPatch(this.view, frame.ops ?? []);
    } catch (error) {
      if (!(error instanceof PatchError))
        throw error;
      this.game = null;
      this.socket.reconnect();
      return;
    }
    if ("turn_deadline" in frame)
      this.setClock(frame.turn_deadline);
    this.game = {
      ...this.game,
      tick: frame.tick ?? this.game.tick,
      ..."turn" in frame ? { turn: frame.turn ?? null } : {},
      ..."turn_deadline" in frame ? { turn_deadline: frame.turn_deadline ?? null } : {}
    };
    this.changed();
  }
  // `turn_deadline` is the seconds left when the frame was sent: the clock starts on arrival.
  setClock(seconds) {
    this.deadlineAt = typeof seconds === "number" ? this.client.clock() + seconds * 1e3 : null;
  }
  onOver(frame) {
    this.over = frame;
    this.changed();
  }
  changed() {
    for (const fn of this.changeListeners) {
      try {
        fn(this.view, this);
      } catch (error) {
        console.error("gameplatform: an onChange listener threw", error);
      }
    }
  }
};

// dist/close.js
var NORMAL = { kind: "normal", reconnect: false, description: "closed normally" };
var FLOODING = { kind: "policy_violation", reconnect: true, description: "policy violation (flooding)" };
var TOO_LARGE = { kind: "too_large", reconnect: true, description: "a frame was too large" };
var RESTART = {
  kind: "service_restart",
  reconnect: true,
  description: "the server is restarting (a deploy): reconnect, to another server"
};
var LATER = {
  kind: "try_again_later",
  reconnect: true,
  description: "a service the server needs is unavailable: try again later"
};
var CLOSE_CODES = {
  1e3: NORMAL,
  1001: { kind: "going_away", reconnect: true, description: "the server is going away (a restart, a deploy)" },
  1006: { kind: "abnormal", reconnect: true, description: "the connection dropped without a close frame" },
  1008: FLOODING,
  1009: TOO_LARGE,
  1011: { kind: "server_error", reconnect: true, description: "the server met an unexpected error" },
  1012: RESTART,
  1013: LATER,
  4008: FLOODING,
  4009: TOO_LARGE,
  4012: RESTART,
  4013: LATER,
  4400: { kind: "unsupported_version", reconnect: false, description: "unsupported protocol version" },
  4401: { kind: "unauthenticated", reconnect: true, description: "not authenticated, or the access token expired" },
  4403: { kind: "forbidden", reconnect: false, description: "not allowed (not a member, banned, kicked, blocked)" },
  4404: { kind: "not_found", reconnect: false, description: "no such room" },
  4409: { kind: "replaced", reconnect: false, description: "replaced by a newer connection" }
};
function closeReason(code, reason = "", byClient = false) {
  const meaning = CLOSE_CODES[code] ?? { kind: "unknown", reconnect: true, description: `close code ${code}` };
  return { code, reason, byClient, ...meaning, reconnect: byClient ? false : meaning.reconnect };
}

// dist/socket.js
var OPEN = 1;
var STABLE_MS = 2e3;
var RECONNECT_CODE = 4e3;
var Socket = class {
  client;
  path;
  /** Connections opened so far (1 after the first open; more after reconnections). */
  opens = 0;
  /** Why the last connection closed, or null while none has. */
  lastClose = null;
  statusNow = "connecting";
  ws = null;
  // As JSON text, taken when sent (a later change to the fields is not sent).
  queue = [];
  listeners = /* @__PURE__ */ new Map();
  openListeners = /* @__PURE__ */ new Set();
  closeListeners = /* @__PURE__ */ new Set();
  statusListeners = /* @__PURE__ */ new Set();
  options;
  // The binary subprotocol the server agreed to on the current connection ("": it speaks JSON).
  agreed = "";
  // The last frame of this connection when it was an `error` (the server says why before it closes).
  lastError = null;
  attempt = 0;
  openedAt = 0;
  closedForGood = false;
  dropping = false;
  retryTimer = null;
  pingTimer = null;
  constructor(client, path, options = {}) {
    this.client = client;
    this.path = path;
    this.options = { reconnect: true, pingMs: 25e3, maxQueue: 256, encoding: client.encoding, ...options };
    if (!client.WebSocket) {
      const detail = "no WebSocket: pass { WebSocket } to new Client() (in Node 20: the ws package's)";
      throw new GamePlatformError({ status: 0, code: "no_websocket", detail });
    }
    queueMicrotask(() => void this.connect());
  }
  get status() {
    return this.statusNow;
  }
  get isOpen() {
    return this.ws !== null && this.ws.readyState === OPEN && this.statusNow === "open";
  }
  /** How this socket asked its frames to travel (`encoding`). */
  get encoding() {
    return this.options.encoding;
  }
  /**
   * The subprotocol the server agreed to on the current connection: `"gameplatform.msgpack"` or
   * `"gameplatform.compact"` when frames travel as MessagePack, `""` for JSON (or while not open).
   */
  get protocol() {
    return this.isOpen ? this.agreed : "";
  }
  /** Frames waiting for the socket to open. */
  get queued() {
    return this.queue.length;
  }
  on(type, fn) {
    let set = this.listeners.get(type);
    if (!set)
      this.listeners.set(type, set = /* @__PURE__ */ new Set());
    set.add(fn);
    return () => set.delete(fn);
  }
  /** `fn({reconnected})` each time a connection opens. */
  onOpen(fn) {
    this.openListeners.add(fn);
    return () => this.openListeners.delete(fn);
  }
  /** `fn(reason)` each time a connection closes: why, and whether the socket comes back. */
  onClose(fn) {
    this.closeListeners.add(fn);
    return () => this.closeListeners.delete(fn);
  }
  /** `fn(status)` on every change: connecting, open, reconnecting, closed. */
  onStatus(fn) {
    this.statusListeners.add(fn);
    return () => this.statusListeners.delete(fn);
  }
  next(type, { match, timeoutMs = 1e4 } = {}) {
    return new Promise((resolve, reject) => {
      const done = () => {
        stop();
        stopClose();
        clearTimeout(timer);
      };
      const stop = this.on(type, (frame) => {
        if (!match || match(frame)) {
          done();
          resolve(frame);
        }
      });
      const stopClose = this.onClose((reason) => {
        if (reason.reconnect)
          return;
        done();
        reject(new GamePlatformError({ status: 0, code: "socket_closed", detail: reason.description }));
      });
      const timer = setTimeout(() => {
        done();
        reject(new GamePlatformError({ status: 0, code: "timeout", detail: `no ${type} frame within ${timeoutMs} ms` }));
      }, timeoutMs);
    });
  }
  // --- sending --------------------------------------------------------------------------
  /**
   * Sends `{type, ...fields}` now if open ("sent"), else queues it for the next open ("queued");
   * a socket closed for good drops it ("dropped").
   */
  send(type, fields = {}) {
    if (this.closedForGood)
      return "dropped";
    const frame = { ...fields, type };
    if (this.isOpen) {
      this.ws.send(encodeFrame(frame, this.agreed !== ""));
      return "sent";
    }
    this.queue.push(JSON.stringify(frame));
    if (this.queue.length > this.options.maxQueue)
      this.queue.shift();
    return "queued";
  }
  // --- life cycle ---------------------------------------------------------------------------
  /** Closes for good (no reconnection); `onClose` hears `byClient: true`. Queued frames are dropped. */
  close() {
    if (this.closedForGood)
      return;
    this.closedForGood = true;
    this.queue.length = 0;
    this.clearTimers();
    const ws = this.ws;
    this.ws = null;
    if (ws && ws.readyState <= OPEN)
      ws.close(1e3);
    this.finish(closeReason(1e3, "", true));
  }
  /**
   * Drops the current connection and makes a new one at once (listeners and queue kept); the
   * server sends a socket's opening frames (a fresh `game_state`...) again.
   */
  reconnect() {
    if (this.closedForGood || !this.ws)
      return;
    this.dropping = true;
    const ws = this.ws;
    if (typeof ws.terminate === "function")
      ws.terminate();
    else
      ws.close(RECONNECT_CODE, "reconnect");
  }
  async connect() {
    if (this.closedForGood)
      return;
    this.setStatus(this.opens === 0 && this.attempt === 0 ? "connecting" : "reconnecting");
    const WebSocketImpl = this.client.WebSocket;
    let url;
    try {
      url = await this.url();
    } catch (error) {
      if (error instanceof GamePlatformError && error.status === 401) {
        this.closedForGood = true;
        this.finish(closeReason(4401, "not logged in"));
        return;
      }
      if (error instanceof AccountSuspended) {
        this.closedForGood = true;
        this.finish({ ...closeReason(4403, error.detail), error });
        return;
      }
      this.retryLater();
      return;
    }
    if (this.closedForGood)
      return;
    if (this.options.encoding !== "json") {
      try {
        await loadMessagePack();
      } catch (error) {
        this.closedForGood = true;
        const detail = error instanceof Error ? error.message : String(error);
        const needs = `encoding "${this.options.encoding}" needs @msgpack/msgpack: ${detail}`;
        this.finish({ ...closeReason(1006, needs), reconnect: false });
        return;
      }
      if (this.closedForGood)
        return;
    }
    let ws;
    try {
      const protocols = subprotocols(this.options.encoding);
      ws = protocols.length > 0 ? new WebSocketImpl(url, protocols) : new WebSocketImpl(url);
      if (protocols.length > 0)
        ws.binaryType = "arraybuffer";
    } catch (error) {
      this.closedForGood = true;
      const reason = error instanceof Error ? error.message : String(error);
      this.finish({ ...closeReason(1006, reason), reconnect: false });
      return;
    }
    this.ws = ws;
    ws.onopen = () => this.opened(ws);
    ws.onmessage = (event) => this.received(ws, event.data);
    ws.onclose = (event) => void this.closed(ws, Number(event.code) || 1006, String(event.reason ?? ""));
    ws.onerror = () => {
    };
  }
  /** The socket's URL with a fresh one-time ticket. */
  async url() {
    const { ticket } = await this.client.wsTicket();
    const url = new URL(this.client.url(this.path));
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("ticket", ticket);
    return url.toString();
  }
  opened(ws) {
    if (ws !== this.ws)
      return;
    this.opens += 1;
    this.openedAt = Date.now();
    this.lastError = null;
    const [offered = ""] = subprotocols(this.options.encoding);
    this.agreed = offered !== "" && (ws.protocol ?? offered) === offered ? offered : "";
    const binary = this.agreed !== "";
    this.setStatus("open");
    for (const text of this.queue.splice(0))
      ws.send(binary ? encodeFrame(JSON.parse(text), true) : text);
    if (this.options.pingMs > 0) {
      const ping = encodeFrame({ type: "ping" }, binary);
      this.pingTimer = setInterval(() => this.isOpen && ws.send(ping), this.options.pingMs);
      this.pingTimer.unref?.();
    }
    for (const fn of this.openListeners)
      safely(fn, { reconnected: this.opens > 1 });
  }
  received(ws, data) {
    if (ws !== this.ws)
      return;
    let frame;
    try {
      frame = decodeMessage(data, this.agreed);
    } catch {
      return;
    }
    if (!frame || typeof frame !== "object" || typeof frame.type !== "string")
      return;
    const typed = frame;
    const error = typed.type === "error" ? errorFromFrame(typed) : null;
    this.lastError = error;
    this.emit(typed.type, error ?? typed);
    if (!error)
      this.emit("*", typed);
  }
  async closed(ws, code, reason) {
    if (ws !== this.ws)
      return;
    this.ws = null;
    this.clearTimers();
    if (Date.now() - this.openedAt >= STABLE_MS)
      this.attempt = 0;
    const dropped = this.dropping;
    this.dropping = false;
    const error = this.lastError;
    this.lastError = null;
    const told = { ...closeReason(code, reason), error };
    const why = dropped ? { ...told, reconnect: true } : told;
    const comesBack = why.reconnect && this.options.reconnect;
    this.lastClose = { ...why, reconnect: comesBack };
    if (!comesBack) {
      this.closedForGood = true;
      this.finish(this.lastClose);
      return;
    }
    for (const fn of this.closeListeners)
      safely(fn, this.lastClose);
    if (dropped) {
      void this.connect();
      return;
    }
    if (why.kind === "unauthenticated") {
      try {
        await this.client.refresh();
      } catch {
        this.closedForGood = true;
        this.finish({ ...closeReason(4401, "the session could not be refreshed"), reconnect: false });
        return;
      }
    }
    this.retryLater();
  }
  retryLater() {
    if (this.closedForGood)
      return;
    this.setStatus("reconnecting");
    const delay = backoffDelay(this.attempt, this.client.reconnectPolicy);
    this.attempt += 1;
    this.retryTimer = setTimeout(() => void this.connect(), delay);
  }
  finish(reason) {
    this.lastClose = reason;
    this.queue.length = 0;
    for (const fn of this.closeListeners)
      safely(fn, reason);
    this.setStatus("closed");
  }
  clearTimers() {
    if (this.retryTimer)
      clearTimeout(this.retryTimer);
    if (this.pingTimer)
      clearInterval(this.pingTimer);
    this.retryTimer = this.pingTimer = null;
  }
  setStatus(status) {
    if (this.statusNow === status)
      return;
    this.statusNow = status;
    for (const fn of this.statusListeners)
      safely(fn, status);
  }
  emit(type, value) {
    for (const fn of this.listeners.get(type) ?? [])
      safely(fn, value);
  }
};
function safely(fn, value) {
  try {
    fn(value);
  } catch (error) {
    console.error("gameplatform: a socket listener threw", error);
  }
}

// dist/client.js
function attributesAtSignIn(given) {
  const intl = Intl.DateTimeFormat().resolvedOptions();
  const browser = typeof globalThis.document !== "undefined";
  const language = globalThis.navigator?.language;
  const body = {
    platform: given.platform ?? (browser ? "web" : "node"),
    custom: { locale: given.locale ?? language ?? intl.locale ?? "", timezone: given.timezone ?? intl.timeZone ?? "" }
  };
  if (given.appVersion)
    body.app_version = given.appVersion;
  return body;
}
var Client = class {
  baseUrl;
  retryPolicy;
  reconnectPolicy;
  /** How long a game room's call waits for its answer (`requestTimeoutMs`), in milliseconds. */
  requestTimeoutMs;
  WebSocket;
  /** The sockets' encoding unless a socket asks for its own. */
  encoding;
  clock;
  sessionStore;
  storageKey;
  fetchImpl;
  refreshMarginS;
  tokensNow;
  refreshing = null;
  sessionListeners = /* @__PURE__ */ new Set();
  notificationsNow = null;
  liveopsNow = null;
  sockets = /* @__PURE__ */ new Set();
  /** Game rooms `findMatch` opened to see every player come, until `gameRoom(id)` takes them. */
  heldRooms = /* @__PURE__ */ new Map();
  clientAttributes;
  constructor(options = {}) {
    const origin = globalThis.location?.origin;
    const baseUrl = options.baseUrl ?? origin;
    if (!baseUrl)
      throw new TypeError("new Client({ baseUrl }): no page origin to default to");
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.sessionStore = options.storage ?? defaultStorage();
    this.storageKey = options.storageKey ?? DEFAULT_STORAGE_KEY;
    const fetchImpl = options.fetch ?? globalThis.fetch;
    if (!fetchImpl)
      throw new TypeError("new Client(): no global fetch; pass { fetch }");
    this.fetchImpl = fetchImpl.bind(globalThis);
    const globalWs = globalThis.WebSocket;
    this.WebSocket = options.WebSocket ?? globalWs ?? null;
    this.encoding = options.encoding ?? "json";
    if (!ENCODINGS.includes(this.encoding)) {
      throw new TypeError(`new Client({ encoding }): "json", "msgpack" or "compact", not ${JSON.stringify(this.encoding)}`);
    }
    this.retryPolicy = options.retry === false ? null : { ...DEFAULT_RETRY, ...options.retry };
    this.reconnectPolicy = { ...DEFAULT_RECONNECT, ...options.reconnect };
    this.requestTimeoutMs = checkedTimeout(options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, "new Client({ requestTimeoutMs })");
    this.refreshMarginS = options.refreshMarginS ?? 60;
    this.clock = options.clock ?? Date.now;
    this.tokensNow = readTokens(this.sessionStore, this.storageKey);
    this.clientAttributes = options.clientAttributes ?? {};
  }
  // --- the session ---------------------------------------------------------------------
  /** True while there is a session (restored from storage, or after a login). */
  get loggedIn() {
    return this.tokensNow !== null;
  }
  /** The session's tokens, or null. */
  get tokens() {
    return this.tokensNow;
  }
  /** My user id (from the access token), or null when logged out. */
  get userId() {
    return this.tokensNow ? tokenUserId(this.tokensNow.access) : null;
  }
  /** `fn(loggedIn)` when the session starts or ends (a refresh that fails ends it); returns an unsubscribe. */
  onSessionChange(fn) {
    this.sessionListeners.add(fn);
    return () => this.sessionListeners.delete(fn);
  }
  /** Adopt tokens obtained elsewhere (another client, a provider's sign-in); null logs out locally. */
  useTokens(tokens2) {
    const was = this.loggedIn;
    this.tokensNow = tokens2 ? { access: tokens2.access, refresh: tokens2.refresh } : null;
    writeTokens(this.sessionStore, this.storageKey, this.tokensNow);
    if (was !== this.loggedIn)
      for (const fn of this.sessionListeners)
        fn(this.loggedIn);
  }
  async register(fields) {
    const body = { ...fields, password_confirm: fields.password_confirm ?? fields.password };
    const answer = await this.request("POST", "/api/auth/register/", { body, auth: false });
    this.useTokens(answer);
    await this.sayWhoIAm();
    return answer;
  }
  /** `username` may be an email address too. */
  async login(username, password) {
    const answer = await this.request("POST", "/api/auth/login/", {
      body: { username, password },
      auth: false
    });
    this.useTokens(answer);
    await this.sayWhoIAm();
    return answer;
  }
  /** The guest account of a device id (16-128 characters the app keeps), made on first use. */
  async deviceLogin(deviceId) {
    const answer = await this.request("POST", "/api/auth/device/", {
      body: { device_id: deviceId },
      auth: false
    });
    this.useTokens(answer);
    await this.sayWhoIAm();
    return answer;
  }
  /** After a sign-in: what this client is (`clientAttributes`), for the flags' rules; never fails it. */
  async sayWhoIAm() {
    if (this.clientAttributes === false)
      return;
    try {
      const body = attributesAtSignIn(this.clientAttributes);
      await this.request("PUT", "/api/liveops/attributes/", { body, retry: false });
    } catch {
    }
  }
  /** This guest becomes a full account (same id, everything it owns kept). */
  linkAccount(fields) {
    return this.post("/api/auth/link/", fields);
  }
  /** Ends the session here and on the server (its refresh token dies), whatever the server answers. */
  async logout() {
    const refresh = this.tokensNow?.refresh;
    try {
      if (refresh)
        await this.request("POST", "/api/auth/logout/", { body: { refresh }, retry: false });
    } catch {
    } finally {
      this.useTokens(null);
    }
  }
  /**
   * Rotates the tokens now (`POST /api/auth/refresh/`); concurrent callers share one request, since
   * the old refresh token dies with the first. A refused refresh ends the session.
   */
  refresh() {
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }
  async doRefresh() {
    const adopted = this.adoptStored();
    if (adopted && !this.due(adopted.access))
      return adopted;
    const refresh = this.tokensNow?.refresh;
    if (!refresh)
      throw notLoggedIn();
    try {
      const tokens2 = await this.request("POST", "/api/auth/refresh/", { body: { refresh }, auth: false });
      this.useTokens(tokens2);
      return this.tokensNow;
    } catch (error) {
      const rotatedMeanwhile = this.adoptStored();
      if (rotatedMeanwhile)
        return rotatedMeanwhile;
      if (error instanceof GamePlatformError && (error.status === 401 || error.status === 400))
        this.useTokens(null);
      throw error;
    }
  }
  /** The stored pair, taken when it differs from the one held (another client rotated it); else null. */
  adoptStored() {
    const stored = readTokens(this.sessionStore, this.storageKey);
    if (!stored || !this.tokensNow || stored.refresh === this.tokensNow.refresh)
      return null;
    this.tokensNow = stored;
    return stored;
  }
  due(access) {
    const at = refreshDueAt(access, this.refreshMarginS);
    return at !== null && this.clock() >= at;
  }
  /** An access token that is not about to expire (refreshed first when it is). */
  async accessToken() {
    if (!this.tokensNow)
      throw notLoggedIn();
    if (this.due(this.tokensNow.access))
      await this.refresh();
    return this.tokensNow.access;
  }
  // --- REST --------------------------------------------------------------------------
  /**
   * One REST call: JSON in and out, the answer's body (null for 204/205), or a `GamePlatformError`.
   * With a session the access token goes along (refreshed first when due; a 401 refreshes once and
   * tries again). Idempotent calls (GET, PUT, DELETE) that meet a network failure or a 5xx are
   * retried with exponential backoff and jitter, waiting at least the server's `Retry-After`.
   */
  async request(method, path, options = {}) {
    const policy = options.retry === false ? null : this.retryPolicy;
    const retries = policy && IDEMPOTENT_METHODS.has(method) ? policy.retries : 0;
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.requestOnce(method, path, options, true);
      } catch (error) {
        if (attempt >= retries || !retryable(error))
          throw error;
        const wait = backoffDelay(attempt, policy);
        const after = error instanceof GamePlatformError && error.retryAfter ? error.retryAfter * 1e3 : 0;
        await sleep(Math.max(wait, Math.min(after, policy.maxMs)));
      }
    }
  }
  async requestOnce(method, path, options, mayRefresh) {
    const headers = { Accept: "application/json", ...options.headers };
    const init = { method, headers };
    if (options.signal)
      init.signal = options.signal;
    if (options.body !== void 0) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(options.body);
    }
    const withAuth = (options.auth ?? true) && this.tokensNow !== null;
    if (withAuth)
      headers.Authorization = `Bearer ${await this.accessToken()}`;
    let response;
    try {
      response = await this.fetchImpl(this.url(path, options.query), init);
    } catch (error) {
      if (options.signal?.aborted)
        throw error;
      const detail = `Network error: ${error instanceof Error ? error.message : String(error)}`;
      throw new GamePlatformError({ status: 0, code: "network_error", detail });
    }
    if (response.status === 401 && withAuth && mayRefresh) {
      await this.refresh();
      return this.requestOnce(method, path, options, false);
    }
    options.onResponse?.(response);
    if (response.status === 304)
      return null;
    if (!response.ok)
      throw await errorFromResponse(response);
    if (response.status === 204 || response.status === 205)
      return null;
    const text = await response.text();
    return text ? JSON.parse(text) : null;
  }
  /**
   * An absolute URL for a path of the server (appended to `baseUrl`, which may hold a path prefix
   * of its own), or a full URL (a page's `next`), with a query.
   */
  url(path, query) {
    const absolute = /^[a-z][a-z0-9+.-]*:/i.test(path);
    const url = new URL(absolute ? path : this.baseUrl + (path.startsWith("/") ? path : `/${path}`));
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value !== null && value !== void 0)
        url.searchParams.set(name, String(value));
    }
    return url.toString();
  }
  get(path, query) {
    return this.request("GET", path, query ? { query } : {});
  }
  post(path, body = {}, options = {}) {
    return this.request("POST", path, { ...options, body });
  }
  put(path, body, options = {}) {
    return this.request("PUT", path, { ...options, body });
  }
  patch(path, body, options = {}) {
    return this.request("PATCH", path, { ...options, body });
  }
  delete(path, options = {}) {
    return this.request("DELETE", path, options);
  }
  /**
   * Every item of a paginated list, following `next` for at most `maxPages` pages; `auth: false`
   * sends no access token (a list that needs no session).
   */
  async all(path, query, { maxPages = 20, auth } = {}) {
    const options = auth === void 0 ? {} : { auth };
    const items2 = [];
    let page = await this.request("GET", path, query ? { ...options, query } : options);
    for (let n = 1; ; n += 1) {
      if (Array.isArray(page))
        return items2.concat(page);
      items2.push(...page.results);
      if (!page.next || n >= maxPages)
        return items2;
      page = await this.request("GET", page.next, options);
    }
  }
  // --- accounts ------------------------------------------------------------------------
  /** `GET /api/status/`: the server's health and version (no session needed). */
  status() {
    return this.request("GET", "/api/status/", { auth: false });
  }
  me() {
    return this.get("/api/me/");
  }
  updateMe(fields) {
    return this.patch("/api/me/", fields);
  }
  /**
   * `PUT /api/me/age/`: my age, as a birth date I declare (`{ birth_date: "2012-05-01" }`) or as the
   * band a store gave the app (`{ band: "13_15", source: "apple" }` from Declared Age Range, with
   * `app_transaction`: AppTransaction's JWS; `source: "google"` from Play Age Signals). A declaration
   * never raises a band already set (409 `age_locked`).
   */
  setAge(age) {
    return this.put("/api/me/age/", age);
  }
  /** A one-time WebSocket ticket (30 s); sockets take one per connection by themselves. */
  wsTicket() {
    return this.post("/api/auth/ws-ticket/");
  }
  // --- sockets -----------------------------------------------------------------------------
  /**
   * A socket on `path` (`/ws/lobbies/3/`...) that connects at once, queues what is sent before
   * it opens and reconnects by itself; `Frames` types its frames.
   */
  socket(path, options = {}) {
    const socket = new Socket(this, path, options);
    this.sockets.add(socket);
    socket.onClose((reason) => reason.reconnect || this.sockets.delete(socket));
    return socket;
  }
  /** Closes every socket this client opened (a bot's or a test's last call: nothing keeps Node running). */
  close() {
    this.liveopsNow?.stop();
    for (const socket of [...this.sockets])
      socket.close();
    this.sockets.clear();
    this.heldRooms.clear();
  }
  /**
   * The game socket of game `id` as a room: its view kept current, its inputs. The room of a match
   * `findMatch` found is the one it opened (already open, the player already seated), when no
   * options are given.
   */
  gameRoom(id, options = {}) {
    const held = this.heldRooms.get(id);
    if (held) {
      this.heldRooms.delete(id);
      if (held.status !== "closed" && Object.keys(options).length === 0)
        return held;
      held.close();
    }
    return new GameRoom(this, id, options);
  }
  /** My notification socket (one per client, opened on first use; again after `close()`). */
  notifications(options = {}) {
    if (!this.notificationsNow || this.notificationsNow.socket.status === "closed") {
      this.notificationsNow = new Notifications(this, options);
    }
    return this.notificationsNow;
  }
  /**
   * Queues for `mode` and resolves with the game id of a match every player came to. The match
   * comes from the join's answer or from `match_found` on the notification socket (opened first,
   * so no match is missed); `findMatch` opens its game socket and waits until every player is
   * there (the game leaves `waiting_for_players`). A match called off on the way (a player never
   * came: `match_cancelled`; the server queued me again with my wait) is closed and the next one
   * waited for, and so is a match I came to too late (then I join the queue again), all within
   * `timeoutMs`. While no match comes it asks the queue's status every 3 s: a match whose frame a
   * drop lost is found there, and a queue that lost me (away longer than the server keeps an
   * absent player) is joined again. The game socket stays open: `gameRoom(id)` hands it over.
   */
  async findMatch(mode = "tictactoe", { timeoutMs = 6e4 } = {}) {
    const notifications = this.notifications();
    const deadline = Date.now() + timeoutMs;
    const found = [];
    const cancelled = /* @__PURE__ */ new Set();
    let wake = () => void 0;
    const nextEvent = () => {
      const left = deadline - Date.now();
      if (left <= 0) {
        return Promise.reject(new GamePlatformError({ status: 0, code: "timeout", detail: `no match within ${timeoutMs} ms` }));
      }
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          wake = () => void 0;
          resolve();
        }, Math.min(left, QUEUE_CHECK_MS));
        wake = () => {
          wake = () => void 0;
          clearTimeout(timer);
          resolve();
        };
      });
    };
    const stops = [
      notifications.on("match_found", (frame) => {
        found.push(frame.game_id);
        wake();
      }),
      notifications.on("match_cancelled", (frame) => {
        cancelled.add(frame.game_id);
        wake();
      })
    ];
    const report = (answer) => {
      if (answer.status === "matched" && answer.game_id !== null)
        notifications.report(answer.game_id, true);
    };
    const recheck = async () => {
      const status = await this.matchmaking.status();
      report(status.status === "idle" ? await this.matchmaking.join(mode) : status);
    };
    let watching = null;
    try {
      report(await this.matchmaking.join(mode));
      for (; ; ) {
        const gameId = found.shift();
        if (gameId === void 0) {
          await nextEvent();
          if (found.length === 0)
            await recheck();
          continue;
        }
        if (cancelled.has(gameId))
          continue;
        const room = watching = this.gameRoom(gameId);
        const stopChange = room.onChange(() => wake());
        const stopClose = room.socket.onClose((reason) => reason.reconnect || wake());
        let came = false;
        try {
          for (; ; ) {
            if (cancelled.has(gameId) || room.state === "abandoned" || room.status === "closed")
              break;
            if (room.state !== null && room.state !== "waiting_for_players") {
              came = !room.players.some((p) => p.id === this.userId && p.forfeited);
              break;
            }
            await nextEvent();
          }
        } finally {
          stopChange();
          stopClose();
        }
        if (came) {
          this.heldRooms.set(gameId, room);
          watching = null;
          return gameId;
        }
        room.close();
        watching = null;
        await recheck();
      }
    } catch (error) {
      await this.matchmaking.leave().catch(() => void 0);
      throw error;
    } finally {
      for (const stop of stops)
        stop();
      watching?.close();
    }
  }
  users = {
    search: (search) => this.get("/api/users/", { search }),
    get: (id) => this.get(`/api/users/${id}/`)
  };
  // --- matchmaking, invites, games -----------------------------------------------------
  matchmaking = {
    /** Queue for a mode (default tic-tac-toe); twice is the same as once. */
    join: (mode = "tictactoe") => this.post("/api/matchmaking/join/", { mode }),
    leave: () => this.post("/api/matchmaking/leave/"),
    status: () => this.get("/api/matchmaking/status/")
  };
  invites = {
    create: (invite) => this.post("/api/invites/", invite),
    list: (box = "inbox") => this.get("/api/invites/", { box }),
    accept: (id) => this.post(`/api/invites/${id}/accept/`),
    decline: (id) => this.post(`/api/invites/${id}/decline/`),
    cancel: (id) => this.post(`/api/invites/${id}/cancel/`)
  };
  games = {
    /** My games, newest first. */
    list: () => this.get("/api/games/"),
    get: (id) => this.get(`/api/games/${id}/`),
    /** The modes the server plays, every page of the list (no session needed). */
    modes: () => this.all("/api/game/modes/", void 0, { auth: false }),
    /** Running games, newest first, e.g. `{ mode: "arena", open: true, label: { map: "dunes" } }`; watch one with `gameRoom(id, { watch: true })`. */
    rooms: (filter = {}) => this.get("/api/game/rooms/", roomQuery(filter)),
    /** A seat in a running game whose mode takes players in progress (409 `game_full` / `not_joinable`). */
    joinRoom: (id) => this.post(`/api/game/rooms/${id}/join/`),
    /** A finished game's seed, players, inputs and result (403 `not_allowed`, 409 `replay_unavailable`). */
    replay: (id) => this.get(`/api/games/${id}/replay/`),
    /** One page (at most 600) of what a spectator saw of a finished game, tick by tick; `next` continues it. */
    replayFrames: (id, { from: from2, to } = {}) => this.get(`/api/games/${id}/replay/frames/`, { from: from2, to }),
    leaderboard: (mode = "tictactoe") => this.get("/api/leaderboard/", { mode })
  };
  // --- player safety ----------------------------------------------------------------------
  /**
   * Reports a player (`POST /api/reports/`): `{id, status: "open"}`; the server takes the evidence
   * itself (the context's last messages, a game's inputs). A player I already reported, while that
   * report is open, answers the first report. 400 `cannot_report_self`, 429 `rate_limited`.
   */
  report({ userId, reason, comment, context }) {
    const body = { user_id: userId, reason };
    if (comment)
      body.comment = comment;
    if (context)
      body.context = reportContext(context);
    return this.post("/api/reports/", body);
  }
  /** My reports, newest first, with their status (`open`, `actioned`, `dismissed`). */
  myReports() {
    return this.all("/api/reports/");
  }
  /** My sanctions, newest first, each with its statement, its end and my appeal of it. */
  mySanctions() {
    return this.all("/api/sanctions/");
  }
  /**
   * Appeals a sanction once, within 180 days (409 `appeal_exists` / `appeal_window_closed`): the
   * sanction with its appeal. Logged in, or with the `appealToken` of an `AccountSuspended` error
   * (a locked account cannot log in): then no access token is sent.
   */
  appeal(sanctionId, text, { appealToken } = {}) {
    const path = `/api/sanctions/${sanctionId}/appeal/`;
    if (appealToken)
      return this.post(path, { text, appeal_token: appealToken }, { auth: false });
    return this.post(path, { text });
  }
  // --- live operations (liveops.ts) ----------------------------------------------------------
  /**
   * Flags, experiments, live events, the liveops inbox and analytics events (one per client, made
   * on first use; the options count then only).
   */
  liveops(options = {}) {
    this.liveopsNow ??= new LiveOps(this, options);
    return this.liveopsNow;
  }
  /** Persisted notifications (the `notification` frames kept by the server). */
  inbox = {
    list: ({ unread = false } = {}) => this.get("/api/notifications/", unread ? { unread: 1 } : {}),
    markRead: (ids) => this.post("/api/notifications/read/", ids === "all" ? { all: true } : { ids })
  };
  // --- the meta-game (meta.ts) -------------------------------------------------------------
  lobbies = lobbyCalls(this);
  dms = dmCalls(this);
  friends = friendCalls(this);
  groups = groupCalls(this);
  leaderboards = leaderboardCalls(this);
  tournaments = tournamentCalls(this);
  payments = paymentCalls(this);
  /** Per-user cloud storage (`/api/storage/`), not the session's storage. */
  storage = storageCalls(this);
};
var QUEUE_CHECK_MS = 3e3;
function roomQuery({ mode, open, label = {} }) {
  const query = { mode, open: open === void 0 ? void 0 : open ? 1 : 0 };
  for (const [key, value] of Object.entries(label)) {
    query[`label.${key}`] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return query;
}
function reportContext({ lobbyId, gameId, groupId, dmUserId }) {
  const context = {};
  if (lobbyId !== void 0)
    context.lobby_id = lobbyId;
  if (gameId !== void 0)
    context.game_id = gameId;
  if (groupId !== void 0)
    context.group_id = groupId;
  if (dmUserId !== void 0)
    context.dm_user_id = dmUserId;
  return context;
}
function notLoggedIn() {
  return new GamePlatformError({ status: 401, code: "not_authenticated", detail: "Not logged in." });
}
function retryable(error) {
  return error instanceof GamePlatformError && (error.status === 0 || error.status >= 500);
}

// dist/index.js
var VERSION = "1.1.0";
export {
  AccountSuspended,
  CLOSE_CODES,
  COMPACT_SUBPROTOCOL,
  Client,
  DEFAULT_RECONNECT,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_RETRY,
  EVENT_BATCH_MAX,
  GamePlatformError,
  GameRoom,
  LiveOps,
  MSGPACK_SUBPROTOCOL,
  MemoryStorage,
  Muted,
  Notifications,
  PatchError,
  Socket,
  VERSION,
  applyPatch,
  backoffDelay,
  closeReason,
  isSanctionNotification,
  items,
  refreshDueAt,
  tokenClaims
};

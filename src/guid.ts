/** @module guid — deterministic name-based UUIDs (RFC 4122 v5) and random ids, with no platform crypto. */

/** Durable Functions' namespace for `newGuid`. */
export const DURABLE_NAMESPACE = "9e952958-5e33-4daf-827f-2fa12937b875";

const NAMESPACE_BYTES = uuidToBytes(DURABLE_NAMESPACE);

/** The two hex digits of every byte (a v5 UUID is built for every request an orchestration sends). */
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

/** UUID v5 of `name` in the Durable Functions namespace. */
export function uuidV5(name: string): string {
  // Hashed in place in one reused buffer: the namespace, the name's UTF-8, the padding.
  let length = 16;
  const buf = ensureScratch(16 + name.length * 3); // UTF-8 takes at most 3 bytes per UTF-16 unit
  buf.set(NAMESPACE_BYTES, 0);
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0x80) {
      const bytes = utf8(name);
      buf.set(bytes, 16);
      length = 16 + bytes.length;
      break;
    }
    buf[length++] = c;
  }
  const h = digest(length);
  const b6 = ((h[1]! >>> 8) & 0x0f) | 0x50; // version 5
  const b8 = ((h[2]! >>> 24) & 0x3f) | 0x80; // the RFC 4122 variant
  return (
    HEX[h[0]! >>> 24]! + HEX[(h[0]! >>> 16) & 0xff]! + HEX[(h[0]! >>> 8) & 0xff]! + HEX[h[0]! & 0xff]! + "-" +
    HEX[h[1]! >>> 24]! + HEX[(h[1]! >>> 16) & 0xff]! + "-" +
    HEX[b6]! + HEX[h[1]! & 0xff]! + "-" +
    HEX[b8]! + HEX[(h[2]! >>> 16) & 0xff]! + "-" +
    HEX[(h[2]! >>> 8) & 0xff]! + HEX[h[2]! & 0xff]! +
    HEX[h[3]! >>> 24]! + HEX[(h[3]! >>> 16) & 0xff]! + HEX[(h[3]! >>> 8) & 0xff]! + HEX[h[3]! & 0xff]!
  );
}

/** A random id in Durable Functions' format: 32 lowercase hex digits, no dashes. */
export function newInstanceId(): string {
  return crypto.randomUUID().replace(/-/g, "");
}

function uuidToBytes(uuid: string): Uint8Array {
  const hex = uuid.replace(/-/g, "");
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 16; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/**
 * UTF-8 of `text`; a lone surrogate is encoded as its own three bytes (not replaced, as
 * `TextEncoder` would), so that ids keep the UUIDs they always had.
 */
function utf8(text: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d < 0xe000) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return Uint8Array.from(out);
}

/** The message schedule and the digest, reused: hashing is synchronous and never re-entered. */
const W = new Int32Array(80);
const H = new Int32Array(5);
/** The message being hashed, with room for its padding; grows as needed. */
let scratch = new Uint8Array(256);

/** The scratch buffer, at least `length` bytes plus the room padding takes. */
function ensureScratch(length: number): Uint8Array {
  if (scratch.length < length + 72) scratch = new Uint8Array(Math.max(length + 72, scratch.length * 2));
  return scratch;
}

/** SHA-1 (FIPS 180-4). Synchronous, because orchestrator code cannot await. */
export function sha1(message: Uint8Array): Uint8Array {
  ensureScratch(message.length).set(message, 0);
  const h = digest(message.length);
  const out = new Uint8Array(20);
  for (let k = 0; k < 5; k++) {
    out[k * 4] = h[k]! >>> 24;
    out[k * 4 + 1] = (h[k]! >>> 16) & 0xff;
    out[k * 4 + 2] = (h[k]! >>> 8) & 0xff;
    out[k * 4 + 3] = h[k]! & 0xff;
  }
  return out;
}

/** SHA-1 of the first `ml` bytes of `scratch` (which it pads in place), as five big-endian words in `H`. */
function digest(ml: number): Int32Array {
  const buf = scratch;
  const withPadding = ((ml + 9 + 63) >> 6) << 6;
  buf[ml] = 0x80;
  buf.fill(0, ml + 1, withPadding - 8);
  const bits = ml * 8;
  const high = Math.floor(bits / 0x100000000);
  const low = bits >>> 0;
  for (let i = 0; i < 4; i++) {
    buf[withPadding - 8 + i] = (high >>> (24 - 8 * i)) & 0xff;
    buf[withPadding - 4 + i] = (low >>> (24 - 8 * i)) & 0xff;
  }
  const w = W;
  let h0 = 0x67452301 | 0, h1 = 0xefcdab89 | 0, h2 = 0x98badcfe | 0, h3 = 0x10325476 | 0, h4 = 0xc3d2e1f0 | 0;
  for (let off = 0; off < withPadding; off += 64) {
    for (let i = 0; i < 16; i++) {
      const j = off + i * 4;
      w[i] = (buf[j]! << 24) | (buf[j + 1]! << 16) | (buf[j + 2]! << 8) | buf[j + 3]!;
    }
    for (let i = 16; i < 80; i++) {
      const x = w[i - 3]! ^ w[i - 8]! ^ w[i - 14]! ^ w[i - 16]!;
      w[i] = (x << 1) | (x >>> 31);
    }
    let a = h0, b = h1, c = h2, d = h3, e = h4;
    let i = 0;
    for (; i < 20; i++) {
      const t = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + 0x5a827999 + w[i]!) | 0;
      e = d; d = c; c = (b << 30) | (b >>> 2); b = a; a = t;
    }
    for (; i < 40; i++) {
      const t = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0x6ed9eba1 + w[i]!) | 0;
      e = d; d = c; c = (b << 30) | (b >>> 2); b = a; a = t;
    }
    for (; i < 60; i++) {
      const t = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e + 0x8f1bbcdc + w[i]!) | 0;
      e = d; d = c; c = (b << 30) | (b >>> 2); b = a; a = t;
    }
    for (; i < 80; i++) {
      const t = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0xca62c1d6 + w[i]!) | 0;
      e = d; d = c; c = (b << 30) | (b >>> 2); b = a; a = t;
    }
    h0 = (h0 + a) | 0; h1 = (h1 + b) | 0; h2 = (h2 + c) | 0; h3 = (h3 + d) | 0; h4 = (h4 + e) | 0;
  }
  H[0] = h0; H[1] = h1; H[2] = h2; H[3] = h3; H[4] = h4;
  return H;
}

/**
 * @module worker/http/signing — per-instance, per-operation signed URLs. The URLs the API hands
 * out carry `exp` (expiry, Unix seconds) and `sig` (HMAC-SHA256, base64url) instead of the key:
 *
 *     sig = HMAC(K, "durable-edge/v1\n{operation}\n{exp}\n{instanceId}")
 *     K   = HMAC(managementKey, "durable-edge/url-signing/v1")
 *
 * Verification needs no storage: the key, the id and the operation of the route, and the expiry in
 * the URL. K is derived so that a signature never reveals anything that works as a bearer key; the
 * previous key of a rotation verifies too, so URLs signed before the rotation keep working.
 */

/** What one signed URL may do, on one instance. */
export const SIGNED_OPERATIONS = ["status", "raiseEvent", "terminate", "rewind", "purge", "restart", "suspend", "resume"] as const;
export type SignedOperation = (typeof SIGNED_OPERATIONS)[number];

export const SIGNATURE_PARAM = "sig";
export const EXPIRY_PARAM = "exp";

const encoder = new TextEncoder();
const DERIVATION_LABEL = encoder.encode("durable-edge/url-signing/v1");
const HMAC = { name: "HMAC", hash: "SHA-256" } as const;

/** Derived keys by management key (a few per isolate: current, previous; bounded for per-request keys). */
const derived = new Map<string, Promise<CryptoKey>>();
const MAX_DERIVED = 16;

function signingKey(secret: string): Promise<CryptoKey> {
  let key = derived.get(secret);
  if (!key) {
    key = (async () => {
      const master = await crypto.subtle.importKey("raw", encoder.encode(secret), HMAC, false, ["sign"]);
      const raw = await crypto.subtle.sign("HMAC", master, DERIVATION_LABEL);
      return crypto.subtle.importKey("raw", raw, HMAC, false, ["sign", "verify"]);
    })();
    if (derived.size >= MAX_DERIVED) derived.delete(derived.keys().next().value!);
    derived.set(secret, key);
  }
  return key;
}

function message(instanceId: string, operation: SignedOperation, expires: number): Uint8Array<ArrayBuffer> {
  // (encode() is typed as a view of any buffer; it is a fresh ArrayBuffer)
  // The id comes last: operation and expiry hold no newline, so no two inputs share a message.
  return encoder.encode(`durable-edge/v1\n${operation}\n${expires}\n${instanceId}`) as Uint8Array<ArrayBuffer>;
}

export async function sign(secret: string, instanceId: string, operation: SignedOperation, expires: number): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", await signingKey(secret), message(instanceId, operation, expires));
  return toBase64Url(new Uint8Array(mac));
}

/** True when `signature` is one of `secrets`' for this id, operation and expiry (compared by Web Crypto, in constant time). */
export async function verify(secrets: readonly string[], instanceId: string, operation: SignedOperation, expires: number, signature: string): Promise<boolean> {
  const mac = fromBase64Url(signature);
  if (!mac || mac.byteLength !== 32) return false;
  const data = message(instanceId, operation, expires);
  for (const secret of secrets) {
    if (await crypto.subtle.verify("HMAC", await signingKey(secret), mac, data)) return true;
  }
  return false;
}

/** The query string a URL for `operation` on `instanceId` carries: `exp=…&sig=…`. */
export async function signatureQuery(secret: string, instanceId: string, operation: SignedOperation, expires: number): Promise<string> {
  return `${EXPIRY_PARAM}=${expires}&${SIGNATURE_PARAM}=${await sign(secret, instanceId, operation, expires)}`;
}

function toBase64Url(bytes: Uint8Array): string {
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[A-Za-z0-9_-]{43}$/.test(text)) return undefined;
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "=");
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

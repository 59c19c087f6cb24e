/**
 * `uuidV5` (every `newGuid`, and the id of every entity request an orchestration sends) against
 * RFC 4122 v5 computed with Node's own SHA-1: names of every length around the block boundaries,
 * non-ASCII names, a long name followed by a short one (the hash reuses one buffer), and the
 * UUIDs lone surrogates have always had (encoded as their own three bytes, not replaced).
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { DURABLE_NAMESPACE, sha1, uuidV5 } from "./guid.ts";

function referenceV5(name: string): string {
  const namespace = Buffer.from(DURABLE_NAMESPACE.replace(/-/g, ""), "hex");
  const hash = createHash("sha1").update(Buffer.concat([namespace, Buffer.from(name, "utf8")])).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

describe("uuidV5", () => {
  it("is RFC 4122 v5 in the Durable Functions namespace", () => {
    // Python: uuid.uuid5(uuid.UUID("9e952958-5e33-4daf-827f-2fa12937b875"), name)
    expect(uuidV5("abc_2026-12-01T00:00:00.000Z_0")).toBe("d931f578-5c85-5827-9695-90d0d02c7822");
    expect(uuidV5("")).toBe("d973bea7-08df-552f-8107-440729211d00");
  });

  it("matches Node's SHA-1 for names of every length up to three blocks, ASCII and not", () => {
    for (let length = 0; length <= 200; length++) {
      const ascii = Array.from({ length }, (_, i) => String.fromCharCode(33 + ((i * 31 + length) % 94))).join("");
      expect(uuidV5(ascii), `ASCII, ${length} characters`).toBe(referenceV5(ascii));
      const mixed = Array.from({ length }, (_, i) => ["a", "é", "日", "😀", "z"][(i + length) % 5]).join("");
      expect(uuidV5(mixed), `non-ASCII, ${length} code points`).toBe(referenceV5(mixed));
    }
  });

  it("leaves nothing of a long name in the hash of the next, short one", () => {
    const short = "instance_2026-12-01T00:00:00.000Z_1";
    const before = uuidV5(short);
    expect(uuidV5("x".repeat(5000))).toBe(referenceV5("x".repeat(5000)));
    expect(uuidV5(short)).toBe(before);
    expect(before).toBe(referenceV5(short));
  });

  it("keeps the UUIDs that names with lone surrogates always had", () => {
    expect(uuidV5("\ud800")).toBe("8514c708-0dd3-5955-8608-5466a19b1f01");
    expect(uuidV5("x\udc00y")).toBe("7a956573-7d38-5d51-bee8-b1f5fa56627a");
    expect(uuidV5("a\ud83d")).toBe("402cafdd-4bd0-564b-ab6f-79d6f688a27c");
  });
});

describe("sha1", () => {
  it("matches Node's SHA-1", () => {
    for (const length of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000]) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 131 + length) & 0xff);
      expect(Buffer.from(sha1(bytes)).toString("hex"), `${length} bytes`).toBe(createHash("sha1").update(bytes).digest("hex"));
    }
  });
});

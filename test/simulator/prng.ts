/**
 * @module simulator/prng — the only source of randomness in the simulation: a seeded mulberry32
 * stream. Independent decisions (the program, the faults, the ids) draw from independent streams
 * forked by label, so changing how often one is drawn from never shifts the others.
 */

export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A uniform 32-bit unsigned integer. */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.next() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return n <= 1 ? 0 : Math.floor(this.float() * n);
  }

  /** Uniform integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return p > 0 && this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("pick from an empty list");
    return items[this.int(items.length)]!;
  }

  /** Picks by weight: `[["a", 3], ["b", 1]]` gives "a" three times as often. */
  weighted<T>(choices: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, w] of choices) total += w;
    let r = this.float() * total;
    for (const [value, w] of choices) {
      if ((r -= w) < 0) return value;
    }
    return choices[choices.length - 1]![0];
  }

  /** A shuffled copy. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }

  /** An independent stream derived from this one's seed and a label (not from its position). */
  static fork(seed: number, label: string): Rng {
    return new Rng(hash32(`${seed >>> 0}/${label}`));
  }
}

/** FNV-1a, then a final avalanche: a 32-bit hash of a string. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A v4-shaped UUID drawn from `rng` (for deterministic ids while a simulation runs). */
export function uuidFrom(rng: Rng): string {
  const hex = (n: number) => n.toString(16).padStart(8, "0");
  const a = hex(rng.next()), b = hex(rng.next()), c = hex(rng.next()), d = hex(rng.next());
  return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-${((parseInt(c[0]!, 16) & 0x3) | 0x8).toString(16)}${c.slice(1, 4)}-${c.slice(4, 8)}${d}`;
}

/**
 * Runs `fn` with `crypto.randomUUID` drawing from `rng`, so execution ids (and everything ordered
 * by them) are the same on every run of a seed. Restored afterwards. Hosts whose `crypto` cannot be
 * patched run `fn` as is (the run is then deterministic in everything but those ids).
 */
export async function withDeterministicUuids<T>(rng: Rng, fn: () => Promise<T>): Promise<T> {
  const c = (globalThis as { crypto?: object }).crypto as { randomUUID?: () => string } | undefined;
  if (!c) return fn();
  const own = Object.getOwnPropertyDescriptor(c, "randomUUID");
  try {
    Object.defineProperty(c, "randomUUID", { value: () => uuidFrom(rng), configurable: true, writable: true });
  } catch {
    return fn();
  }
  try {
    return await fn();
  } finally {
    if (own) Object.defineProperty(c, "randomUUID", own);
    else delete c.randomUUID;
  }
}

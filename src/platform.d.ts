/**
 * The only host globals the core may touch. Every host (browsers, Workers, Node ≥ 20) has them.
 * The core is type-checked with `lib: ["ES2022"]` and no `types`, so anything else a file reaches
 * for (DOM, `node:*`, `cloudflare:*`) fails `npm run typecheck`.
 */
declare function setTimeout(callback: () => void, ms?: number): unknown;
declare function clearTimeout(handle: unknown): void;
declare function queueMicrotask(callback: () => void): void;
declare const console: {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
};
declare const crypto: { randomUUID(): string };
declare class URL {
  constructor(url: string, base?: string);
  toString(): string;
}

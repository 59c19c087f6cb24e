/**
 * Child processes for tests that drive real tools (npm, tsc, wrangler, vite): each in its own
 * process group, so stopping it stops everything it started; a group still running when the
 * test process exits is killed then.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { stripVTControlCharacters } from "node:util";

export interface RunOptions {
  cwd: string;
  /** Added to the environment (the test process's, less what vitest adds: see `shellEnv`). */
  env?: Record<string, string | undefined>;
  /** Default 120 s; then the group is stopped and the run fails. */
  timeoutMs?: number;
}

export interface GroupProcess {
  readonly child: ChildProcess;
  /** stdout and stderr so far, interleaved, without colours. */
  output(): string;
  /** stdout alone, as it came. */
  stdout(): string;
  /** The exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** SIGTERM to the group, SIGKILL after 5 s, and SIGKILL to whatever of the group outlived its leader. */
  stop(): Promise<void>;
}

const running = new Set<number>();
process.once("exit", () => {
  for (const pid of running) signalGroup(pid, "SIGKILL");
});

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is gone.
  }
}

/**
 * The test process's environment without what vitest adds (`VITEST*`, `TEST`, `NODE_ENV=test`),
 * so that a tool run by a test (another vitest, vite build) behaves as it does from a shell.
 */
export function shellEnv(): Record<string, string | undefined> {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith("VITEST") || key === "TEST") delete env[key];
  if (env.NODE_ENV === "test") delete env.NODE_ENV;
  return env;
}

export function spawnGroup(command: string, args: readonly string[], options: Omit<RunOptions, "timeoutMs">): GroupProcess {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...shellEnv(), ...options.env },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  let out = "";
  child.stdout!.on("data", (d: Buffer) => {
    log += d.toString();
    out += d.toString();
  });
  child.stderr!.on("data", (d: Buffer) => (log += d.toString()));
  const pid = child.pid;
  if (pid !== undefined) running.add(pid);
  const exited = new Promise<number | null>((resolve) => {
    child.once("error", (error) => {
      log += `\n${String(error)}`;
      resolve(-1);
    });
    child.once("exit", (code) => resolve(code));
  });
  const stop = async () => {
    if (pid === undefined) return;
    if (child.exitCode === null && child.signalCode === null) {
      signalGroup(pid, "SIGTERM");
      const kill = setTimeout(() => signalGroup(pid, "SIGKILL"), 5_000);
      await exited;
      clearTimeout(kill);
    }
    signalGroup(pid, "SIGKILL");
    running.delete(pid);
  };
  return { child, output: () => stripVTControlCharacters(log), stdout: () => out, exited, stop };
}

export interface RunResult {
  code: number | null;
  /** stdout and stderr, interleaved, without colours. */
  output: string;
  stdout: string;
  ms: number;
}

/** Runs a command to its end (or its timeout) and returns its exit code and output. */
export async function run(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? 120_000;
  const proc = spawnGroup(command, args, options);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), timeoutMs)));
  const outcome = await Promise.race([proc.exited, timedOut]);
  clearTimeout(timer);
  await proc.stop();
  const shown = [command, ...args].join(" ");
  if (outcome === "timeout") throw new Error(`${shown} (in ${options.cwd}) did not end within ${timeoutMs} ms:\n${proc.output()}`);
  return { code: outcome, output: proc.output(), stdout: proc.stdout(), ms: Date.now() - started };
}

/** Runs a command and fails, with its output, unless it exits 0. */
export async function runOk(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    throw new Error(`${[command, ...args].join(" ")} (in ${options.cwd}) exited ${result.code}:\n${result.output}`);
  }
  return result;
}

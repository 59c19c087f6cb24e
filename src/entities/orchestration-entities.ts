/**
 * @module entities/orchestration-entities — the entity side of an orchestration: `callEntity`,
 * `signalEntity` and `lockEntities` critical sections, with Durable Functions' locking rules. Owned
 * by the executor, replayed like everything else: each request is an `EventSent` with its own
 * sequence id (so nondeterminism is detected as for activities), and each answer an `EventRaised`
 * named by the request's (deterministic) id.
 */
import { DurableError, TaskFailedError } from "../errors.ts";
import { fromJson, toJson, type Json } from "../json.ts";
import type { InboxMessage } from "../store.ts";
import { CompletableTask, type Task } from "../task.ts";
import type { SignalOptions } from "./entity-definition.ts";
import { entityInstanceId, parseEntityInstanceId, toEntityId, type EntityId, type EntityIdLike } from "./entity-id.ts";
import { OPERATION_EVENT, readResponse, RELEASE_EVENT, type EntityRelease, type EntityRequest } from "./entity-messages.ts";

/** A message to an entity the orchestrator sends; recorded in history as `EventSent`. */
export interface SendEntityMessage {
  kind: "SendEvent";
  id: number;
  /** The entity's instance id. */
  instanceId: string;
  /** "op" or "release". */
  name: string;
  input: Json;
  /** When the message becomes visible (scheduled signals); null: at once. */
  visibleAt: number | null;
}

/** What the executor lends this module. */
export interface EntityCallHost {
  readonly instanceId: string;
  readonly executionId: string;
  readonly now: number;
  nextSequence(): number;
  newGuid(): string;
  send(action: SendEntityMessage): void;
  /** Re-runs the orchestrator when the task it waits on completed. */
  continueIfUnblocked(): void;
}

/** A held critical section: `const lock = yield* ctx.lockEntities(a, b); … lock.release()`. */
export interface EntityLock {
  /** The entities locked, in lock order. */
  readonly ownedLocks: readonly EntityId[];
  /** Ends the critical section (it also ends when the orchestration ends). */
  release(): void;
}

interface Waiter {
  task: CompletableTask<any>;
  /** For calls: the entity (busy until answered) and the operation. */
  target: string | null;
  label: string;
  sequence: number;
  lock: boolean;
}

interface CriticalSection {
  requestId: string;
  lockset: string[];
  granted: boolean;
  /** Entities of the section with a call in flight (no two at once on one entity). */
  busy: Set<string>;
}

function violation(message: string): DurableError {
  return new DurableError("LockingRulesViolation", `${message} (a rule of critical sections; see the README's "Durable entities").`);
}

export class OrchestrationEntities {
  private readonly waiters = new Map<string, Waiter>();
  private section: CriticalSection | null = null;
  /** Sections whose lock request failed part way: their releases are still owed at the end. */
  private lostSections: CriticalSection[] = [];
  private readonly host: EntityCallHost;

  constructor(host: EntityCallHost) {
    this.host = host;
  }

  isInCriticalSection(): boolean {
    return this.section !== null && this.section.granted;
  }

  callEntity(entity: EntityIdLike, operation: string, input?: unknown): Task<any> {
    const id = toEntityId(entity);
    const target = entityInstanceId(id);
    assertOperation(operation);
    const section = this.section;
    if (section?.granted) {
      if (!section.lockset.includes(target)) throw violation(`callEntity('${target}', '${operation}') inside a critical section that does not lock '${target}'; lock it too, or call it outside`);
      if (section.busy.has(target)) throw violation(`callEntity('${target}', '${operation}') while another call to '${target}' is still running in this critical section; await the first call`);
      section.busy.add(target);
    }
    const json = toJson(input, `The input of operation '${operation}' of entity '${target}'`);
    const sequence = this.host.nextSequence();
    const requestId = this.host.newGuid();
    const request: EntityRequest = {
      id: requestId,
      op: operation,
      signal: false,
      input: json,
      parent: this.host.instanceId,
      parentExecution: this.host.executionId,
      timestamp: this.host.now,
    };
    this.host.send({ kind: "SendEvent", id: sequence, instanceId: target, name: OPERATION_EVENT, input: JSON.stringify(request), visibleAt: null });
    const task = new CompletableTask<unknown>();
    this.waiters.set(requestId, { task, target, label: `${id.name}@${id.key}.${operation}`, sequence, lock: false });
    return task;
  }

  signalEntity(entity: EntityIdLike, operation: string, input?: unknown, options: SignalOptions = {}): void {
    const id = toEntityId(entity);
    const target = entityInstanceId(id);
    assertOperation(operation);
    if (this.section?.lockset.includes(target)) {
      throw violation(`signalEntity('${target}', '${operation}') inside a critical section that locks '${target}'; use callEntity on locked entities`);
    }
    let visibleAt: number | null = null;
    if (options.at !== undefined) {
      visibleAt = typeof options.at === "number" ? options.at : options.at instanceof Date ? options.at.getTime() : NaN;
      if (!Number.isFinite(visibleAt)) throw new DurableError("InvalidArgument", `signalEntity: options.at must be a valid date, got ${String(options.at)}.`);
    }
    const json = toJson(input, `The input of signal '${operation}' to entity '${target}'`);
    const sequence = this.host.nextSequence();
    const request: EntityRequest = { id: this.host.newGuid(), op: operation, signal: true, input: json, timestamp: this.host.now };
    this.host.send({ kind: "SendEvent", id: sequence, instanceId: target, name: OPERATION_EVENT, input: JSON.stringify(request), visibleAt });
  }

  lockEntities(entities: readonly EntityIdLike[]): Task<EntityLock> {
    if (this.section) throw violation("lockEntities inside a critical section (critical sections do not nest); release the first lock before taking another");
    if (entities.length === 0) throw new DurableError("InvalidArgument", "lockEntities needs at least one entity ID.");
    // One global order (ordinal, by instance id) for every orchestration: sections never wait on each other in a cycle.
    const lockset = [...new Set(entities.map((e) => entityInstanceId(toEntityId(e))))].sort();
    const sequence = this.host.nextSequence();
    const requestId = this.host.newGuid();
    const request: EntityRequest = {
      id: requestId,
      op: null,
      lockset,
      pos: 0,
      parent: this.host.instanceId,
      parentExecution: this.host.executionId,
      timestamp: this.host.now,
    };
    this.host.send({ kind: "SendEvent", id: sequence, instanceId: lockset[0]!, name: OPERATION_EVENT, input: JSON.stringify(request), visibleAt: null });
    const section: CriticalSection = { requestId, lockset, granted: false, busy: new Set() };
    this.section = section;
    const task = new CompletableTask<EntityLock>();
    this.waiters.set(requestId, { task, target: null, label: `lock(${lockset.join(", ")})`, sequence, lock: true });
    return task;
  }

  /** Whether a sub-orchestration may start now (not inside a critical section). */
  assertNotInCriticalSection(what: string): void {
    if (this.section) throw violation(`${what} inside a critical section; finish the section (release its lock) first`);
  }

  awaits(name: string): boolean {
    return this.waiters.has(name);
  }

  /**
   * Takes an `EventRaised` if it answers a request of this orchestration (its name is the
   * request's id); returns false for any other event.
   */
  deliver(name: string, input: Json): boolean {
    const waiter = this.waiters.get(name);
    if (!waiter) return false;
    this.waiters.delete(name);
    const response = readResponse(input);
    const failure = response?.failureDetails ?? (response?.exceptionType ? { ErrorType: response.exceptionType, ErrorMessage: `Failed with ${response.exceptionType}`, StackTrace: null, IsNonRetriable: false, InnerFailure: null } : null);
    if (waiter.lock) {
      const section = this.section;
      if (section && section.requestId === name) {
        if (failure) {
          this.section = null; // the request was dropped: nothing is held (the entities that did lock are released at the end)
          this.lostSections.push(section);
          waiter.task.fail(new TaskFailedError(waiter.label, waiter.sequence, failure));
        } else {
          section.granted = true;
          waiter.task.complete(this.lockHandle(section));
        }
      }
    } else {
      if (waiter.target) this.section?.busy.delete(waiter.target);
      if (failure) {
        waiter.task.fail(new TaskFailedError(waiter.label, waiter.sequence, failure));
      } else {
        waiter.task.complete(fromJson(response?.result ?? null));
      }
    }
    this.host.continueIfUnblocked();
    return true;
  }

  /**
   * The releases owed when the execution ends (completed, failed, continued as new, terminated):
   * to every entity of a section that was requested and not released, granted or not (an entity
   * that gets its release before the lock request does not lock).
   */
  releasesAtEnd(): InboxMessage[] {
    const sections = this.section ? [...this.lostSections, this.section] : this.lostSections;
    this.section = null;
    this.lostSections = [];
    return sections.flatMap((s) => releaseMessages(this.host.instanceId, this.host.executionId, s.requestId, s.lockset, this.host.now));
  }

  private lockHandle(section: CriticalSection): EntityLock {
    const handle = {
      ownedLocks: Object.freeze(section.lockset.map((id) => parseEntityInstanceId(id)!)),
      release: () => this.release(section),
    };
    const dispose = (Symbol as { dispose?: symbol }).dispose;
    if (dispose) Object.defineProperty(handle, dispose, { value: handle.release });
    return Object.freeze(handle);
  }

  private release(section: CriticalSection): void {
    if (this.section !== section) return; // released already
    this.section = null;
    const release: EntityRelease = { parent: this.host.instanceId, id: section.requestId };
    for (const target of section.lockset) {
      this.host.send({ kind: "SendEvent", id: this.host.nextSequence(), instanceId: target, name: RELEASE_EVENT, input: JSON.stringify(release), visibleAt: null });
    }
  }
}

/** Release messages for a section's entities (ids stable, so sending them twice delivers them once). */
export function releaseMessages(instanceId: string, executionId: string, requestId: string, lockset: readonly string[], now: number): InboxMessage[] {
  const input = JSON.stringify({ parent: instanceId, id: requestId } satisfies EntityRelease);
  return lockset.map((target) => ({
    id: `${instanceId}|${executionId}|release|${requestId}|${target}`,
    instanceId: target,
    executionId: null,
    visibleAt: now,
    event: { EventType: "EventRaised", EventId: -1, Timestamp: now, Name: RELEASE_EVENT, Input: input },
  }));
}

/**
 * The sections an execution's history left unreleased (for a failure planned without a live
 * executor): each lock request it sent with no release sent after it.
 */
export function unreleasedSections(history: readonly { EventType: string; Name?: string; Input?: Json }[]): { requestId: string; lockset: string[] }[] {
  const open = new Map<string, string[]>();
  for (const e of history) {
    if (e.EventType !== "EventSent" || typeof e.Input !== "string") continue;
    try {
      const value = JSON.parse(e.Input) as { id?: unknown; op?: unknown; lockset?: unknown };
      if (e.Name === OPERATION_EVENT && value.op === null && typeof value.id === "string" && Array.isArray(value.lockset)) open.set(value.id, value.lockset as string[]);
      if (e.Name === RELEASE_EVENT && typeof value.id === "string") open.delete(value.id);
    } catch {
      // not ours
    }
  }
  return [...open].map(([requestId, lockset]) => ({ requestId, lockset }));
}

function assertOperation(operation: unknown): asserts operation is string {
  if (typeof operation !== "string" || operation === "") throw new DurableError("InvalidArgument", "An entity operation needs a non-empty name.");
}

/**
 * @module entities/entity-batch — one step of an entity: the requests in its inbox, run one at a
 * time in arrival order against its state, then one fenced commit with the new state, the
 * answers to callers and the signals and orchestrations the operations asked for. An operation
 * that throws rolls back its own changes only (Durable Functions' `RollbackEntityOperationsOnExceptions`).
 * Operations may be async: the batch awaits each (Durable Functions' JS entities do not).
 */
import type { ReplaySafeLogger } from "../context.ts";
import type { OrchestratorDefinition } from "../definitions.ts";
import { DurableError, toFailureDetails } from "../errors.ts";
import { newInstanceId } from "../guid.ts";
import { validateInstanceId } from "../instance-id.ts";
import { fromJson, toJson, type Json } from "../json.ts";
import { LIMITS } from "../limits.ts";
import { messageIds, recordWith, startMessage } from "../step.ts";
import type { InboxMessage, InstanceRecord, StepCommit, StepInput } from "../store.ts";
import type { EntityContext, EntityDefinition, SignalOptions } from "./entity-definition.ts";
import { entityInstanceId, parseEntityInstanceId, toEntityId, type EntityId, type EntityIdLike } from "./entity-id.ts";
import {
  entityMessageIds,
  readRelease,
  readRequest,
  requestMessage,
  responseMessage,
  type EntityRelease,
  type EntityRequest,
} from "./entity-messages.ts";
import { ENTITY_EXECUTION_ID, isIdleEntity, readEntityRecord, type EntityRecordState } from "./entity-state.ts";

export interface EntityEnvironment {
  entity(name: string): EntityDefinition | undefined;
  logger: ReplaySafeLogger;
  /** Requests one step runs at most; the rest wait for the next step (default 1,000). */
  maxBatchSize?: number | undefined;
  /** An async operation running longer fails with a `Timeout` error (default 30,000 ms). */
  operationTimeoutMs?: number | undefined;
}

/** How long a release that came before its lock request is remembered. */
const EARLY_RELEASE_TTL_MS = 24 * 60 * 60 * 1000;
const MAX_EARLY_RELEASES = 100;

/**
 * Runs one batch of an entity's inbox and returns its commit (a promise only when an operation
 * was async). Never throws for what user code does: a failing operation is answered as a failure.
 */
export function runEntityBatch(input: StepInput, env: EntityEnvironment, now: number): StepCommit | Promise<StepCommit> {
  return new EntityBatch(input, env, now).run();
}

/**
 * The commit of an entity batch that could not be stored (after retries): its requests are
 * consumed unapplied, each caller is answered with `error` (signals are dropped, logged), the
 * state stays as it was. So one batch no store accepts never blocks the entity for good.
 */
export function failEntityBatch(input: StepInput, error: unknown, env: EntityEnvironment, now: number): StepCommit {
  const failure = toFailureDetails(error);
  const out: InboxMessage[] = [];
  for (const m of input.messages) {
    const r = readRequest(m.event);
    if (!r || !r.parent || r.signal) continue;
    out.push(responseMessage(r, { result: null, exceptionType: failure.ErrorType, failureDetails: failure }, now));
  }
  env.logger.error(`durable-edge: a batch of entity '${input.instanceId}' could not be stored; its ${input.messages.length} requests were dropped and their callers told.`, error);
  const row = input.instance;
  return {
    instanceId: input.instanceId,
    expectedEtag: row ? row.etag : null,
    instance: row ? recordWith(row, { etag: row.etag + 1, lastUpdatedAt: now }) : null,
    history: { mode: "append", events: [] },
    deleteMessageIds: input.messages.map((m) => m.id),
    dropExecution: null,
    messages: out,
    activities: [],
  };
}

type Work = { kind: "request"; request: EntityRequest } | { kind: "release"; release: EntityRelease };

class EntityBatch {
  private readonly id: EntityId | null;
  private readonly definition: EntityDefinition | undefined;
  private readonly doc: EntityRecordState;
  private readonly out: InboxMessage[] = [];
  private readonly consumed: string[] = [];
  private readonly work: Work[] = [];
  private changed = false;

  private readonly input: StepInput;
  private readonly env: EntityEnvironment;
  private readonly now: number;
  constructor(input: StepInput, env: EntityEnvironment, now: number) {
    this.input = input;
    this.env = env;
    this.now = now;
    this.id = parseEntityInstanceId(input.instanceId);
    this.definition = this.id ? env.entity(this.id.name) : undefined;
    this.doc = readEntityRecord(input.instance);
    this.take();
  }

  /** Picks this step's messages: in the order they became due, up to the batch size and the step's byte budget. */
  private take(): void {
    const max = this.env.maxBatchSize ?? 1000;
    const ordered = this.input.messages.map((m, i) => ({ m, i })).sort((a, b) => a.m.visibleAt - b.m.visibleAt || a.i - b.i);
    let bytes = 0;
    for (const { m } of ordered) {
      const size = typeof (m.event as { Input?: unknown }).Input === "string" ? ((m.event as { Input: string }).Input.length) : 0;
      if (this.consumed.length >= max || (this.consumed.length > 0 && bytes + size > LIMITS.consumedBytesPerStep)) break;
      bytes += size;
      this.consumed.push(m.id);
      const request = readRequest(m.event);
      if (request) {
        this.work.push({ kind: "request", request });
        continue;
      }
      const release = readRelease(m.event);
      if (release) this.work.push({ kind: "release", release });
      else this.env.logger.warn(`durable-edge: entity '${this.input.instanceId}' received a ${m.event.EventType} message it does not understand; it was dropped.`);
    }
  }

  run(): StepCommit | Promise<StepCommit> {
    if (!this.id) {
      this.env.logger.warn(`durable-edge: '${this.input.instanceId}' is not a valid entity ID ('@name@key'); its messages were dropped.`);
      return this.commit();
    }
    while (this.work.length > 0) {
      const item = this.work.shift()!;
      const pending = item.kind === "release" ? this.release(item.release) : this.request(item.request);
      if (pending) return pending.then(() => this.run());
    }
    return this.commit();
  }

  private request(r: EntityRequest): Promise<void> | void {
    const lock = this.doc.lock;
    if (lock && r.parent !== lock.instanceId) {
      this.doc.queue.push(r); // behind the critical section that holds the lock
      this.changed = true;
      return;
    }
    return r.op === null ? this.lock(r) : this.operate(r);
  }

  private lock(r: EntityRequest): void {
    this.changed = true;
    const early = this.doc.released.findIndex((x) => x.id === r.id);
    if (early >= 0) {
      this.doc.released.splice(early, 1); // its orchestration ended before the request got here
      return;
    }
    const lockset = r.lockset!;
    const pos = r.pos!;
    this.doc.lock = { instanceId: r.parent!, executionId: r.parentExecution ?? null, requestId: r.id, lockset };
    if (pos + 1 < lockset.length) {
      const next = lockset[pos + 1]!;
      this.out.push(requestMessage(entityMessageIds.lockForward(next, r.id), next, { ...r, pos: pos + 1, timestamp: this.now }, this.now));
    } else {
      this.out.push(responseMessage(r, { result: null }, this.now));
    }
  }

  private release(rel: EntityRelease): void {
    this.changed = true;
    const lock = this.doc.lock;
    if (lock && lock.instanceId === rel.parent && lock.requestId === rel.id) {
      this.doc.lock = null;
      this.work.unshift(...this.doc.queue.splice(0).map((request): Work => ({ kind: "request", request })));
      return;
    }
    const released = this.doc.released.filter((x) => this.now - x.at < EARLY_RELEASE_TTL_MS && x.id !== rel.id);
    released.push({ id: rel.id, at: this.now });
    this.doc.released = released.slice(-MAX_EARLY_RELEASES);
  }

  private operate(r: EntityRequest): Promise<void> | void {
    this.changed = true;
    const op = r.op!;
    this.doc.lastOperation = op;
    this.doc.lastOperationAt = this.now;
    const definition = this.definition;
    if (!definition) {
      const error = new DurableError("UnknownEntity", `No entity named '${this.id!.name}' is registered with this runtime. Register it in createRuntime({ entities }).`);
      if (r.signal) this.env.logger.warn(`durable-edge: signal '${op}' to '${this.input.instanceId}' dropped: ${error.message}`);
      else this.answer(r, { error });
      return;
    }
    const hasOwnDelete = definition.entityClass ? findMethod(definition.entityClass, "delete") !== null : false;
    if (op.toLowerCase() === "delete" && !hasOwnDelete) {
      this.doc.exists = false;
      this.doc.state = null;
      this.answer(r, { result: null });
      return;
    }
    const ctx = new OperationContext(this.id!, op, r, this.doc.exists, this.doc.state, this.now);
    let returned: unknown;
    try {
      returned = definition.entityClass ? ctx.invokeClass(definition.entityClass) : definition.fn!(ctx);
    } catch (error) {
      this.answer(r, { error });
      return;
    }
    if (isThenable(returned)) {
      return withTimeout(returned, this.env.operationTimeoutMs ?? 30_000, `Operation '${op}' of entity '${this.input.instanceId}'`).then(
        (value) => this.finishOperation(r, ctx, value),
        (error: unknown) => this.answer(r, { error }),
      );
    }
    this.finishOperation(r, ctx, returned);
  }

  /** Keeps what a successful operation did (its state, signals, starts) and answers its caller. */
  private finishOperation(r: EntityRequest, ctx: OperationContext, returned: unknown): void {
    let state: Json;
    let result: Json;
    try {
      state = ctx.finalState();
      result = toJson(ctx.returnedValue !== undefined ? ctx.returnedValue : returned, `The result of operation '${r.op}' of entity '${this.input.instanceId}'`);
    } catch (error) {
      this.answer(r, { error });
      return;
    }
    if (ctx.destruct) {
      this.doc.exists = false;
      this.doc.state = null;
    } else if (ctx.stateWritten) {
      this.doc.exists = true;
      this.doc.state = state;
    }
    for (const m of ctx.outgoing(this.input.instanceId)) this.out.push(m);
    this.answer(r, { result });
  }

  private answer(r: EntityRequest, outcome: { result: Json } | { error: unknown }): void {
    if (r.signal || !r.parent) {
      if ("error" in outcome) this.env.logger.warn(`durable-edge: signal '${r.op}' to entity '${this.input.instanceId}' failed (its state is as before):`, outcome.error);
      return;
    }
    if ("result" in outcome) {
      this.out.push(responseMessage(r, { result: outcome.result }, this.now));
      return;
    }
    const failure = toFailureDetails(outcome.error);
    this.out.push(responseMessage(r, { result: null, exceptionType: failure.ErrorType, failureDetails: failure }, this.now));
  }

  private commit(): StepCommit {
    const row = this.input.instance;
    const doc = this.doc;
    const idle = isIdleEntity(doc);
    let instance: InstanceRecord | null = null;
    if (row || !idle) {
      const now = this.now;
      const base: InstanceRecord = row ?? {
        instanceId: this.input.instanceId,
        name: this.definition?.name ?? this.id?.name ?? this.input.instanceId,
        version: null,
        executionId: ENTITY_EXECUTION_ID,
        runtimeStatus: "Running",
        input: null,
        output: null,
        customStatus: null,
        failureDetails: null,
        parentInstanceId: null,
        createdAt: now,
        lastUpdatedAt: now,
        completedAt: null,
        etag: 0,
        historyLength: 0,
      };
      instance = recordWith(base, {
        runtimeStatus: idle ? "Completed" : "Running",
        input: JSON.stringify(doc),
        lastUpdatedAt: this.changed ? now : base.lastUpdatedAt,
        completedAt: idle ? now : null,
        etag: base.etag + 1,
        historyLength: 0,
      });
    }
    return {
      instanceId: this.input.instanceId,
      expectedEtag: row ? row.etag : null,
      instance,
      history: { mode: "append", events: [] },
      deleteMessageIds: this.consumed,
      dropExecution: null,
      messages: this.out,
      activities: [],
    };
  }
}

/** The context of one operation: reads and writes a working copy of the state; kept only if the operation succeeds. */
class OperationContext implements EntityContext<unknown> {
  readonly entityId: EntityId;
  readonly operationName: string;
  readonly isNewlyConstructed: boolean;
  stateWritten = false;
  destruct = false;
  returnedValue: unknown = undefined;
  private value: unknown = undefined;
  private valueRead = false;
  private readonly signals: { target: string; request: EntityRequest; at: number }[] = [];
  private readonly starts: InboxMessage[] = [];
  private classInstance: object | null = null;

  private readonly request: EntityRequest;
  private readonly exists: boolean;
  private readonly stored: Json;
  private readonly now: number;
  constructor(id: EntityId, op: string, request: EntityRequest, exists: boolean, stored: Json, now: number) {
    this.entityId = id;
    this.operationName = op;
    this.request = request;
    this.exists = exists;
    this.stored = stored;
    this.now = now;
    this.isNewlyConstructed = !exists;
  }

  get entityName(): string {
    return this.entityId.name;
  }
  get entityKey(): string {
    return this.entityId.key;
  }
  get hasInput(): boolean {
    return this.request.input !== undefined && this.request.input !== null;
  }

  getState<T = unknown>(initializer?: () => T): T | undefined {
    if (this.stateWritten) return this.value as T;
    if (this.exists) {
      if (!this.valueRead) {
        this.value = fromJson(this.stored);
        this.valueRead = true;
      }
      return this.value as T;
    }
    if (!initializer) return undefined;
    this.setState(initializer());
    return this.value as T;
  }

  setState(state: unknown): void {
    this.value = state;
    this.stateWritten = true;
    this.destruct = false;
  }

  getInput<T = unknown>(): T | undefined {
    return this.hasInput ? fromJson<T>(this.request.input!) : undefined;
  }

  return(result: unknown): void {
    this.returnedValue = result;
  }

  destructOnExit(): void {
    this.destruct = true;
  }

  signalEntity(entity: EntityIdLike, operationName: string, input?: unknown, options: SignalOptions = {}): void {
    const target = entityInstanceId(toEntityId(entity));
    if (typeof operationName !== "string" || operationName === "") throw new DurableError("InvalidArgument", "signalEntity needs a non-empty operation name.");
    const at = options.at === undefined ? this.now : typeof options.at === "number" ? options.at : options.at.getTime();
    if (!Number.isFinite(at)) throw new DurableError("InvalidArgument", `signalEntity: options.at must be a valid date, got ${String(options.at)}.`);
    const id = `${this.request.id}:${this.signals.length}`;
    this.signals.push({ target, at, request: { id, op: operationName, signal: true, input: toJson(input, `The input of signal '${operationName}'`), timestamp: this.now } });
  }

  startNewOrchestration(orchestrator: OrchestratorDefinition | string, input?: unknown, instanceId?: string): string {
    const name = typeof orchestrator === "string" ? orchestrator : orchestrator?.name;
    if (typeof name !== "string" || name === "") throw new DurableError("InvalidArgument", "startNewOrchestration needs an orchestrator definition or name.");
    const id = instanceId ?? newInstanceId();
    validateInstanceId(id);
    const executionId = newInstanceId();
    this.starts.push(startMessage({ id: messageIds.start(id, executionId), instanceId: id, executionId, name, version: null, input: toJson(input, `The input of orchestration '${name}'`), parent: null, now: this.now }));
    return id;
  }

  /** Runs a class-style operation: a fresh instance with the stored fields, the method called with the input and this context. */
  invokeClass(entityClass: new () => object): unknown {
    const instance = new entityClass();
    if (this.exists && this.stored !== null) {
      const fields = fromJson(this.stored);
      if (typeof fields === "object" && fields !== null) Object.assign(instance, fields);
    }
    this.classInstance = instance;
    const name = findMethod(entityClass, this.operationName);
    if (!name) {
      throw new DurableError(
        "InvalidArgument",
        `Entity '${this.entityId.name}' has no operation '${this.operationName}'; its operations are ${methodNames(entityClass).join(", ") || "(none)"}.`,
      );
    }
    return (instance as Record<string, (input: unknown, ctx: EntityContext) => unknown>)[name]!(this.getInput(), this);
  }

  /** The state to keep (class-style: the instance's fields), as JSON; throws when it cannot be stored. */
  finalState(): Json {
    const what = `The state of entity '${entityInstanceId(this.entityId)}'`;
    if (this.classInstance && !this.destruct) {
      this.stateWritten = true;
      return toJson({ ...this.classInstance }, what);
    }
    return this.stateWritten ? toJson(this.value, what) : this.stored;
  }

  outgoing(self: string): InboxMessage[] {
    const messages = this.signals.map((s, i) => requestMessage(entityMessageIds.fromEntity(self, this.request.id, i), s.target, s.request, s.at));
    return messages.concat(this.starts);
  }
}

function findMethod(entityClass: Function, op: string): string | null {
  const wanted = op.toLowerCase();
  for (const name of methodNames(entityClass)) if (name.toLowerCase() === wanted) return name;
  return null;
}

function methodNames(entityClass: Function): string[] {
  const names: string[] = [];
  for (let proto = entityClass.prototype as object | null; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === "constructor" || names.includes(name)) continue;
      const d = Object.getOwnPropertyDescriptor(proto, name);
      if (d && typeof d.value === "function") names.push(name);
    }
  }
  return names;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}

function withTimeout<T>(promise: PromiseLike<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new DurableError("Timeout", `${what} ran longer than ${ms} ms and was abandoned; the entity's state is as before it.`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

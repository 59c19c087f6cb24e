/**
 * @module entities/entity-id — how entities are named, as in Durable Functions: an `EntityId` is a
 * name and a key, and the instance that holds it is `@name@key` (the name lower-cased, the key not).
 */
import { DurableError } from "../errors.ts";
import { MAX_INSTANCE_ID_LENGTH } from "../instance-id.ts";
import type { EntityOperations, UntypedOperations } from "./entity-definition.ts";

/**
 * Which entity: `new EntityId("Counter", "myCounter")`. Typed by the entity's operations when made
 * from its definition (`entityId(counter, "myCounter")`), so that `callEntity` and `signalEntity`
 * check the operation's name and input at compile time.
 */
export class EntityId<Ops extends EntityOperations = UntypedOperations> {
  /** The entity's name as given (names match case-insensitively). */
  readonly name: string;
  readonly key: string;
  declare readonly __operations?: Ops;

  constructor(name: string, key: string) {
    validateEntityName(name);
    validateEntityKey(key);
    this.name = name;
    this.key = key;
    if (entityInstanceId(this).length > MAX_INSTANCE_ID_LENGTH) {
      throw new DurableError("InvalidArgument", `The entity ID '${entityInstanceId(this)}' is longer than ${MAX_INSTANCE_ID_LENGTH} characters; use a shorter key.`);
    }
  }

  /** The instance id: `@counter@myCounter`. */
  toString(): string {
    return entityInstanceId(this);
  }

  toJSON(): { name: string; key: string } {
    return { name: this.name, key: this.key };
  }
}

/** The id of the entity `key` of the entity defined by `definition`, typed by its operations. */
export function entityId<Ops extends EntityOperations>(definition: { readonly name: string; readonly __operations?: Ops }, key: string): EntityId<Ops> {
  return new EntityId<Ops>(definition.name, key);
}

/** The instance id that holds an entity: `@${name.toLowerCase()}@${key}`. */
export function entityInstanceId(id: { readonly name: string; readonly key: string }): string {
  return `@${id.name.toLowerCase()}@${id.key}`;
}

/** Whether an instance id names an entity (user instance ids may not start with `@`). */
export function isEntityInstanceId(instanceId: string): boolean {
  return instanceId.charCodeAt(0) === 64; // "@"
}

/**
 * Whether a list query with this id prefix lists the instance: entity rows only when the prefix
 * asks for entities (starts with `@`), so that orchestration queries never see them.
 */
export function listedByPrefix(instanceId: string, prefix: string | undefined): boolean {
  if (prefix) return instanceId.startsWith(prefix);
  return !isEntityInstanceId(instanceId);
}

/** The entity an instance id names (its name lower-cased), or null when it is not an entity's. */
export function parseEntityInstanceId(instanceId: string): EntityId | null {
  if (!isEntityInstanceId(instanceId)) return null;
  const at = instanceId.indexOf("@", 1);
  if (at < 2) return null;
  try {
    return new EntityId(instanceId.slice(1, at), instanceId.slice(at + 1));
  } catch {
    return null;
  }
}

/** An `EntityId`, or `{ name, key }` as JSON carries one, or an instance id `@name@key`. */
export type EntityIdLike = EntityId<any> | { readonly name: string; readonly key: string } | string;

/** Normalises what a caller passed as an entity id; throws `InvalidArgument` with what is wrong. */
export function toEntityId(value: EntityIdLike): EntityId<any> {
  if (value instanceof EntityId) return value;
  if (typeof value === "string") {
    const parsed = parseEntityInstanceId(value);
    if (!parsed) throw new DurableError("InvalidArgument", `'${value}' is not an entity instance ID; expected '@name@key', or pass new EntityId(name, key).`);
    return parsed;
  }
  if (typeof value === "object" && value !== null && typeof value.name === "string" && typeof value.key === "string") return new EntityId(value.name, value.key);
  throw new DurableError("InvalidArgument", `Expected an entity ID (new EntityId(name, key)), got ${value === null ? "null" : typeof value}.`);
}

/** Throws `InvalidArgument` unless `name` can name an entity. */
export function validateEntityName(name: unknown): asserts name is string {
  if (typeof name !== "string" || name.trim() === "") throw new DurableError("InvalidArgument", `An entity needs a non-empty name, got ${JSON.stringify(name)}.`);
  const bad = /[@/\\#?]/.exec(name);
  if (bad) throw new DurableError("InvalidArgument", `The entity name '${name}' must not contain '${bad[0]}' (nor any of @ / \\ # ?).`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) throw new DurableError("InvalidArgument", `The entity name ${JSON.stringify(name)} must not contain control characters.`);
}

/** Throws `InvalidArgument` unless `key` can be an entity key (Durable Functions' rules: no / \ # ? or control characters). */
export function validateEntityKey(key: unknown): asserts key is string {
  if (typeof key !== "string") throw new DurableError("InvalidArgument", `An entity key must be a string, got ${key === null ? "null" : typeof key}.`);
  const bad = /[/\\#?]/.exec(key);
  if (bad) throw new DurableError("InvalidArgument", `The entity key '${key}' must not contain '${bad[0]}' (nor any of / \\ # ?).`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(key)) throw new DurableError("InvalidArgument", `The entity key ${JSON.stringify(key)} must not contain control characters.`);
}

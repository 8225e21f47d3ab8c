import type { z } from 'zod';
import type { EventEnvelope } from './envelope';

/** A bounded context: the `<context>` of `events.<context>.<EventType>` on NATS. */
export type BoundedContext = 'team' | 'usage' | 'jobs' | 'runtime' | 'billing' | 'budgets' | 'notifications' | 'sample';

export interface EventDefinition<TType extends string = string, TSchema extends z.ZodType = z.ZodType> {
  readonly type: TType;
  readonly version: number;
  readonly context: BoundedContext;
  readonly schema: TSchema;
}

/** Turns the data of `type` at `fromVersion` into the data of `fromVersion + 1`. */
export interface Upcaster {
  readonly type: string;
  readonly fromVersion: number;
  upcast(data: unknown): unknown;
}

/**
 * An event as deciders see it, for each of `TDefinition`'s definitions: its
 * `type` plus its validated `data` (a union over a context's events).
 */
export type DefinedEvent<TDefinition extends EventDefinition> = TDefinition extends { type: infer T; schema: infer S extends z.ZodType }
  ? { readonly type: T; readonly data: z.output<S> }
  : never;

export function defineEvent<TType extends string, TSchema extends z.ZodType>(
  definition: EventDefinition<TType, TSchema>,
): EventDefinition<TType, TSchema> {
  return Object.freeze({ ...definition });
}

export class ContractError extends Error {
  constructor(
    readonly code: ContractErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ContractError';
  }
}

export enum ContractErrorCode {
  UnknownEventType = 'UNKNOWN_EVENT_TYPE',
  UnknownVersion = 'UNKNOWN_VERSION',
  MissingUpcaster = 'MISSING_UPCASTER',
  DuplicateDefinition = 'DUPLICATE_DEFINITION',
  InvalidData = 'INVALID_DATA',
}

/**
 * Every event type Steward knows, each at every version it was ever written
 * with, and the upcasters between them. Readers call `upcast` so that code only
 * ever sees the latest shape.
 */
export class EventRegistry {
  private readonly definitions = new Map<string, Map<number, EventDefinition>>();
  private readonly upcasters = new Map<string, Upcaster>();

  register(...definitions: EventDefinition[]): this {
    for (const definition of definitions) {
      const versions = this.definitions.get(definition.type) ?? new Map<number, EventDefinition>();
      if (versions.has(definition.version)) {
        throw new ContractError(
          ContractErrorCode.DuplicateDefinition,
          `${definition.type} v${definition.version} is defined twice`,
        );
      }
      versions.set(definition.version, definition);
      this.definitions.set(definition.type, versions);
    }
    return this;
  }

  registerUpcaster(upcaster: Upcaster): this {
    this.upcasters.set(`${upcaster.type}@${upcaster.fromVersion}`, upcaster);
    return this;
  }

  has(type: string): boolean {
    return this.definitions.has(type);
  }

  latestVersion(type: string): number {
    const versions = this.versionsOf(type);
    return Math.max(...versions.keys());
  }

  contextOf(type: string): BoundedContext | undefined {
    const versions = this.definitions.get(type);
    if (!versions) return undefined;
    return versions.get(Math.max(...versions.keys()))?.context;
  }

  /** All registered types with their latest version and context, for docs and the catalogue. */
  list(): Array<{ type: string; version: number; context: BoundedContext; versions: number[] }> {
    return [...this.definitions.entries()]
      .map(([type, versions]) => {
        const all = [...versions.keys()].sort((a, b) => a - b);
        const latest = versions.get(all[all.length - 1]!)!;
        return { type, version: latest.version, context: latest.context, versions: all };
      })
      .sort((a, b) => a.type.localeCompare(b.type));
  }

  /** Validates `data` against the schema of (type, version). */
  validate<T = unknown>(type: string, version: number, data: unknown): T {
    const definition = this.versionsOf(type).get(version);
    if (!definition) {
      throw new ContractError(ContractErrorCode.UnknownVersion, `${type} has no version ${version}`);
    }
    const parsed = definition.schema.safeParse(data);
    if (!parsed.success) {
      const where = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
      throw new ContractError(ContractErrorCode.InvalidData, `${type} v${version} is invalid: ${where.join('; ')}`);
    }
    return parsed.data as T;
  }

  /** Brings an event written at any known version up to the latest version, validated. */
  upcast<E extends EventEnvelope>(event: E): E {
    const latest = this.latestVersion(event.type);
    let data = event.data;
    let version = event.version;
    if (version > latest) {
      throw new ContractError(ContractErrorCode.UnknownVersion, `${event.type} v${version} is newer than this code (v${latest})`);
    }
    while (version < latest) {
      const upcaster = this.upcasters.get(`${event.type}@${version}`);
      if (!upcaster) {
        throw new ContractError(ContractErrorCode.MissingUpcaster, `no upcaster from ${event.type} v${version}`);
      }
      data = upcaster.upcast(data);
      version += 1;
    }
    return { ...event, version, data: this.validate(event.type, version, data) };
  }

  private versionsOf(type: string): Map<number, EventDefinition> {
    const versions = this.definitions.get(type);
    if (!versions) throw new ContractError(ContractErrorCode.UnknownEventType, `unknown event type ${type}`);
    return versions;
  }
}

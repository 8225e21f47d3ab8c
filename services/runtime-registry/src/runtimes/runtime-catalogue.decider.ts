import type { Decider } from '@steward/commands';
import {
  runtimeNameKey,
  runtimeProvider,
  type RuntimeCategory,
  type RuntimeCommandPayload,
  type RuntimeConfig,
  type RuntimeEvent,
  type RuntimeProviderId,
  type SecretReference,
} from '@steward/contracts';
import { RuntimeError, RuntimeErrorCode } from './runtime.error';

export interface RuntimeEntry {
  readonly runtimeId: string;
  readonly name: string;
  readonly category: RuntimeCategory;
  readonly provider: RuntimeProviderId;
  readonly config: RuntimeConfig;
  readonly secrets: Readonly<Record<string, SecretReference>>;
}

/** A workspace's runtime catalogue: the aggregate behind unique names and one default per category. */
export interface RuntimeCatalogueState {
  readonly organizationId: string | undefined;
  readonly runtimes: Readonly<Record<string, RuntimeEntry>>;
  /** Ids ever used in this workspace (a deleted runtime's id is not reused). */
  readonly usedIds: ReadonlySet<string>;
  readonly defaults: Readonly<Partial<Record<RuntimeCategory, string>>>;
  /** Tests requested and whether their outcome is recorded. */
  readonly tests: Readonly<Record<string, { readonly runtimeId: string; readonly done: boolean }>>;
}

const initialState: RuntimeCatalogueState = { organizationId: undefined, runtimes: {}, usedIds: new Set(), defaults: {}, tests: {} };

/** A workspace's catalogue stream folded. */
function evolve(state: RuntimeCatalogueState, event: RuntimeEvent): RuntimeCatalogueState {
  switch (event.type) {
    case 'RuntimeRegistered': {
      const { runtimeId, name, category, provider, config, secrets, organizationId } = event.data;
      return {
        ...state,
        organizationId,
        runtimes: { ...state.runtimes, [runtimeId]: { runtimeId, name, category, provider, config, secrets } },
        usedIds: new Set([...state.usedIds, runtimeId]),
      };
    }
    case 'RuntimeReconfigured': {
      const current = state.runtimes[event.data.runtimeId];
      if (!current) return state;
      const { name, config, secrets } = event.data;
      return { ...state, runtimes: { ...state.runtimes, [current.runtimeId]: { ...current, name, config, secrets } } };
    }
    case 'RuntimeDefaultSet':
      return { ...state, defaults: { ...state.defaults, [event.data.category]: event.data.runtimeId } };
    case 'RuntimeTestRequested':
      return { ...state, tests: { ...state.tests, [event.data.testId]: { runtimeId: event.data.runtimeId, done: false } } };
    case 'RuntimeTestSucceeded':
    case 'RuntimeTestFailed':
      return { ...state, tests: { ...state.tests, [event.data.testId]: { runtimeId: event.data.runtimeId, done: true } } };
    case 'RuntimeDeleted': {
      const { [event.data.runtimeId]: _gone, ...runtimes } = state.runtimes;
      const defaults = { ...state.defaults };
      if (defaults[event.data.category] === event.data.runtimeId) delete defaults[event.data.category];
      return { ...state, runtimes, defaults };
    }
    default: {
      const _exhaustive: never = event;
      return state;
    }
  }
}

/** The runtime of the catalogue holding this name in this category, if any. */
function runtimeNamed(state: RuntimeCatalogueState, category: RuntimeCategory, name: string): RuntimeEntry | undefined {
  const key = runtimeNameKey(name);
  return Object.values(state.runtimes).find((runtime) => runtime.category === category && runtimeNameKey(runtime.name) === key);
}

/** Who decides and when: from the command's envelope (deciders read no clock). */
export interface DecisionContext {
  readonly organizationId: string;
  readonly workspaceId: string;
  readonly actorId: string;
  /** ISO time the command was issued. */
  readonly at: string;
}

/**
 * The catalogue's commands as the handler builds them: configuration
 * already validated against the provider's schema and split into non-secret
 * fields and secret references (the values are in the secret store, never here).
 */
export type CatalogueRequest =
  | {
      readonly type: 'RegisterRuntime';
      readonly runtimeId: string;
      readonly name: string;
      readonly provider: RuntimeProviderId;
      readonly config: RuntimeConfig;
      readonly secrets: Readonly<Record<string, SecretReference>>;
      readonly setAsDefault: boolean;
    }
  | {
      readonly type: 'ReconfigureRuntime';
      readonly runtimeId: string;
      readonly name?: string | undefined;
      /** Non-secret fields to change. */
      readonly config?: RuntimeConfig | undefined;
      /** Secret fields given a new value (new references). */
      readonly secrets?: Readonly<Record<string, SecretReference>> | undefined;
      /** Fields, plain or secret, the change removes (another credential form replaced theirs). */
      readonly removed?: readonly string[] | undefined;
    }
  | { readonly type: 'SetDefaultRuntime'; readonly runtimeId: string }
  | { readonly type: 'RequestRuntimeTest'; readonly runtimeId: string; readonly testId: string }
  | ({ readonly type: 'RecordRuntimeTestResult' } & Omit<RuntimeCommandPayload<'RecordRuntimeTestResult'>, 'workspaceId'>)
  | { readonly type: 'DeleteRuntime'; readonly runtimeId: string };

/** A command as the decider receives it: the request and who sends it, where and when. */
export type CatalogueCommand = CatalogueRequest & { readonly context: DecisionContext };

function existing(state: RuntimeCatalogueState, runtimeId: string, workspaceId: string) {
  const runtime = state.runtimes[runtimeId];
  if (!runtime) throw new RuntimeError(RuntimeErrorCode.NotFound, `no runtime ${runtimeId} in workspace ${workspaceId}`);
  return runtime;
}

function sameJson(left: unknown, right: unknown): boolean {
  return JSON.stringify(left, Object.keys(left as object).sort()) === JSON.stringify(right, Object.keys(right as object).sort());
}

/**
 * The rules of a workspace's runtime catalogue:
 * - a name is unique per workspace and category (case- and space-insensitive);
 * - one default per category: setting one clears the previous in the same event;
 *   "set as default" at creation is that same event right after the registration;
 * - a runtime id is never reused, not even after a delete;
 * - a test outcome is recorded once per test; one for a deleted runtime is dropped.
 */
function decide(command: CatalogueCommand, state: RuntimeCatalogueState): RuntimeEvent[] {
  const { context } = command;
  const scope = { organizationId: context.organizationId, workspaceId: context.workspaceId };
  switch (command.type) {
    case 'RegisterRuntime': {
      if (state.usedIds.has(command.runtimeId)) throw new RuntimeError(RuntimeErrorCode.Exists, `runtime ${command.runtimeId} exists`);
      const { category } = runtimeProvider(command.provider);
      const clash = runtimeNamed(state, category, command.name);
      if (clash) throw new RuntimeError(RuntimeErrorCode.NameTaken, `a ${category} runtime named "${clash.name}" exists in this workspace`);
      const events: RuntimeEvent[] = [
        {
          type: 'RuntimeRegistered',
          data: {
            ...scope,
            runtimeId: command.runtimeId,
            name: command.name,
            category,
            provider: command.provider,
            config: command.config,
            secrets: { ...command.secrets },
            registeredBy: context.actorId,
            registeredAt: context.at,
          },
        },
      ];
      if (command.setAsDefault) {
        events.push({
          type: 'RuntimeDefaultSet',
          data: { ...scope, runtimeId: command.runtimeId, category, previousDefaultRuntimeId: state.defaults[category] ?? null, setBy: context.actorId, setAt: context.at },
        });
      }
      return events;
    }
    case 'ReconfigureRuntime': {
      const runtime = existing(state, command.runtimeId, context.workspaceId);
      const name = command.name ?? runtime.name;
      const clash = runtimeNamed(state, runtime.category, name);
      if (clash && clash.runtimeId !== runtime.runtimeId) {
        throw new RuntimeError(RuntimeErrorCode.NameTaken, `a ${runtime.category} runtime named "${clash.name}" exists in this workspace`);
      }
      const removed = new Set(command.removed ?? []);
      const kept = <T>(record: Readonly<Record<string, T>>): Record<string, T> => Object.fromEntries(Object.entries(record).filter(([field]) => !removed.has(field)));
      const config = { ...kept(runtime.config), ...command.config };
      const secrets = { ...kept(runtime.secrets), ...command.secrets };
      const changedSecrets = [...new Set([...Object.keys(command.secrets ?? {}), ...Object.keys(runtime.secrets).filter((field) => removed.has(field))])].sort();
      if (name === runtime.name && changedSecrets.length === 0 && sameJson(config, runtime.config)) return [];
      return [
        {
          type: 'RuntimeReconfigured',
          data: {
            ...scope,
            runtimeId: runtime.runtimeId,
            name,
            previousName: runtime.name,
            config,
            secrets,
            changedSecrets,
            reconfiguredBy: context.actorId,
            reconfiguredAt: context.at,
          },
        },
      ];
    }
    case 'SetDefaultRuntime': {
      const runtime = existing(state, command.runtimeId, context.workspaceId);
      const previous = state.defaults[runtime.category];
      if (previous === runtime.runtimeId) return [];
      return [
        {
          type: 'RuntimeDefaultSet',
          data: { ...scope, runtimeId: runtime.runtimeId, category: runtime.category, previousDefaultRuntimeId: previous ?? null, setBy: context.actorId, setAt: context.at },
        },
      ];
    }
    case 'RequestRuntimeTest': {
      const runtime = existing(state, command.runtimeId, context.workspaceId);
      if (state.tests[command.testId]) throw new RuntimeError(RuntimeErrorCode.Exists, `test ${command.testId} exists`);
      return [{ type: 'RuntimeTestRequested', data: { ...scope, runtimeId: runtime.runtimeId, testId: command.testId, requestedBy: context.actorId, requestedAt: context.at } }];
    }
    case 'RecordRuntimeTestResult': {
      const test = state.tests[command.testId];
      if (!test || test.runtimeId !== command.runtimeId) throw new RuntimeError(RuntimeErrorCode.NotFound, `no test ${command.testId} of runtime ${command.runtimeId}`);
      if (test.done || !state.runtimes[command.runtimeId]) return [];
      const outcome = {
        ...scope,
        runtimeId: command.runtimeId,
        testId: command.testId,
        probe: command.probe,
        statusCode: command.statusCode,
        latencyMs: command.latencyMs,
        attempts: command.attempts,
        message: command.message,
        testedAt: command.testedAt,
      };
      return command.outcome === 'succeeded'
        ? [{ type: 'RuntimeTestSucceeded', data: outcome }]
        : [{ type: 'RuntimeTestFailed', data: { ...outcome, failure: command.failure ?? 'unreachable' } }];
    }
    case 'DeleteRuntime': {
      const runtime = existing(state, command.runtimeId, context.workspaceId);
      return [
        {
          type: 'RuntimeDeleted',
          data: {
            ...scope,
            runtimeId: runtime.runtimeId,
            name: runtime.name,
            category: runtime.category,
            wasDefault: state.defaults[runtime.category] === runtime.runtimeId,
            deletedBy: context.actorId,
            deletedAt: context.at,
          },
        },
      ];
    }
    default: {
      const _exhaustive: never = command;
      throw new Error(`unknown command ${JSON.stringify(_exhaustive)}`);
    }
  }
}

/** A workspace's runtime catalogue: its stream is `RuntimeStreams.workspace(workspaceId)`. */
export const catalogueDecider: Decider<CatalogueCommand, RuntimeCatalogueState, RuntimeEvent> = { decide, evolve, initialState };

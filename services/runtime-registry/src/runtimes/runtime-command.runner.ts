import { CommandRunner, type LoadedStream } from '@steward/commands';
import {
  RuntimeCommandPayloads,
  RuntimeStreams,
  runtimeEventRegistry,
  runtimeSecretOwner,
  type CommandEnvelope,
  type ReconfigureRuntimeAnswer,
  type RuntimeCommandAnswer,
  type RuntimeCommandPayload,
  type RuntimeCommandType,
  type SecretReference,
} from '@steward/contracts';
import type { EventStore } from '@steward/event-store';
import { SecretsError, maskSecret, secretRefFor, type SecretStore } from '@steward/secrets';
import type { RuntimeAuthorizer } from './runtime-access';
import { catalogueDecider, type CatalogueRequest, type DecisionContext, type RuntimeCatalogueState } from './runtime-catalogue.decider';
import { configChange, mergedConfig, splitConfig, validatedConfig } from './runtime-config';
import { RuntimeError, RuntimeErrorCode } from './runtime.error';

/** What the connection-test queue is given for one test. */
export interface RuntimeTestJob {
  readonly organizationId: string;
  readonly workspaceId: string;
  readonly runtimeId: string;
  readonly testId: string;
}

export interface RuntimeCommandRunnerOptions {
  readonly store: EventStore;
  readonly secrets: SecretStore;
  readonly authorize: RuntimeAuthorizer;
  /** Puts a test on the connection-test queue (idempotent per test id). */
  readonly enqueueTest: (job: RuntimeTestJob) => Promise<void>;
  /** Attempts on a concurrency conflict before RUNTIME_CONFLICT. Default 8 (set-default races are expected). */
  readonly maxAttempts?: number;
}

export type LoadedCatalogue = LoadedStream<RuntimeCatalogueState>;

/** What a command does around its decision: secrets written before the append, cleaned after. */
interface Plan {
  readonly build: (loaded: LoadedCatalogue) => CatalogueRequest;
  /** Before the append (every attempt): store what the events will refer to. */
  readonly beforeAppend?: () => Promise<void>;
  /** After the events are stored (or found stored: a resent command). */
  readonly afterCommit?: () => Promise<void>;
  /** The command was refused or failed after beforeAppend ran: undo it. */
  readonly onAbort?: () => Promise<void>;
}

/**
 * Carries out the runtime context's commands on a workspace's catalogue
 * stream with @steward/commands' runner: parse, authorize (the team's own
 * events), validate the provider configuration, split secrets off into the
 * secret store, decide, append at the expected revision with event ids
 * derived from the command id. A concurrency conflict is decided again on the
 * fresh state (every rule is checked again: two set-default calls end with
 * exactly one default).
 */
export class RuntimeCommandRunner {
  private readonly commands: CommandRunner<RuntimeErrorCode>;

  constructor(private readonly options: RuntimeCommandRunnerOptions) {
    this.commands = new CommandRunner({ store: options.store, registry: runtimeEventRegistry, errors: RuntimeError, codes: RuntimeErrorCode, maxAttempts: options.maxAttempts ?? 8, refusalOf: secretStoreRefusal });
  }

  /** For NATS handlers: refusals become RpcExceptions carrying a RuntimeErrorBody. */
  run(type: RuntimeCommandType, raw: unknown): Promise<RuntimeCommandAnswer> {
    return this.commands.handle(type, raw, (envelope) => this.execute(type, envelope));
  }

  /** In-process callers (the connection-test worker): refusals stay RuntimeErrors. */
  async execute(type: RuntimeCommandType, envelope: CommandEnvelope): Promise<RuntimeCommandAnswer> {
    // never echoed on a refusal: the payload may hold secret values
    const payload = this.commands.parsePayload(type, RuntimeCommandPayloads[type], envelope) as RuntimeCommandPayload<RuntimeCommandType>;
    const workspaceId = payload.workspaceId;
    const organizationId = await this.options.authorize(envelope, workspaceId, {
      systemOnly: type === 'RecordRuntimeTestResult',
      action: type === 'RequestRuntimeTest' ? 'runtimes.test' : 'runtimes.write',
    });
    const context: DecisionContext = { organizationId, workspaceId, actorId: envelope.actor.id, at: envelope.issuedAt };
    const plan = await this.plan(type, payload as never, envelope, context);
    const { answer, state } = await this.commit(envelope, context, plan);
    if (type !== 'ReconfigureRuntime') return answer;
    // the runtime as configured now: what the gateway answers, without merging anything itself
    const runtime = state.runtimes[(payload as RuntimeCommandPayload<'ReconfigureRuntime'>).runtimeId];
    if (!runtime) return answer;
    const secrets = Object.fromEntries(Object.entries(runtime.secrets).map(([field, reference]) => [field, { hint: reference.hint }]));
    const reconfigured: ReconfigureRuntimeAnswer = { ...answer, runtime: { name: runtime.name, config: runtime.config, secrets } };
    return reconfigured;
  }

  load(workspaceId: string): Promise<LoadedCatalogue> {
    return this.commands.load(RuntimeStreams.workspace(workspaceId), catalogueDecider);
  }

  private async plan<T extends RuntimeCommandType>(
    type: T,
    payload: RuntimeCommandPayload<T>,
    envelope: CommandEnvelope,
    context: DecisionContext,
  ): Promise<Plan> {
    const secrets = this.options.secrets;
    switch (type) {
      case 'RegisterRuntime': {
        const p = payload as RuntimeCommandPayload<'RegisterRuntime'>;
        const owner = runtimeSecretOwner(context.workspaceId, p.runtimeId);
        const { config, secretValues } = splitConfig(p.provider, validatedConfig(p.provider, p.config));
        const refs = secretRefs(secretValues, context.workspaceId, p.runtimeId, envelope.commandId);
        return {
          build: () => ({ type: 'RegisterRuntime', runtimeId: p.runtimeId, name: p.name, provider: p.provider, config, secrets: refs, setAsDefault: p.setAsDefault }),
          beforeAppend: () => putAll(secrets, owner, secretValues, refs),
          onAbort: () => deleteAll(secrets, owner, refs),
        };
      }
      case 'ReconfigureRuntime': {
        const p = payload as RuntimeCommandPayload<'ReconfigureRuntime'>;
        const owner = runtimeSecretOwner(context.workspaceId, p.runtimeId);
        const current = (await this.load(context.workspaceId)).state.runtimes[p.runtimeId];
        if (!current) throw new RuntimeError(RuntimeErrorCode.NotFound, `no runtime ${p.runtimeId} in workspace ${context.workspaceId}`);
        // the change merged with what is stored and checked as a whole: a secret left out keeps its value
        const change = configChange(current, p.config ?? {});
        const { config, newSecretValues } = mergedConfig(current, change, await secretValues(secrets, change.keptSecrets, owner));
        const refs = secretRefs(newSecretValues, context.workspaceId, p.runtimeId, envelope.commandId);
        const fresh = new Set(Object.values(refs).map((reference) => reference.ref));
        // a resent command derives the refs it stored the first time: those are the runtime's now, not replaced
        const replaced = Object.entries(current.secrets)
          .filter(([field, reference]) => change.replacedSecrets.includes(field) && !fresh.has(reference.ref))
          .map(([, reference]) => reference.ref);
        return {
          build: () => ({ type: 'ReconfigureRuntime', runtimeId: p.runtimeId, name: p.name, config, secrets: refs, removed: change.superseded }),
          beforeAppend: () => putAll(secrets, owner, newSecretValues, refs),
          // the replaced values go once the event no longer points at them
          afterCommit: async () => {
            for (const ref of replaced) await secrets.delete(ref, owner);
          },
          onAbort: () => deleteAll(secrets, owner, refs),
        };
      }
      case 'SetDefaultRuntime': {
        const p = payload as RuntimeCommandPayload<'SetDefaultRuntime'>;
        return { build: () => ({ type: 'SetDefaultRuntime', runtimeId: p.runtimeId }) };
      }
      case 'RequestRuntimeTest': {
        const p = payload as RuntimeCommandPayload<'RequestRuntimeTest'>;
        return {
          build: () => ({ type: 'RequestRuntimeTest', runtimeId: p.runtimeId, testId: p.testId }),
          // also on a resent command: the queue keeps one job per test id
          afterCommit: () => this.options.enqueueTest({ organizationId: context.organizationId, workspaceId: context.workspaceId, runtimeId: p.runtimeId, testId: p.testId }),
        };
      }
      case 'RecordRuntimeTestResult': {
        const { workspaceId: _workspaceId, ...result } = payload as RuntimeCommandPayload<'RecordRuntimeTestResult'>;
        return { build: () => ({ type: 'RecordRuntimeTestResult', ...result }) };
      }
      case 'DeleteRuntime': {
        const p = payload as RuntimeCommandPayload<'DeleteRuntime'>;
        return {
          build: () => ({ type: 'DeleteRuntime', runtimeId: p.runtimeId }),
          // deleting the owner deletes its secrets (again on a resent command: finishes a crashed first attempt)
          afterCommit: async () => {
            await secrets.deleteOwner(runtimeSecretOwner(context.workspaceId, p.runtimeId));
          },
        };
      }
      default:
        throw new RuntimeError(RuntimeErrorCode.InvalidCommand, `unknown command ${String(type)}`);
    }
  }

  /**
   * The decision on the catalogue; what the events refer to is stored before
   * the first append (beforeAppend), removed again when the command ends
   * without those events (onAbort), and afterCommit runs once they are stored.
   */
  private async commit(envelope: CommandEnvelope, context: DecisionContext, plan: Plan): Promise<{ answer: RuntimeCommandAnswer; state: RuntimeCatalogueState }> {
    let prepared = false;
    // the catalogue as the command leaves it: the last state loaded, with the events decided on it
    let state = catalogueDecider.initialState;
    try {
      const answer = await this.commands.commit(envelope, {
        load: async () => {
          const loaded = await this.load(context.workspaceId);
          state = loaded.state;
          return loaded;
        },
        streams: (loaded) => [loaded],
        decide: async (loaded) => {
          const events = catalogueDecider.decide({ ...plan.build(loaded), context }, loaded.state);
          if (events.length > 0 && !prepared && plan.beforeAppend) {
            await plan.beforeAppend();
            prepared = true;
          }
          state = events.reduce(catalogueDecider.evolve, loaded.state);
          return events;
        },
        scopeOf: () => context,
      });
      // decided again to nothing after a conflict: what beforeAppend stored is referred to by no event
      if (prepared && !answer.changed) await plan.onAbort?.();
      prepared = false;
      if (answer.changed) await plan.afterCommit?.();
      return { answer, state };
    } catch (error) {
      if (prepared) await plan.onAbort?.().catch(() => undefined);
      throw error;
    }
  }
}

/** The secret store could not be reached: retryable, and named by its code only (never a value). */
function secretStoreRefusal(error: unknown): RuntimeError | undefined {
  return error instanceof SecretsError ? new RuntimeError(RuntimeErrorCode.Unavailable, `secret store: ${error.code}`) : undefined;
}

function secretRefs(values: Record<string, string>, workspaceId: string, runtimeId: string, commandId: string): Record<string, SecretReference> {
  return Object.fromEntries(
    Object.entries(values).map(([field, value]) => [field, { ref: secretRefFor('runtime', workspaceId, runtimeId, field, commandId), hint: maskSecret(value) }]),
  );
}

/** The stored values of a runtime's secret fields (field → plaintext); a field whose value is gone is left out. */
export async function secretValues(secrets: SecretStore, references: Readonly<Record<string, SecretReference>>, owner: string): Promise<Record<string, string>> {
  const fields = Object.entries(references);
  const values = await secrets.getMany(fields.map(([, reference]) => reference.ref), owner);
  return Object.fromEntries(fields.flatMap(([field, reference]) => (values.has(reference.ref) ? [[field, values.get(reference.ref)!]] : [])));
}

async function putAll(secrets: SecretStore, owner: string, values: Record<string, string>, refs: Record<string, SecretReference>): Promise<void> {
  for (const [field, value] of Object.entries(values)) await secrets.put({ ref: refs[field]!.ref, owner, value });
}

async function deleteAll(secrets: SecretStore, owner: string, refs: Record<string, SecretReference>): Promise<void> {
  for (const reference of Object.values(refs)) await secrets.delete(reference.ref, owner);
}

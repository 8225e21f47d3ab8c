import { SpanKind } from '@opentelemetry/api';
import { RpcException } from '@nestjs/microservices';
import {
  CommandEnvelopeSchema,
  ContractError,
  RuntimeCommandPayloads,
  RuntimeStreams,
  eventIdFor,
  isSecretField,
  runtimeEventRegistry,
  runtimeProvider,
  runtimeSecretOwner,
  validateRuntimeConfig,
  type CommandEnvelope,
  type RuntimeCommandAnswer,
  type RuntimeCommandPayload,
  type RuntimeCommandType,
  type RuntimeConfig,
  type RuntimeEvent,
  type RuntimeProviderId,
  type SecretReference,
} from '@steward/contracts';
import { EventStoreError, EventStoreErrorCode, type EventStore, type ExpectedRevision, type NewEvent } from '@steward/event-store';
import { contextFromTraceContext, withSpan } from '@steward/observability';
import { SecretsError, maskSecret, secretRefFor, type SecretStore } from '@steward/secrets';
import type { z } from 'zod';
import type { RuntimeAuthorizer } from './runtime-access';
import { decideCatalogue, type CatalogueCommand, type DecisionContext } from './runtime-catalogue.decider';
import { evolveCatalogue, initialCatalogue, type RuntimeCatalogueState } from './runtime-catalogue.state';
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

export interface LoadedCatalogue {
  readonly streamId: string;
  readonly state: RuntimeCatalogueState;
  readonly expectedRevision: ExpectedRevision;
  /** Event ids in the stream with their type and revision: to recognise a resent command. */
  readonly recorded: ReadonlyMap<string, { readonly type: string; readonly revision: bigint }>;
}

const RUNTIME_EVENT_TYPES = new Set(runtimeEventRegistry.list().map((entry) => entry.type));

/** What a command does around its decision: secrets written before the append, cleaned after. */
interface Plan {
  readonly build: (loaded: LoadedCatalogue) => CatalogueCommand;
  /** Before the append (every attempt): store what the events will refer to. */
  readonly beforeAppend?: () => Promise<void>;
  /** After the events are stored (or found stored: a resent command). */
  readonly afterCommit?: (loaded: LoadedCatalogue | undefined, events: readonly RuntimeEvent[]) => Promise<void>;
  /** The command was refused or failed after beforeAppend ran: undo it. */
  readonly onAbort?: () => Promise<void>;
}

/**
 * Carries out the runtime context's commands on a workspace's catalogue
 * stream: parse, authorize (the team's own events), validate the provider
 * configuration, split secrets off into the secret store, decide, append at
 * the expected revision with event ids derived from the command id. A
 * concurrency conflict is decided again on the fresh state (every rule is
 * checked again: two set-default calls end with exactly one default).
 */
export class RuntimeCommandRunner {
  private readonly maxAttempts: number;

  constructor(private readonly options: RuntimeCommandRunnerOptions) {
    this.maxAttempts = options.maxAttempts ?? 8;
  }

  /** For NATS handlers: refusals become RpcExceptions carrying a RuntimeErrorBody. */
  async run(type: RuntimeCommandType, raw: unknown): Promise<RuntimeCommandAnswer> {
    let envelope: CommandEnvelope;
    try {
      envelope = parseEnvelope(type, raw);
    } catch (error) {
      throw toRpcException(error);
    }
    return withSpan(
      'command.handle',
      { 'steward.command.type': type, 'steward.command.id': envelope.commandId },
      async () => {
        try {
          return await this.execute(type, envelope);
        } catch (error) {
          throw toRpcException(error);
        }
      },
      { kind: SpanKind.SERVER, parent: contextFromTraceContext(envelope.traceContext) },
    );
  }

  /** In-process callers (the connection-test worker): refusals stay RuntimeErrors. */
  async execute(type: RuntimeCommandType, envelope: CommandEnvelope): Promise<RuntimeCommandAnswer> {
    const payload = parsePayload(type, envelope);
    const workspaceId = payload.workspaceId;
    if (envelope.workspaceId && envelope.workspaceId !== workspaceId) {
      throw new RuntimeError(RuntimeErrorCode.NotFound, `no workspace ${workspaceId} in ${envelope.workspaceId}`);
    }
    const organizationId = await this.options.authorize(envelope, workspaceId, {
      systemOnly: type === 'RecordRuntimeTestResult',
      action: type === 'RequestRuntimeTest' ? 'runtimes.test' : 'runtimes.write',
    });
    const context: DecisionContext = { organizationId, workspaceId, actorId: envelope.actor.id, at: envelope.issuedAt };
    const plan = await this.plan(type, payload as never, envelope, context);
    return this.commit(envelope, context, plan);
  }

  async load(workspaceId: string): Promise<LoadedCatalogue> {
    const streamId = RuntimeStreams.workspace(workspaceId);
    const history = await this.options.store.readStream(streamId);
    let state = initialCatalogue;
    const recorded = new Map<string, { type: string; revision: bigint }>();
    for (const event of history) {
      recorded.set(event.eventId, { type: event.type, revision: event.streamRevision });
      if (!RUNTIME_EVENT_TYPES.has(event.type)) continue;
      const upcasted = runtimeEventRegistry.upcast({ ...event, streamId });
      state = evolveCatalogue(state, { type: upcasted.type, data: upcasted.data } as RuntimeEvent);
    }
    const last = history[history.length - 1];
    return { streamId, state, expectedRevision: last ? last.streamRevision : 'no_stream', recorded };
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
        const { config, secretValues } = splitConfig(p.provider, validated(p.provider, p.config));
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
        const changes = p.config ?? {};
        const changedSecretFields = Object.keys(changes).filter((field) => isSecretField(current.provider, field));
        const keptRefs = Object.entries(current.secrets).filter(([field]) => !changedSecretFields.includes(field));
        const kept = await secrets.getMany(keptRefs.map(([, reference]) => reference.ref), owner);
        const keptValues = Object.fromEntries(keptRefs.flatMap(([field, reference]) => (kept.has(reference.ref) ? [[field, kept.get(reference.ref)!]] : [])));
        const merged = validated(current.provider, { ...current.config, ...keptValues, ...changes });
        const { config } = splitConfig(current.provider, merged);
        const newValues = Object.fromEntries(changedSecretFields.map((field) => [field, String(merged[field])]));
        const refs = secretRefs(newValues, context.workspaceId, p.runtimeId, envelope.commandId);
        const replaced = Object.entries(current.secrets).filter(([field]) => changedSecretFields.includes(field)).map(([, reference]) => reference.ref);
        return {
          build: () => ({ type: 'ReconfigureRuntime', runtimeId: p.runtimeId, name: p.name, config, secrets: refs }),
          beforeAppend: () => putAll(secrets, owner, newValues, refs),
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

  private async commit(envelope: CommandEnvelope, context: DecisionContext, plan: Plan): Promise<RuntimeCommandAnswer> {
    let prepared = false;
    try {
      for (let attempt = 1; ; attempt++) {
        const loaded = await this.load(context.workspaceId);
        const replayed = replayOf(envelope.commandId, loaded);
        if (replayed) {
          await plan.afterCommit?.(loaded, []);
          return { ok: true, commandId: envelope.commandId, changed: replayed.length > 0, replayed: true, events: replayed };
        }
        const events = decideCatalogue(plan.build(loaded), loaded.state, context);
        if (events.length === 0) {
          if (prepared) await plan.onAbort?.();
          return { ok: true, commandId: envelope.commandId, changed: false, replayed: false, events: [] };
        }
        if (!prepared) {
          await plan.beforeAppend?.();
          prepared = plan.beforeAppend !== undefined;
        }
        try {
          const appended = await this.append(envelope, context, loaded, events);
          prepared = false;
          await plan.afterCommit?.(loaded, events);
          return { ok: true, commandId: envelope.commandId, changed: true, replayed: false, events: appended };
        } catch (error) {
          if (EventStoreError.isConflict(error) && attempt < this.maxAttempts) continue;
          if (EventStoreError.isConflict(error)) throw new RuntimeError(RuntimeErrorCode.Conflict, `${envelope.type} kept meeting concurrent changes; send it again`);
          throw error;
        }
      }
    } catch (error) {
      if (prepared) await plan.onAbort?.().catch(() => undefined);
      throw error;
    }
  }

  private async append(envelope: CommandEnvelope, context: DecisionContext, loaded: LoadedCatalogue, events: readonly RuntimeEvent[]) {
    const newEvents: NewEvent[] = events.map((event, index) => ({
      eventId: eventIdFor(envelope.commandId, index),
      type: event.type,
      version: runtimeEventRegistry.latestVersion(event.type),
      data: runtimeEventRegistry.validate(event.type, runtimeEventRegistry.latestVersion(event.type), event.data),
      metadata: {
        correlationId: envelope.correlationId ?? envelope.commandId,
        causationId: envelope.causationId ?? envelope.commandId,
        actor: envelope.actor,
        organizationId: context.organizationId,
        workspaceId: context.workspaceId,
        ...(envelope.traceContext ? { traceContext: envelope.traceContext } : {}),
        occurredAt: envelope.issuedAt,
      },
    }));
    const result = await this.options.store.append(loaded.streamId, newEvents, { expectedRevision: loaded.expectedRevision });
    const first = result.nextExpectedRevision - BigInt(newEvents.length) + 1n;
    return events.map((event, index) => ({ type: event.type, streamId: loaded.streamId, revision: (first + BigInt(index)).toString() }));
  }
}

function validated(provider: RuntimeProviderId, config: unknown): Record<string, string | number | boolean> {
  const result = validateRuntimeConfig(provider, config);
  if (!result.ok) {
    const fields = result.issues.map((issue) => `config.${issue.path.join('.')}: ${issue.message}`);
    throw new RuntimeError(RuntimeErrorCode.InvalidConfig, `invalid ${runtimeProvider(provider).label} configuration: ${fields.join('; ')}`);
  }
  return result.config;
}

function splitConfig(provider: RuntimeProviderId, config: Record<string, string | number | boolean>): { config: RuntimeConfig; secretValues: Record<string, string> } {
  const plain: RuntimeConfig = {};
  const secretValues: Record<string, string> = {};
  for (const [field, value] of Object.entries(config)) {
    if (isSecretField(provider, field)) secretValues[field] = String(value);
    else plain[field] = value;
  }
  return { config: plain, secretValues };
}

function secretRefs(values: Record<string, string>, workspaceId: string, runtimeId: string, commandId: string): Record<string, SecretReference> {
  return Object.fromEntries(
    Object.entries(values).map(([field, value]) => [field, { ref: secretRefFor('runtime', workspaceId, runtimeId, field, commandId), hint: maskSecret(value) }]),
  );
}

async function putAll(secrets: SecretStore, owner: string, values: Record<string, string>, refs: Record<string, SecretReference>): Promise<void> {
  for (const [field, value] of Object.entries(values)) await secrets.put({ ref: refs[field]!.ref, owner, value });
}

async function deleteAll(secrets: SecretStore, owner: string, refs: Record<string, SecretReference>): Promise<void> {
  for (const reference of Object.values(refs)) await secrets.delete(reference.ref, owner);
}

function replayOf(commandId: string, loaded: LoadedCatalogue): RuntimeCommandAnswer['events'] | undefined {
  if (!loaded.recorded.has(eventIdFor(commandId, 0))) return undefined;
  const events: Array<{ type: string; streamId: string; revision: string }> = [];
  for (let index = 0; ; index++) {
    const event = loaded.recorded.get(eventIdFor(commandId, index));
    if (!event) break;
    events.push({ type: event.type, streamId: loaded.streamId, revision: event.revision.toString() });
  }
  return events;
}

function parseEnvelope(type: RuntimeCommandType, raw: unknown): CommandEnvelope {
  const parsed = CommandEnvelopeSchema.safeParse(raw);
  if (!parsed.success) throw new RuntimeError(RuntimeErrorCode.InvalidCommand, `not a command envelope: ${describe(parsed.error)}`);
  if (parsed.data.type !== type) throw new RuntimeError(RuntimeErrorCode.InvalidCommand, `${parsed.data.type} sent to the ${type} handler`);
  return parsed.data;
}

function parsePayload<T extends RuntimeCommandType>(type: T, envelope: CommandEnvelope): RuntimeCommandPayload<T> {
  const parsed = RuntimeCommandPayloads[type].safeParse(envelope.payload);
  // never echo the payload: it may hold secret values
  if (!parsed.success) throw new RuntimeError(RuntimeErrorCode.InvalidCommand, `${type}: ${describe(parsed.error)}`);
  return parsed.data as RuntimeCommandPayload<T>;
}

function describe(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
}

function toRpcException(error: unknown): RpcException {
  if (error instanceof RpcException) return error;
  if (error instanceof RuntimeError) return new RpcException(error.toBody());
  if (error instanceof ContractError) return new RpcException({ code: RuntimeErrorCode.InvalidCommand, message: error.message });
  if (error instanceof SecretsError) return new RpcException({ code: RuntimeErrorCode.Unavailable, message: `secret store: ${error.code}` });
  if (error instanceof EventStoreError) {
    const code =
      error.code === EventStoreErrorCode.WrongExpectedRevision || error.code === EventStoreErrorCode.IdempotencyViolation
        ? RuntimeErrorCode.Conflict
        : error.code === EventStoreErrorCode.Unavailable
          ? RuntimeErrorCode.Unavailable
          : RuntimeErrorCode.InvalidCommand;
    return new RpcException({ code, message: error.message });
  }
  throw error;
}

import { createHash } from 'node:crypto';
import { SpanKind } from '@opentelemetry/api';
import {
  CommandEnvelopeSchema,
  ContractError,
  UsageCommandPayloads,
  UsageStreams,
  eventIdFor,
  type CommandEnvelope,
  type UsageAppendedEvent,
  type UsageCommandAnswer,
  type UsageCommandPayload,
  type UsageCommandType,
} from '@steward/contracts';
import { EventStoreError, EventStoreErrorCode, type EventStore, type ExpectedRevision, type NewEvent } from '@steward/event-store';
import { contextFromTraceContext, withSpan } from '@steward/observability';
import type { z } from 'zod';
import { decideModelSettings, type ModelSettingsCommand } from './model-settings.decider';
import { ModelSettingsError, ModelSettingsErrorCode } from './model-settings.error';
import { usageEventRegistry } from './model-settings.events';
import { MODEL_SETTINGS_EVENT_TYPES, evolveModelSettings, findModel, initialModelSettingsState, type ModelSettingsEvent, type ModelSettingsState } from './model-settings.state';
import { authorizeModelSettings } from './workspace-access';

/**
 * Where model API keys are sealed: @steward/secrets' SecretStore (AES-256-GCM,
 * STEWARD_MASTER_KEY). Only what this service uses of it.
 */
export interface ModelKeyVault {
  put(secret: { readonly ref: string; readonly owner: string; readonly value: string }): Promise<{ readonly hint: string }>;
  delete(ref: string, owner: string): Promise<boolean>;
}

/** The secret owner of a workspace's model keys: deleting the workspace's secrets deletes them. */
export function modelKeyOwner(workspaceId: string): string {
  return `models:${workspaceId}`;
}

/** A secret ref per (workspace, provider, model, command): a retried command reuses it. */
export function modelKeyRef(workspaceId: string, provider: string, model: string, commandId: string): string {
  // sec_ + 32 hex, as @steward/secrets' secretRefFor; computed here so the vault stays an interface.
  return `sec_${sha256Hex(JSON.stringify(['model-api-key', workspaceId, provider, model, commandId])).slice(0, 32)}`;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export interface LoadedModelSettings {
  readonly streamId: string;
  readonly state: ModelSettingsState;
  readonly expectedRevision: ExpectedRevision;
  /** Event ids in the stream, with type and revision: to recognise a resent command. */
  readonly recorded: ReadonlyMap<string, { readonly type: string; readonly revision: bigint }>;
  /** The stream's last revision (undefined: no stream). */
  readonly revision: bigint | undefined;
}

/** Loads a workspace's ModelSettings stream. */
export async function loadModelSettings(store: EventStore, workspaceId: string): Promise<LoadedModelSettings> {
  const streamId = UsageStreams.models(workspaceId);
  const history = await store.readStream(streamId);
  let state = initialModelSettingsState;
  const recorded = new Map<string, { type: string; revision: bigint }>();
  for (const event of history) {
    recorded.set(event.eventId, { type: event.type, revision: event.streamRevision });
    if (!MODEL_SETTINGS_EVENT_TYPES.has(event.type)) continue;
    const upcasted = usageEventRegistry.upcast({ ...event, streamId });
    state = evolveModelSettings(state, { type: upcasted.type, data: upcasted.data } as ModelSettingsEvent);
  }
  const last = history[history.length - 1];
  return { streamId, state, expectedRevision: last ? last.streamRevision : 'no_stream', recorded, revision: last?.streamRevision };
}

export interface ModelSettingsCommandServiceOptions {
  readonly store: EventStore;
  /** Without it, SetModelApiKey / ClearModelApiKey of a set key answer UNAVAILABLE. */
  readonly vault?: ModelKeyVault;
  /** Attempts on a concurrency conflict before CONFLICT. Default 4. */
  readonly maxAttempts?: number;
}

/**
 * Carries out model-settings commands: parse the envelope and payload, check
 * the actor against the team context's streams (models.write), load the
 * workspace's ModelSettings stream, decide, append at the expected revision
 * with event ids derived from the command id (a resent command appends
 * nothing new and answers `replayed`). API keys are sealed in the vault
 * before the event that names their ref is appended; a replaced or cleared
 * key's secret is deleted.
 */
export class ModelSettingsCommandService {
  private readonly maxAttempts: number;

  constructor(private readonly options: ModelSettingsCommandServiceOptions) {
    this.maxAttempts = options.maxAttempts ?? 4;
  }

  async run(type: UsageCommandType, raw: unknown): Promise<UsageCommandAnswer> {
    const envelope = parseEnvelope(type, raw);
    return withSpan(
      'command.handle',
      { 'steward.command.type': type, 'steward.command.id': envelope.commandId },
      () => this.execute(type, envelope),
      { kind: SpanKind.SERVER, parent: contextFromTraceContext(envelope.traceContext) },
    );
  }

  private async execute(type: UsageCommandType, envelope: CommandEnvelope): Promise<UsageCommandAnswer> {
    const payload = parsePayload(type, envelope);
    const organizationId = await authorizeModelSettings(this.options.store, envelope, payload.workspaceId);
    for (let attempt = 1; ; attempt++) {
      const loaded = await loadModelSettings(this.options.store, payload.workspaceId);
      const replayed = findReplay(envelope.commandId, loaded);
      if (replayed) return { ok: true, commandId: envelope.commandId, changed: replayed.length > 0, replayed: true, events: replayed };
      const command = await this.prepare(type, envelope, payload, loaded);
      const events = decideModelSettings(command, { settings: loaded.state, organizationId });
      if (events.length === 0) return { ok: true, commandId: envelope.commandId, changed: false, replayed: false, events: [] };
      try {
        const appended = await this.append(envelope, loaded, events);
        await this.afterAppend(command, loaded);
        return { ok: true, commandId: envelope.commandId, changed: true, replayed: false, events: appended };
      } catch (error) {
        if (EventStoreError.isConflict(error) && attempt < this.maxAttempts) continue;
        if (EventStoreError.isConflict(error)) {
          throw new ModelSettingsError(ModelSettingsErrorCode.Conflict, `${type} kept meeting concurrent changes; send it again`);
        }
        throw error;
      }
    }
  }

  /** The decider's command; seals a new API key, deletes a cleared one's secret first (never left readable). */
  private async prepare(
    type: UsageCommandType,
    envelope: CommandEnvelope,
    payload: UsageCommandPayload<UsageCommandType>,
    loaded: LoadedModelSettings,
  ): Promise<ModelSettingsCommand> {
    const base = { actor: envelope.actor, at: envelope.issuedAt };
    switch (type) {
      case 'SetModelPricing':
        return { ...base, type, payload: payload as UsageCommandPayload<'SetModelPricing'> };
      case 'SetModelApiKey': {
        const { workspaceId, provider, model, apiKey } = payload as UsageCommandPayload<'SetModelApiKey'>;
        const ref = modelKeyRef(workspaceId, provider, model, envelope.commandId);
        const { hint } = await this.vault().put({ ref, owner: modelKeyOwner(workspaceId), value: apiKey });
        return { ...base, type, payload: { workspaceId, provider, model, secretRef: ref, hint } };
      }
      case 'ClearModelApiKey': {
        const clear = payload as UsageCommandPayload<'ClearModelApiKey'>;
        const current = findModel(loaded.state, clear.provider, clear.model)?.apiKey;
        if (current) await this.vault().delete(current.secretRef, modelKeyOwner(clear.workspaceId));
        return { ...base, type, payload: clear };
      }
      default: {
        const _exhaustive: never = type;
        throw new Error(`unknown command ${String(_exhaustive)}`);
      }
    }
  }

  /** A replaced key's old secret goes once the new one is in force. */
  private async afterAppend(command: ModelSettingsCommand, loaded: LoadedModelSettings): Promise<void> {
    if (command.type !== 'SetModelApiKey') return;
    const previous = findModel(loaded.state, command.payload.provider, command.payload.model)?.apiKey;
    if (previous && previous.secretRef !== command.payload.secretRef) {
      await this.vault().delete(previous.secretRef, modelKeyOwner(command.payload.workspaceId));
    }
  }

  private vault(): ModelKeyVault {
    if (!this.options.vault) throw new ModelSettingsError(ModelSettingsErrorCode.Unavailable, 'no secret store is configured for model API keys');
    return this.options.vault;
  }

  private async append(envelope: CommandEnvelope, loaded: LoadedModelSettings, events: readonly ModelSettingsEvent[]): Promise<UsageAppendedEvent[]> {
    const newEvents: NewEvent[] = events.map((event, index) => ({
      eventId: eventIdFor(envelope.commandId, index),
      type: event.type,
      version: usageEventRegistry.latestVersion(event.type),
      data: usageEventRegistry.validate(event.type, usageEventRegistry.latestVersion(event.type), event.data),
      metadata: {
        correlationId: envelope.correlationId ?? envelope.commandId,
        causationId: envelope.commandId,
        actor: envelope.actor,
        organizationId: event.data.organizationId,
        workspaceId: event.data.workspaceId,
        ...(envelope.traceContext ? { traceContext: envelope.traceContext } : {}),
        occurredAt: envelope.issuedAt,
      },
    }));
    const result = await this.options.store.append(loaded.streamId, newEvents, { expectedRevision: loaded.expectedRevision });
    const first = result.nextExpectedRevision - BigInt(newEvents.length) + 1n;
    return newEvents.map((event, index) => ({
      type: event.type,
      streamId: loaded.streamId,
      eventId: event.eventId,
      revision: (first + BigInt(index)).toString(),
    }));
  }
}

function parseEnvelope(type: UsageCommandType, raw: unknown): CommandEnvelope {
  const parsed = CommandEnvelopeSchema.safeParse(raw);
  if (!parsed.success) throw invalidCommand(`not a command envelope: ${describe(parsed.error)}`, parsed.error);
  if (parsed.data.type !== type) throw new ModelSettingsError(ModelSettingsErrorCode.InvalidCommand, `${parsed.data.type} sent to the ${type} handler`);
  return parsed.data;
}

function parsePayload(type: UsageCommandType, envelope: CommandEnvelope): UsageCommandPayload<UsageCommandType> {
  const parsed = UsageCommandPayloads[type].safeParse(envelope.payload);
  // Never echo the payload: SetModelApiKey carries a key.
  if (!parsed.success) throw invalidCommand(`${type}: ${describe(parsed.error)}`, parsed.error);
  const payload = parsed.data;
  if (envelope.workspaceId && envelope.workspaceId !== payload.workspaceId) {
    throw new ModelSettingsError(ModelSettingsErrorCode.NotFound, `no workspace ${payload.workspaceId} in ${envelope.workspaceId}`);
  }
  return payload;
}

function invalidCommand(message: string, error: z.ZodError): ModelSettingsError {
  const field = error.issues[0]?.path.join('.');
  return new ModelSettingsError(ModelSettingsErrorCode.InvalidCommand, message, field || undefined);
}

function describe(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
}

function findReplay(commandId: string, loaded: LoadedModelSettings): UsageAppendedEvent[] | undefined {
  const found: UsageAppendedEvent[] = [];
  for (let index = 0; index < 4; index++) {
    const eventId = eventIdFor(commandId, index);
    const event = loaded.recorded.get(eventId);
    if (!event) break;
    found.push({ type: event.type, streamId: loaded.streamId, eventId, revision: event.revision.toString() });
  }
  return found.length > 0 ? found : undefined;
}

/** Refusals as the body a handler answers with; store errors mapped; anything else rethrown. */
export function toModelSettingsError(error: unknown): ModelSettingsError {
  if (error instanceof ModelSettingsError) return error;
  if (error instanceof ContractError) return new ModelSettingsError(ModelSettingsErrorCode.InvalidCommand, error.message);
  if (error instanceof EventStoreError) {
    const code =
      error.code === EventStoreErrorCode.WrongExpectedRevision || error.code === EventStoreErrorCode.IdempotencyViolation
        ? ModelSettingsErrorCode.Conflict
        : error.code === EventStoreErrorCode.Unavailable
          ? ModelSettingsErrorCode.Unavailable
          : ModelSettingsErrorCode.InvalidCommand;
    return new ModelSettingsError(code, error.message);
  }
  // Anything else (the secret store, a lost connection): retryable, and never echoing what failed to be stored.
  return new ModelSettingsError(ModelSettingsErrorCode.Unavailable, 'model settings could not be changed now; resend with the same command id');
}

import { createHash } from 'node:crypto';
import { CommandRunner, loadStream, type LoadedStream } from '@steward/commands';
import {
  UsageCommandPayloads,
  UsageStreams,
  eventIdFor,
  type CommandEnvelope,
  type UsageCommandAnswer,
  type UsageCommandPayload,
  type UsageCommandType,
} from '@steward/contracts';
import type { EventStore } from '@steward/event-store';
import { TeamAccess } from '@steward/team-rbac';
import { findModel, modelSettingsDecider, type ModelSettingsCommand, type ModelSettingsState } from './model-settings.decider';
import { ModelSettingsError, ModelSettingsErrorCode } from './model-settings.error';
import { usageEventRegistry } from './model-settings.events';
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

export interface LoadedModelSettings extends LoadedStream<ModelSettingsState> {
  /** The stream's last revision (undefined: no stream). */
  readonly revision: bigint | undefined;
}

/** Loads a workspace's ModelSettings stream. */
export async function loadModelSettings(store: EventStore, workspaceId: string): Promise<LoadedModelSettings> {
  const loaded = await loadStream(store, usageEventRegistry, UsageStreams.models(workspaceId), modelSettingsDecider);
  return { ...loaded, revision: typeof loaded.expectedRevision === 'bigint' ? loaded.expectedRevision : undefined };
}

export interface ModelSettingsCommandServiceOptions {
  readonly store: EventStore;
  /** Without it, SetModelApiKey / ClearModelApiKey of a set key answer UNAVAILABLE. */
  readonly vault?: ModelKeyVault;
  /** Attempts on a concurrency conflict before CONFLICT. Default 4. */
  readonly maxAttempts?: number;
}

/**
 * Carries out model-settings commands with @steward/commands' runner: parse
 * the envelope and payload, check the actor against the team context's
 * streams (models.write), load the workspace's ModelSettings stream, decide,
 * append at the expected revision with event ids derived from the command id
 * (a resent command appends nothing new and answers `replayed`). API keys are
 * sealed in the vault before the event that names their ref is appended; a
 * replaced or cleared key's secret is deleted.
 */
export class ModelSettingsCommandService {
  private readonly commands: CommandRunner<ModelSettingsErrorCode>;
  private readonly access: TeamAccess;

  constructor(private readonly options: ModelSettingsCommandServiceOptions) {
    this.access = new TeamAccess({ store: options.store });
    this.commands = new CommandRunner({ store: options.store, registry: usageEventRegistry, errors: ModelSettingsError, codes: ModelSettingsErrorCode, maxAttempts: options.maxAttempts ?? 4, refusalOf: unavailable });
  }

  /** For the NATS handler: refusals become RpcExceptions carrying a ModelSettingsErrorBody. */
  run(type: UsageCommandType, raw: unknown): Promise<UsageCommandAnswer> {
    return this.commands.handle(type, raw, (envelope) => this.execute(type, envelope));
  }

  private async execute(type: UsageCommandType, envelope: CommandEnvelope): Promise<UsageCommandAnswer> {
    // never echoed on a refusal: SetModelApiKey carries a key
    const payload = this.commands.parsePayload(type, UsageCommandPayloads[type], envelope) as UsageCommandPayload<UsageCommandType>;
    const organizationId = await authorizeModelSettings(this.access, envelope, payload.workspaceId);
    let decided: ModelSettingsCommand | undefined;
    const answer = await this.commands.commit(envelope, {
      load: () => loadModelSettings(this.options.store, payload.workspaceId),
      streams: (loaded) => [loaded],
      decide: async (loaded) => {
        decided = await this.prepare(type, envelope, payload, loaded, organizationId);
        return modelSettingsDecider.decide(decided, loaded.state);
      },
      scopeOf: (event) => event.data,
      afterAppend: async (loaded) => {
        if (decided) await this.afterAppend(decided, loaded);
      },
    });
    return { ...answer, events: answer.events.map((event, index) => ({ ...event, eventId: eventIdFor(envelope.commandId, index) })) };
  }

  /** The decider's command; seals a new API key, deletes a cleared one's secret first (never left readable). */
  private async prepare(
    type: UsageCommandType,
    envelope: CommandEnvelope,
    payload: UsageCommandPayload<UsageCommandType>,
    loaded: LoadedModelSettings,
    organizationId: string,
  ): Promise<ModelSettingsCommand> {
    const base = { actor: envelope.actor, at: envelope.issuedAt, organizationId };
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
      case 'ConfigureModel': {
        const { apiKey, ...rest } = payload as UsageCommandPayload<'ConfigureModel'>;
        if (apiKey === undefined) return { ...base, type, payload: rest };
        // a price the decider refuses refuses the whole change: find out before the vault is touched
        if (rest.pricing) modelSettingsDecider.decide({ ...base, type, payload: { ...rest } }, loaded.state);
        if (apiKey === null) {
          const current = findModel(loaded.state, rest.provider, rest.model)?.apiKey;
          if (current) await this.vault().delete(current.secretRef, modelKeyOwner(rest.workspaceId));
          return { ...base, type, payload: { ...rest, apiKey: null } };
        }
        const ref = modelKeyRef(rest.workspaceId, rest.provider, rest.model, envelope.commandId);
        const { hint } = await this.vault().put({ ref, owner: modelKeyOwner(rest.workspaceId), value: apiKey });
        return { ...base, type, payload: { ...rest, apiKey: { secretRef: ref, hint } } };
      }
      default: {
        const _exhaustive: never = type;
        throw new Error(`unknown command ${String(_exhaustive)}`);
      }
    }
  }

  /** A replaced key's old secret goes once the new one is in force. */
  private async afterAppend(command: ModelSettingsCommand, loaded: LoadedModelSettings): Promise<void> {
    const secretRef = command.type === 'SetModelApiKey' ? command.payload.secretRef : command.type === 'ConfigureModel' ? command.payload.apiKey?.secretRef : undefined;
    if (secretRef === undefined) return;
    const previous = findModel(loaded.state, command.payload.provider, command.payload.model)?.apiKey;
    if (previous && previous.secretRef !== secretRef) {
      await this.vault().delete(previous.secretRef, modelKeyOwner(command.payload.workspaceId));
    }
  }

  private vault(): ModelKeyVault {
    if (!this.options.vault) throw new ModelSettingsError(ModelSettingsErrorCode.Unavailable, 'no secret store is configured for model API keys');
    return this.options.vault;
  }
}

/** Any other failure (the secret store, a lost connection): retryable, and never echoing what failed to be stored. */
function unavailable(): ModelSettingsError {
  return new ModelSettingsError(ModelSettingsErrorCode.Unavailable, 'model settings could not be changed now; resend with the same command id');
}

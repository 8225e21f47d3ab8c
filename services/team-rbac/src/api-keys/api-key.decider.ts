import type { Decider } from '@steward/commands';
import type { TeamEvent } from '@steward/contracts';
import type { TeamCommand } from '../shared/command';
import { TeamError, TeamErrorCode } from '../shared/team.error';
import { evolveWorkspace, initialWorkspaceState, type WorkspaceState } from '../workspaces/workspace.decider';

export type ApiKeyState =
  | { readonly exists: false }
  | {
      readonly exists: true;
      readonly apiKeyId: string;
      readonly organizationId: string;
      readonly workspaceId: string;
      readonly keyHash: string;
      readonly scopes: readonly string[];
      readonly expiresAt?: string;
      readonly revoked: boolean;
    };

export const initialApiKeyState: ApiKeyState = { exists: false };

/** The key's stream folded (the events of other aggregates leave it as it is). */
export function evolveApiKey(state: ApiKeyState, event: TeamEvent): ApiKeyState {
  switch (event.type) {
    case 'ApiKeyIssued': {
      const { apiKeyId, organizationId, workspaceId, keyHash, scopes, expiresAt } = event.data;
      return {
        exists: true,
        apiKeyId,
        organizationId,
        workspaceId,
        keyHash,
        scopes,
        ...(expiresAt ? { expiresAt } : {}),
        revoked: false,
      };
    }
    case 'ApiKeyRevoked':
      return state.exists ? { ...state, revoked: true } : state;
    default:
      return state;
  }
}


export type ApiKeyCommand = TeamCommand<'IssueApiKey'> | TeamCommand<'RevokeApiKey'>;

export interface ApiKeyDecisionState {
  readonly apiKey: ApiKeyState;
  /** The workspace the key belongs to (keys are workspace-scoped). */
  readonly workspace: WorkspaceState;
}

/** Keys are issued for one workspace, stored as a hash, and revoked for good. */
function decide(command: ApiKeyCommand, state: ApiKeyDecisionState): TeamEvent[] {
  const { apiKey, workspace } = state;
  switch (command.type) {
    case 'IssueApiKey': {
      const { payload, actor, at } = command;
      if (!workspace.exists) throw new TeamError(TeamErrorCode.NotFound, `no workspace ${payload.workspaceId}`);
      if (apiKey.exists) throw new TeamError(TeamErrorCode.ApiKeyExists, `API key ${payload.apiKeyId} exists`);
      if (payload.expiresAt && Date.parse(payload.expiresAt) <= Date.parse(at)) {
        throw new TeamError(TeamErrorCode.InvalidCommand, 'expiresAt must lie in the future', 'expiresAt');
      }
      return [
        {
          type: 'ApiKeyIssued',
          data: {
            organizationId: workspace.organizationId,
            workspaceId: workspace.workspaceId,
            apiKeyId: payload.apiKeyId,
            name: payload.name,
            scopes: [...new Set(payload.scopes)],
            prefix: payload.prefix,
            keyHash: payload.keyHash,
            issuedBy: actor.id,
            issuedAt: at,
            ...(payload.expiresAt ? { expiresAt: payload.expiresAt } : {}),
          },
        },
      ];
    }
    case 'RevokeApiKey': {
      const { payload, actor, at } = command;
      if (!apiKey.exists || apiKey.workspaceId !== payload.workspaceId) {
        throw new TeamError(TeamErrorCode.NotFound, `no API key ${payload.apiKeyId} in ${payload.workspaceId}`);
      }
      if (apiKey.revoked) throw new TeamError(TeamErrorCode.ApiKeyRevoked, `API key ${apiKey.apiKeyId} is already revoked`);
      const scope = { organizationId: apiKey.organizationId, workspaceId: apiKey.workspaceId };
      return [{ type: 'ApiKeyRevoked', data: { ...scope, apiKeyId: apiKey.apiKeyId, revokedBy: actor.id, revokedAt: at } }];
    }
    default: {
      const _exhaustive: never = command;
      throw new Error(`unknown command ${JSON.stringify(_exhaustive)}`);
    }
  }
}

/** API keys: decided on the key's stream and its workspace's. */
export const apiKeyDecider: Decider<ApiKeyCommand, ApiKeyDecisionState, TeamEvent> = {
  decide,
  evolve: (state, event) => ({ apiKey: evolveApiKey(state.apiKey, event), workspace: evolveWorkspace(state.workspace, event) }),
  initialState: { apiKey: initialApiKeyState, workspace: initialWorkspaceState },
};

export type ApiKeyVerdict =
  | { readonly usable: true; readonly workspaceId: string; readonly scopes: readonly string[] }
  | { readonly usable: false; readonly reason: 'unknown' | 'revoked' | 'expired' };

/**
 * Whether a key authenticates at `at`: the rule the gateway's read model
 * applies (it marks a key revoked in the same transaction that projects
 * ApiKeyRevoked, so a revoked key stops working at once).
 */
export function apiKeyVerdict(state: ApiKeyState, keyHash: string, at: string): ApiKeyVerdict {
  if (!state.exists || state.keyHash !== keyHash) return { usable: false, reason: 'unknown' };
  if (state.revoked) return { usable: false, reason: 'revoked' };
  if (state.expiresAt && Date.parse(at) >= Date.parse(state.expiresAt)) return { usable: false, reason: 'expired' };
  return { usable: true, workspaceId: state.workspaceId, scopes: state.scopes };
}

import type { TeamEventOf } from '@steward/contracts';
import type { Aggregate } from '../shared/command';

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

export type ApiKeyEvent = TeamEventOf<'ApiKeyIssued' | 'ApiKeyRevoked'>;

export const API_KEY_EVENT_TYPES: ReadonlySet<string> = new Set<ApiKeyEvent['type']>(['ApiKeyIssued', 'ApiKeyRevoked']);

export function evolveApiKey(state: ApiKeyState, event: ApiKeyEvent): ApiKeyState {
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
    default: {
      const _exhaustive: never = event;
      return _exhaustive;
    }
  }
}

export const apiKeyAggregate: Aggregate<ApiKeyState, ApiKeyEvent> = {
  initial: initialApiKeyState,
  types: API_KEY_EVENT_TYPES,
  evolve: evolveApiKey,
};

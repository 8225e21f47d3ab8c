import type { Insertable, Selectable } from 'kysely';

/**
 * The SHA-256 of each API key, apart from `api_keys` so that no list or get
 * query can select it by accident. Read only by
 * `TeamCredentialRepository.authenticateApiKey`.
 */
export interface ApiKeySecretsTable {
  api_key_id: string;
  prefix: string;
  key_hash: string;
}

export type ApiKeySecretRow = Selectable<ApiKeySecretsTable>;
export type NewApiKeySecretRow = Insertable<ApiKeySecretsTable>;

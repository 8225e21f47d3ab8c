import type { TeamEvent } from '@steward/contracts';
import { deciderSpec } from '@steward/testing';
import { command, AT } from '../shared/team-fixtures';
import { TeamError, TeamErrorCode } from '../shared/team.error';
import { apiKeyDecider, apiKeyVerdict } from './api-key.decider';

const scope = { organizationId: 'org-1', workspaceId: 'ws-1' };
const HASH = 'c'.repeat(64);

const workspace: TeamEvent[] = [
  { type: 'WorkspaceCreated', data: { ...scope, name: 'Main', status: 'provisioning', createdBy: 'u-owner', createdAt: AT } },
];

const { given } = deciderSpec(apiKeyDecider);

const issue = command('IssueApiKey', {
  workspaceId: 'ws-1',
  apiKeyId: 'key-1',
  name: 'CI agent',
  scopes: ['usage:write', 'usage:write', 'read'],
  prefix: 'stw_ab12cd34',
  keyHash: HASH,
});
const revoke = command('RevokeApiKey', { workspaceId: 'ws-1', apiKeyId: 'key-1' }, 'u-admin', '2026-11-21T11:00:00.000Z');

describe('API key decider', () => {
  const issued = [...workspace, ...given(workspace).when(issue).events()];

  it('issues a key with its name, scopes, visible prefix and hash, never the key', () => {
    given(workspace)
      .when(issue)
      .then([
        {
          type: 'ApiKeyIssued',
          data: { ...scope, apiKeyId: 'key-1', name: 'CI agent', scopes: ['usage:write', 'read'], prefix: 'stw_ab12cd34', keyHash: HASH, issuedBy: 'u-owner', issuedAt: AT },
        },
      ]);
  });

  it('refuses a key for an unknown workspace and a key id already used', () => {
    given([]).when(issue).thenThrows(TeamError, { code: TeamErrorCode.NotFound });
    given(issued).when(issue).thenThrows(TeamError, { code: TeamErrorCode.ApiKeyExists });
  });

  it('a revoked key stops working at once and cannot be revoked again', () => {
    expect(apiKeyVerdict(given(issued).state.apiKey, HASH, revoke.at)).toMatchObject({ usable: true, workspaceId: 'ws-1' });
    const revoked = [...issued, ...given(issued).when(revoke).events()];
    expect(apiKeyVerdict(given(revoked).state.apiKey, HASH, revoke.at)).toEqual({ usable: false, reason: 'revoked' });
    given(revoked).when(revoke).thenThrows(TeamError, { code: TeamErrorCode.ApiKeyRevoked });
  });

  it('a key expires at its expiry time, and a wrong hash is unknown', () => {
    const expiring = command('IssueApiKey', { ...issue.payload, expiresAt: '2026-12-01T00:00:00.000Z' });
    const state = given([...workspace, ...given(workspace).when(expiring).events()]).state.apiKey;
    expect(apiKeyVerdict(state, HASH, '2026-11-30T23:59:59.000Z').usable).toBe(true);
    expect(apiKeyVerdict(state, HASH, '2026-12-01T00:00:00.000Z')).toEqual({ usable: false, reason: 'expired' });
    expect(apiKeyVerdict(state, 'd'.repeat(64), AT)).toEqual({ usable: false, reason: 'unknown' });
  });

  it('refuses an expiry that is not after the time of issue, naming the field', () => {
    for (const expiresAt of [AT, '2001-01-01T00:00:00.000Z']) {
      given(workspace)
        .when(command('IssueApiKey', { ...issue.payload, expiresAt }))
        .thenThrows(TeamError, { code: TeamErrorCode.InvalidCommand, field: 'expiresAt' });
    }
  });

  it('refuses revoking a key of another workspace (NOT_FOUND)', () => {
    const elsewhere = command('RevokeApiKey', { workspaceId: 'ws-2', apiKeyId: 'key-1' }, 'u-admin');
    given(issued).when(elsewhere).thenThrows(TeamError, { code: TeamErrorCode.NotFound });
  });
});

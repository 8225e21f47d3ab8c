import type { TeamEvent } from '@steward/contracts';
import { command, given, refusal, AT } from '../shared/decider-testing';
import { TeamErrorCode } from '../shared/team.error';
import { workspaceAggregate } from '../workspaces/workspace.state';
import { apiKeyVerdict, decideApiKey, type ApiKeyCommand } from './api-key.decider';
import { apiKeyAggregate } from './api-key.state';

const scope = { organizationId: 'org-1', workspaceId: 'ws-1' };
const HASH = 'c'.repeat(64);

const workspace: TeamEvent[] = [
  { type: 'WorkspaceCreated', data: { ...scope, name: 'Main', status: 'provisioning', createdBy: 'u-owner', createdAt: AT } },
];

function when(history: TeamEvent[], cmd: ApiKeyCommand): TeamEvent[] {
  return decideApiKey(cmd, { apiKey: given(apiKeyAggregate, history), workspace: given(workspaceAggregate, history) });
}

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
  const issued = [...workspace, ...when(workspace, issue)];

  it('issues a key with its name, scopes, visible prefix and hash, never the key', () => {
    const [event] = when(workspace, issue);
    expect(event).toEqual({
      type: 'ApiKeyIssued',
      data: { ...scope, apiKeyId: 'key-1', name: 'CI agent', scopes: ['usage:write', 'read'], prefix: 'stw_ab12cd34', keyHash: HASH, issuedBy: 'u-owner', issuedAt: AT },
    });
  });

  it('refuses a key for an unknown workspace and a key id already used', () => {
    expect(refusal(() => when([], issue))).toBe(TeamErrorCode.NotFound);
    expect(refusal(() => when(issued, issue))).toBe(TeamErrorCode.ApiKeyExists);
  });

  it('a revoked key stops working at once and cannot be revoked again', () => {
    expect(apiKeyVerdict(given(apiKeyAggregate, issued), HASH, revoke.at)).toMatchObject({ usable: true, workspaceId: 'ws-1' });
    const revoked = [...issued, ...when(issued, revoke)];
    expect(apiKeyVerdict(given(apiKeyAggregate, revoked), HASH, revoke.at)).toEqual({ usable: false, reason: 'revoked' });
    expect(refusal(() => when(revoked, revoke))).toBe(TeamErrorCode.ApiKeyRevoked);
  });

  it('a key expires at its expiry time, and a wrong hash is unknown', () => {
    const expiring = command('IssueApiKey', { ...issue.payload, expiresAt: '2026-12-01T00:00:00.000Z' });
    const state = given(apiKeyAggregate, [...workspace, ...when(workspace, expiring)]);
    expect(apiKeyVerdict(state, HASH, '2026-11-30T23:59:59.000Z').usable).toBe(true);
    expect(apiKeyVerdict(state, HASH, '2026-12-01T00:00:00.000Z')).toEqual({ usable: false, reason: 'expired' });
    expect(apiKeyVerdict(state, 'd'.repeat(64), AT)).toEqual({ usable: false, reason: 'unknown' });
  });

  it('refuses revoking a key of another workspace (NOT_FOUND)', () => {
    const elsewhere = command('RevokeApiKey', { workspaceId: 'ws-2', apiKeyId: 'key-1' }, 'u-admin');
    expect(refusal(() => when(issued, elsewhere))).toBe(TeamErrorCode.NotFound);
  });
});

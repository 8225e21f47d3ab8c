import { isCurrentId } from '@steward/contracts';
import { bootstrapIds } from './bootstrap';

describe('bootstrap ids', () => {
  it('are in the one id scheme, and the same for the same owner email (a re-run after a crash sends the very same command)', () => {
    const ids = bootstrapIds('Owner@Example.com');
    expect(isCurrentId('organization', ids.organizationId)).toBe(true);
    expect(isCurrentId('workspace', ids.workspaceId)).toBe(true);
    expect(isCurrentId('user', ids.userId)).toBe(true);
    expect(bootstrapIds('owner@example.com')).toEqual(ids);
    expect(bootstrapIds('other@example.com').organizationId).not.toBe(ids.organizationId);
  });
});

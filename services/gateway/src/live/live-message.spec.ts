import type { Principal as AuthPrincipal } from '@steward/auth';
import { liveAccessOf, liveKindsOf, visibleKinds, type LiveMessage } from './live-message';

const person = (orgRole: string | undefined, memberships: Record<string, string> = {}): AuthPrincipal =>
  ({ kind: 'user', userId: 'u1', organizationId: 'org-1', orgRole, memberships }) as unknown as AuthPrincipal;

const message = (over: Partial<LiveMessage>): LiveMessage => ({
  seq: 1,
  eventId: 'e',
  type: 'CreditsGranted',
  kinds: ['credits'],
  organizationId: 'org-1',
  workspaceId: undefined,
  occurredAt: '2026-01-01T00:00:00Z',
  ...over,
});

describe('live messages', () => {
  it('maps event types to the dashboard parts they change, by name for contracts still to come', () => {
    expect(liveKindsOf('WorkspaceCreated')).toEqual(['workspaces', 'activity']);
    expect(liveKindsOf('CreditsConsumed')).toEqual(['credits']);
    expect(liveKindsOf('LowCreditBalanceReached')).toEqual(['credits']);
    expect(liveKindsOf('InvoiceIssued')).toEqual(['billing']);
    expect(liveKindsOf('BudgetThresholdCrossed')).toEqual(['budget-alert']);
    expect(liveKindsOf('AnnouncementPublished')).toEqual(['announcement']);
    expect(liveKindsOf('JobStepRecorded')).toEqual([]);
  });

  it('keeps billing and credits from callers without billing.read, and other organizations from everyone', () => {
    const viewer = liveAccessOf(person('viewer'));
    const owner = liveAccessOf(person('owner'));
    expect(visibleKinds(message({}), 'org-1', viewer)).toEqual([]);
    expect(visibleKinds(message({}), 'org-1', owner)).toEqual(['credits']);
    expect(visibleKinds(message({ organizationId: 'org-2' }), 'org-1', owner)).toEqual([]);
    expect(visibleKinds(message({ type: 'AnnouncementPublished', kinds: ['announcement'], organizationId: undefined }), 'org-1', viewer)).toEqual(['announcement']);
  });

  it('judges per-workspace kinds by the role in the message’s workspace', () => {
    const billingOfOne = liveAccessOf(person(undefined, { 'ws-1': 'billing' }));
    const activity = (workspaceId: string | undefined): LiveMessage => message({ type: 'MemberJoined', kinds: ['activity'], workspaceId });
    expect(visibleKinds(activity('ws-1'), 'org-1', billingOfOne)).toEqual(['activity']);
    expect(visibleKinds(activity('ws-2'), 'org-1', billingOfOne)).toEqual([]);
    // an organization-level entry is for organization-wide roles
    expect(visibleKinds(activity(undefined), 'org-1', billingOfOne)).toEqual([]);
    // billing has no per-workspace part: a billing role in some workspace reads it
    expect(visibleKinds(message({}), 'org-1', billingOfOne)).toEqual(['credits']);
  });
});

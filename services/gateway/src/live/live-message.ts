import { can, workspacesAllowed, type Action, type Principal as AuthPrincipal } from '@steward/auth';
import type { DeliveredEvent } from '@steward/messaging';
import { activityProjection } from '@steward/team-rbac';

/** What a dashboard refreshes on a live message: each names the console queries it invalidates. */
export const LIVE_KINDS = ['workspaces', 'billing', 'credits', 'activity', 'budget-alert', 'announcement'] as const;
export type LiveKind = (typeof LIVE_KINDS)[number];

/** One event as the stream tells it: which parts of the dashboard changed, for whom. Never the event's data. */
export interface LiveMessage {
  /** The JetStream sequence of the event in the events stream: the SSE id a client resumes from. */
  readonly seq: number;
  readonly eventId: string;
  readonly type: string;
  readonly kinds: readonly LiveKind[];
  /** Undefined for a platform-wide message (an announcement to every organization). */
  readonly organizationId: string | undefined;
  readonly workspaceId: string | undefined;
  readonly occurredAt: string;
}

const WORKSPACE_TYPES = new Set(['WorkspaceCreated', 'WorkspaceRenamed', 'WorkspaceStatusChanged']);
const BILLING_TYPES = new Set([
  'BillingAccountOpened',
  'BillingAccountConfigured',
  'BillingPeriodStarted',
  'PlanChanged',
  'PlanChangeScheduled',
  'PlanChangeCancelled',
  'InvoiceDraftOpened',
  'InvoiceNumberAssigned',
  'InvoiceIssued',
  'InvoicePaid',
  'InvoicePaymentFailed',
  'InvoiceVoided',
]);
const CREDIT_TYPES = new Set(['CreditsGranted', 'CreditsConsumed', 'CreditsExpired', 'CreditsAdjusted', 'LowCreditBalanceReached', 'CreditsExhausted', 'CreditsRestored']);
const ACTIVITY_TYPES = new Set(activityProjection.eventTypes ?? []);
/** By name, so that the budget alerts and announcements flow as soon as their contracts exist. */
const BUDGET_ALERT_TYPE = /^Budget(Threshold[A-Z]\w*|Alert[A-Z]\w*|Exceeded)$/;
const ANNOUNCEMENT_TYPE = /^Announcement[A-Z]\w*$/;

/** The dashboard parts an event type changes (empty: the stream leaves it out). */
export function liveKindsOf(type: string): LiveKind[] {
  const kinds: LiveKind[] = [];
  if (WORKSPACE_TYPES.has(type)) kinds.push('workspaces');
  if (BILLING_TYPES.has(type)) kinds.push('billing');
  if (CREDIT_TYPES.has(type)) kinds.push('credits');
  if (ACTIVITY_TYPES.has(type)) kinds.push('activity');
  if (BUDGET_ALERT_TYPE.test(type)) kinds.push('budget-alert');
  if (ANNOUNCEMENT_TYPE.test(type)) kinds.push('announcement');
  return kinds;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** The event's tenant as its data or metadata name it; the workspace's organization is looked up when only that is named. */
export interface EventTenant {
  readonly organizationId: string | undefined;
  readonly workspaceId: string | undefined;
}

export function eventTenant(event: Pick<DeliveredEvent, 'data' | 'metadata'>): EventTenant {
  const data = (typeof event.data === 'object' && event.data !== null ? event.data : {}) as Record<string, unknown>;
  return {
    organizationId: text(data.organizationId) ?? event.metadata.organizationId,
    workspaceId: text(data.workspaceId) ?? event.metadata.workspaceId,
  };
}

/**
 * Who may read which kind: the action of the matrix, and whether a message of a workspace is judged by the
 * caller's role there (a member of one workspace hears of that workspace's budget alerts and activity only).
 * Workspace counts and billing are the organization's: judged at the organization level.
 */
const KIND_ACCESS: Readonly<Record<LiveKind, { readonly action: Action | undefined; readonly perWorkspace: boolean }>> = {
  workspaces: { action: 'organization.read', perWorkspace: false },
  billing: { action: 'billing.read', perWorkspace: false },
  credits: { action: 'billing.read', perWorkspace: false },
  activity: { action: 'activity.read', perWorkspace: true },
  'budget-alert': { action: 'budgets.read', perWorkspace: true },
  announcement: { action: undefined, perWorkspace: false },
};

/** Per kind: every message of the organization, those of some workspaces, or none. */
export type LiveAccess = Readonly<Record<LiveKind, 'all' | ReadonlySet<string>>>;

/** What a caller may hear, fixed when the stream opens (a changed role takes effect on the next connection). */
export function liveAccessOf(principal: AuthPrincipal): LiveAccess {
  const access = {} as Record<LiveKind, 'all' | ReadonlySet<string>>;
  for (const kind of LIVE_KINDS) {
    const { action, perWorkspace } = KIND_ACCESS[kind];
    if (action === undefined) access[kind] = 'all';
    else if (!perWorkspace) access[kind] = can(principal, action) ? 'all' : new Set();
    else {
      const allowed = workspacesAllowed(principal, action);
      access[kind] = allowed === 'all' ? 'all' : new Set(allowed);
    }
  }
  return access;
}

/** The kinds of `message` this caller may hear; empty: the message is not for them. */
export function visibleKinds(message: LiveMessage, organizationId: string, access: LiveAccess): LiveKind[] {
  if (message.organizationId !== undefined && message.organizationId !== organizationId) return [];
  if (message.organizationId === undefined && !message.kinds.every((kind) => kind === 'announcement')) return [];
  return message.kinds.filter((kind) => {
    const allowed = access[kind];
    if (allowed === 'all') return true;
    // an organization-level message of a per-workspace kind is for organization-wide roles only
    return KIND_ACCESS[kind].perWorkspace && message.workspaceId !== undefined && allowed.has(message.workspaceId);
  });
}

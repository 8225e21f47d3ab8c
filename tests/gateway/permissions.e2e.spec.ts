/**
 * Permissions, table-driven from the matrix: every operation of
 * GET /openapi.json with an `x-permission` × every role (a person holding
 * that role in the stack's workspace) → allowed (neither 401, 403, 404 nor
 * 5xx) exactly when permissionMatrix() lets that role perform the action,
 * else a 403 problem titled "Access Restricted" (with the admin-only detail
 * on an admin area). Organization-level operations are judged with the
 * organization role (libs/auth: a person with workspace memberships only is a
 * `viewer` of the organization; the owner holds `owner` organization-wide),
 * except per-workspace actions, granted by the role in the caller's workspace,
 * and operations naming their workspace in a header (OTLP's X-Steward-Workspace,
 * sent with the stack's workspace), judged with the role there.
 *
 * Platform actions (announcement.manage) belong to platform administrators, whatever their roles: of the
 * callers, only the stack's owner is one (the bootstrap made them one).
 *
 * Calls that would destroy the fixtures get a throw-away target per call
 * (SETUP below); creating an organization runs last, as it makes each caller a
 * member of a second organization.
 */
import { Queue } from 'bullmq';
import { ACCESS_RESTRICTED_TITLE, ADMIN_ONLY_DETAIL, type Action, type PermissionEntry, permissionMatrix } from '@steward/auth';
import type { Role } from '@steward/contracts';
import { type Stack, type TestEnv, createTestEnv, startStack } from '@steward/testing';
import { Fixtures, GatewayClient, type Json, type Operation, type RoleName, bodyFor, fillPath, loadOperations, startJobFixture } from './support/gateway-client';
import { createRuntimeFixture } from '../runtime/support/runtime-fixtures';
import { draftInvoiceFixture } from '../billing/support/invoice-fixtures';
import { createChannelFixture, testMessageFixture } from '../notifications/support/notification-fixtures';
import { budgetFixture, reservationFixture } from '../budgets/support/budget-fixtures';

jest.setTimeout(120_000);

const ROLES: readonly RoleName[] = ['owner', 'admin', 'billing', 'member', 'viewer'];
const ALL_SCOPES = ['read', 'usage:write', 'jobs:write', 'runtimes:write'];

/** Per call: path values and body overrides that keep the fixtures intact. */
type Setup = (context: { role: string }) => Promise<{ path?: Record<string, string>; body?: Record<string, Json> }>;

/**
 * Operations whose allowed callers may get a 404 here: retrying a queued job needs a failed one, which the
 * operators' suite (ops.e2e.spec.ts) makes and retries; here the job is a delayed one of the organization.
 */
const NOT_FOUND_IS_ALLOWED = new Set(['retryOpsJob']);

/** Operations run after every other (they change who the callers are). */
const RUN_LAST = new Set(['createOrganization']);

describe('permissions, from the matrix', () => {
  let env: TestEnv;
  let stack: Stack;
  let client: GatewayClient;
  let fixtures: Fixtures;
  let operations: Operation[];
  const tokens = {} as Record<RoleName, string>;
  /** API keys of the stack's workspace: they act through their scopes (the matrix's last column). */
  const keys: Array<{ name: string; token: string; scopes: readonly string[] }> = [];
  /** Values of the path parameters that name existing things (reads). */
  let readValues: Record<string, string>;
  const matrix = new Map<string, PermissionEntry>(permissionMatrix().map((entry) => [entry.action, entry]));

  const setups: Record<string, Setup> = {
    revokeInvitation: async () => ({ path: { id: (await fixtures.invite(stack.ownerToken, stack.workspaceId, 'viewer')).id } }),
    removeMember: async ({ role }) => ({ path: { userId: (await fixtures.newMember(stack.ownerToken, stack.workspaceId, 'viewer', `removable-by-${role}`)).userId } }),
    revokeApiKey: async () => ({ path: { keyId: (await fixtures.issueApiKey(stack.ownerToken, stack.workspaceId, ['read'], 'revocable')).id } }),
    changeMemberRole: async ({ role }) => ({
      path: { userId: (await fixtures.newMember(stack.ownerToken, stack.workspaceId, 'viewer', `promotable-by-${role}`)).userId },
      body: { role: 'member' },
    }),
    updateWorkspace: async ({ role }) => ({ body: { name: `Renamed by ${role}` } }),
    // runtimes: {id} names a runtime (one shared for reads and harmless writes, a fresh one per delete)
    getRuntime: async () => ({ path: { id: await sharedRuntime() } }),
    updateRuntime: async () => ({ path: { id: await sharedRuntime() } }),
    testRuntime: async () => ({ path: { id: await sharedRuntime() } }),
    setDefaultRuntime: async () => ({ path: { id: await sharedRuntime() } }),
    // invoices: {id} names a draft invoice of the stack's organization (a payment or a void of a draft is a 409: allowed, refused by the rules)
    getInvoice: async () => ({ path: { id: await sharedInvoice() } }),
    getInvoicePdf: async () => ({ path: { id: await sharedInvoice() } }),
    recordInvoicePayment: async () => ({ path: { id: await sharedInvoice() }, body: { amountUsd: '49.00' } }),
    voidInvoice: async () => ({ path: { id: await sharedInvoice() } }),
    deleteRuntime: async ({ role }) => ({ path: { id: await createRuntimeFixture(client, stack.ownerToken, stack.workspaceId, `deletable by ${role}`) } }),
    // billing: valid bodies (the generated samples are not a plan id nor an amount)
    changeBillingPlan: async () => ({ body: { planId: 'standard' } }),
    addBillingCredits: async () => ({ body: { credits: '1' } }),
    // announcements: a published one addressed to all (a fresh one per unpublish, so the reads still find theirs)
    createAnnouncement: async () => ({ body: { kind: 'release', audience: { type: 'all' } } }),
    updateAnnouncement: async ({ role }) => ({ path: { id: await sharedAnnouncement() }, body: { title: `Revised by ${role}` } }),
    publishAnnouncement: async () => ({ path: { id: await sharedAnnouncement() } }),
    unpublishAnnouncement: async ({ role }) => ({ path: { id: await publishedAnnouncement(`unpublishable by ${role}`) } }),
    markAnnouncementRead: async () => ({ path: { id: await sharedAnnouncement() } }),
    updateBillingSettings: async () => ({ body: { lowBalanceThresholds: ['100'] } }),
    adjustBillingCredits: async () => ({ body: { amountCredits: '1', reason: 'permissions suite' } }),
    // notifications: {id} names an email channel of the stack's organization (rotating its secret is a 409: allowed,
    // refused by the rules), a fresh one per delete; {messageId} a test message of it
    createNotificationChannel: async () => ({ body: { kind: 'email', recipients: ['suite@example.test'] } }),
    getNotificationChannel: async () => ({ path: { id: await sharedChannel() } }),
    updateNotificationChannel: async ({ role }) => ({ path: { id: await sharedChannel() }, body: { name: `Renamed by ${role}` } }),
    rotateNotificationChannelSecret: async () => ({ path: { id: await sharedChannel() } }),
    testNotificationChannel: async () => ({ path: { id: await sharedChannel() } }),
    listNotificationChannelDeliveries: async () => ({ path: { id: await sharedChannel() } }),
    deleteNotificationChannel: async ({ role }) => ({ path: { id: await createChannelFixture(client, stack.ownerToken, stack.organizationId, `deletable by ${role}`) } }),
    getNotificationDelivery: async () => ({ path: { messageId: await sharedMessage() } }),
    resendNotificationDelivery: async () => ({ path: { messageId: await sharedMessage() } }),
    // the operators' view: a job of the organization waiting in a queue (delayed: no worker takes it)
    removeOpsJob: async () => ({ body: { queue: 'runtime-connection-tests', jobId: await queuedJob() } }),
    retryOpsJob: async () => ({ body: { queue: 'runtime-connection-tests', jobId: await queuedJob() } }),
    // budgets: {id} names the shared budget for reads and changes, a fresh one per removal, a fresh hold per release
    defineBudget: async ({ role }) => ({ body: { name: `defined by ${role}`, period: 'daily', limitUsd: '100' } }),
    getBudget: async () => ({ path: { id: await sharedBudget() } }),
    changeBudget: async () => ({ path: { id: await sharedBudget() }, body: { limitUsd: '150' } }),
    removeBudget: async ({ role }) => ({ path: { id: await budgetFixture(client, stack.ownerToken, stack.workspaceId, `removable by ${role}`) } }),
    reserveBudget: async () => ({ body: { estimatedCostUsd: '0.01' } }),
    releaseBudgetReservation: async () => ({ path: { id: await reservationFixture(client, stack.ownerToken, stack.workspaceId) } }),
  };
  let opsQueue: Queue | undefined;
  const queuedJob = async (): Promise<string> => {
    opsQueue ??= new Queue('runtime-connection-tests', { connection: { url: env.redisUrl }, prefix: `${env.redisPrefix}bull` });
    const job = await opsQueue.add('permissions', { organizationId: stack.organizationId, workspaceId: stack.workspaceId }, { delay: 3_600_000 });
    return String(job.id);
  };
  let channelId: Promise<string> | undefined;
  const sharedChannel = (): Promise<string> => (channelId ??= createChannelFixture(client, stack.ownerToken, stack.organizationId, 'permissions'));
  let messageId: Promise<string> | undefined;
  const sharedMessage = (): Promise<string> => (messageId ??= sharedChannel().then((channel) => testMessageFixture(client, stack.ownerToken, stack.organizationId, channel)));
  let budgetId: Promise<string> | undefined;
  const sharedBudget = (): Promise<string> => (budgetId ??= budgetFixture(client, stack.ownerToken, stack.workspaceId, 'permissions'));
  let runtimeId: Promise<string> | undefined;
  const sharedRuntime = (): Promise<string> => (runtimeId ??= createRuntimeFixture(client, stack.ownerToken, stack.workspaceId, 'permissions'));
  const publishedAnnouncement = async (title: string): Promise<string> => {
    const drafted = await client.expect<{ id: string }>(201, 'POST', '/v1/announcements', { token: stack.ownerToken, body: { kind: 'feature', title, body: 'permissions', audience: { type: 'all' } } });
    await client.expect(200, 'POST', `/v1/announcements/${drafted.id}/publish`, { token: stack.ownerToken, body: {} });
    return drafted.id;
  };
  let announcementId: Promise<string> | undefined;
  const sharedAnnouncement = (): Promise<string> => (announcementId ??= publishedAnnouncement('permissions'));
  let invoiceId: Promise<string> | undefined;
  const sharedInvoice = (): Promise<string> => (invoiceId ??= draftInvoiceFixture(env, client, stack.ownerToken, stack.organizationId));

  beforeAll(async () => {
    env = await createTestEnv();
    stack = await startStack(env);
    client = new GatewayClient(stack.url);
    fixtures = new Fixtures(client);
    operations = await loadOperations(client);
    tokens.owner = stack.ownerToken;
    for (const role of ROLES.filter((candidate) => candidate !== 'owner')) {
      tokens[role] = (await fixtures.newMember(stack.ownerToken, stack.workspaceId, role, `role-${role}`)).token;
    }
    const invitation = await fixtures.invite(stack.ownerToken, stack.workspaceId, 'viewer');
    const member = await fixtures.newMember(stack.ownerToken, stack.workspaceId, 'member', 'read-target');
    const key = await fixtures.issueApiKey(stack.ownerToken, stack.workspaceId, ALL_SCOPES, 'readable');
    for (const scopes of [ALL_SCOPES, ['read']]) {
      const issued = await fixtures.issueApiKey(stack.ownerToken, stack.workspaceId, scopes, `caller ${scopes.join(' ')}`);
      keys.push({ name: `API key [${scopes.join(', ')}]`, token: issued.token, scopes });
    }
    const jobId = await startJobFixture(client, stack.ownerToken, stack.workspaceId, 'permissions-job');
    readValues = { orgId: stack.organizationId, wsId: stack.workspaceId, id: invitation.id, userId: member.userId, keyId: key.id, jobId };
  }, 120_000);

  afterAll(async () => {
    await opsQueue?.close();
    await stack?.stop();
    await env?.dispose();
  });

  /**
   * The role the matrix is read with: the organization role for organization-level operations, except for
   * per-workspace actions (the activity log), which the caller's role in their workspace grants.
   */
  function effectiveRole(operation: Operation, role: RoleName, entry: PermissionEntry): Role {
    // a workspace named in a header (OTLP) is judged as a {wsId} of a path
    if (operation.scope === 'workspace' || operation.workspaceHeader !== undefined) return role;
    if (entry.perWorkspace) return role;
    return role === 'owner' ? 'owner' : 'viewer';
  }

  it('every x-permission of the document is an action of the matrix', () => {
    const unknown = operations.filter((operation) => operation.permission !== null && !matrix.has(operation.permission));
    expect(unknown.map((operation) => `${operation.operationId}: ${operation.permission}`)).toEqual([]);
    expect(operations.filter((operation) => operation.permission !== null).length).toBeGreaterThanOrEqual(20);
  });

  it('each operation × each role (and API keys by scope): allowed or 403 "Access Restricted" exactly as the matrix says', async () => {
    const table = operations
      .filter((operation) => operation.permission !== null)
      .sort((left, right) => Number(RUN_LAST.has(left.operationId)) - Number(RUN_LAST.has(right.operationId)));
    const failures: string[] = [];
    let allowed = 0;
    let refused = 0;
    for (const operation of table) {
      const entry = matrix.get(operation.permission as Action) as PermissionEntry;
      const callers = [
        // a platform action: the stack's owner is the bootstrap's, a platform administrator; nobody else here is
        ...ROLES.map((role) => ({ role: role as string, token: tokens[role], may: entry.platform ? role === 'owner' : entry.allowed[effectiveRole(operation, role, entry)] })),
        ...keys.map((key) => ({ role: key.name, token: key.token, may: !entry.platform && entry.scopes.some((scope) => key.scopes.includes(scope)) })),
      ];
      for (const { role, token, may } of callers) {
        const setup = await setups[operation.operationId]?.({ role: role.replace(/[^a-z]+/gi, '-') });
        const path = fillPath(operation, { ...readValues, ...setup?.path });
        const body = bodyFor(operation, setup?.body);
        const headers = operation.workspaceHeader !== undefined ? { [operation.workspaceHeader]: stack.workspaceId } : undefined;
        const answer = await client.call(operation.method, path, { token, body, ...(headers ? { headers } : {}) });
        const label = `${role} ${operation.operationId} (${operation.permission}, ${operation.scope}) ${operation.method} ${path}`;
        if (may) {
          allowed++;
          const refusals = NOT_FOUND_IS_ALLOWED.has(operation.operationId) ? [401, 403] : [401, 403, 404];
          if (refusals.includes(answer.status) || answer.status >= 500) failures.push(`${label}: the matrix allows, got ${answer.status} ${answer.text.slice(0, 300)}`);
        } else {
          refused++;
          const problem = answer.body as { title?: string; detail?: string; status?: number } | undefined;
          if (answer.status !== 403) failures.push(`${label}: the matrix refuses, got ${answer.status} ${answer.text.slice(0, 300)}`);
          else if (problem?.title !== ACCESS_RESTRICTED_TITLE || problem.status !== 403) failures.push(`${label}: 403 without the Access Restricted problem: ${answer.text}`);
          else if (entry.adminOnly && problem.detail !== ADMIN_ONLY_DETAIL) failures.push(`${label}: admin area without the admin-only detail: ${problem.detail}`);
          else if (!/^application\/problem\+json/.test(answer.headers.get('content-type') ?? '')) failures.push(`${label}: 403 is not problem+json`);
        }
      }
    }
    expect(failures).toEqual([]);
    // both outcomes occur for the team routes (the table is not trivially one-sided)
    expect(allowed).toBeGreaterThan(20);
    expect(refused).toBeGreaterThan(20);
  });
});

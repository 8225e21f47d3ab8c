import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { InvoiceQueueJobs, InvoiceQueues } from '@steward/billing';
import type { JobReadRepository } from '@steward/job-history';
import type { RuntimeReadRepository } from '@steward/runtime-registry';
import { GatewayError, GatewayErrorCode } from '../../gateway.error';
import { defineRoute, type AnyRoute, type Principal } from '../../route';
import { callerOf } from '../caller';
import { pageQuery, pageSchema } from '../route-params';
import type { InfrastructureStatus } from './infrastructure-status';
import type { PlatformAdmins } from './platform-admins';
import { STEWARD_QUEUES, type JobAudience, type QueueInspector } from './queue-inspector';

const TAGS = ['ops'];

export interface OpsRoutesDeps {
  readonly queues: QueueInspector;
  readonly infrastructure: InfrastructureStatus;
  readonly platformAdmins: PlatformAdmins;
  readonly organizationOf: (workspaceId: string) => Promise<string | undefined>;
  readonly jobs: JobReadRepository;
  readonly runtimes: RuntimeReadRepository;
}

const FailedJobSchema = z.object({
  queue: z.string(),
  id: z.string(),
  name: z.string(),
  error: z.string(),
  attempts: z.number().int(),
  failedAt: z.string().nullable(),
  organizationId: z.string().nullable(),
  workspaceId: z.string().nullable(),
});

const OpsQueuesSchema = z.object({
  scope: z.enum(['platform', 'organization']).describe('platform: a platform administrator sees every organization; organization: your organization’s jobs, the platform’s figures without other tenants’ details'),
  queues: z.array(
    z.object({
      name: z.string(),
      context: z.string(),
      description: z.string(),
      counts: z.object({ waiting: z.number().int(), active: z.number().int(), delayed: z.number().int(), failed: z.number().int(), completed: z.number().int() }),
      failedJobs: z.array(FailedJobSchema),
    }),
  ),
  consumers: z.array(z.object({ stream: z.string(), name: z.string(), pending: z.number().int(), ackPending: z.number().int(), redelivered: z.number().int(), deadLetters: z.number().int() })),
  deadLetters: z.object({
    total: z.number().int(),
    items: z
      .array(z.object({ seq: z.number().int(), consumer: z.string(), reason: z.string(), deadLetteredAt: z.string(), originalSubject: z.string().nullable(), deliveryCount: z.number().int().nullable() }))
      .optional(),
  }),
  projections: z.array(
    z.object({
      name: z.string(),
      state: z.enum(['running', 'no runner']),
      health: z.enum(['ok', 'degraded']),
      lagEvents: z.number().int(),
      lagSeconds: z.number(),
      eventsApplied: z.string(),
      quarantined: z.number().int(),
      quarantine: z.array(z.object({ eventId: z.string(), eventType: z.string(), streamId: z.string(), error: z.string(), quarantinedAt: z.string() })).optional(),
    }),
  ),
});

const OpsEventSchema = z.object({
  kind: z.enum(['job', 'runtime-test']),
  workspaceId: z.string(),
  id: z.string().describe('the job id, or the runtime id of a failed connection test'),
  name: z.string().describe('the agent of a job, the name of a runtime'),
  error: z.string().nullable(),
  failedAt: z.string(),
});

/** The job names its queue in the body, not the path: a path of the operators' view names no tenant. */
const QueueJobBody = z.strictObject({
  queue: z.enum(STEWARD_QUEUES.map((queue) => queue.name) as [string, ...string[]]),
  jobId: z.string().min(1).max(200),
});

/**
 * The operators' view (owners and admins: `ops.*`): Steward's BullMQ queues with their failed jobs (retry,
 * remove), the JetStream consumers' backlog and dead letters, the projections' lag and quarantine, and the
 * organization's recent failed executions. An owner or admin sees the jobs of their organization and the
 * platform's figures (counts, lag) without other tenants' details; a platform administrator
 * (STEWARD_PLATFORM_ADMINS) sees everything: every organization's jobs, the dead letters' and quarantined
 * events' ids and errors.
 */
export function opsRoutes(deps: OpsRoutesDeps): AnyRoute[] {
  const audienceOf = (principal: Principal | undefined): { audience: JobAudience; platform: boolean } => {
    if (deps.platformAdmins.includes(principal)) return { audience: { all: true }, platform: true };
    const organizationId = principal ? callerOf(principal).organizationId : undefined;
    if (organizationId === undefined) throw new GatewayError(GatewayErrorCode.Forbidden, 'the operators’ view is for an organization’s owners and admins');
    return { audience: { all: false, organizationId, organizationOf: deps.organizationOf }, platform: false };
  };
  const organizationOf = (principal: Principal | undefined): string => {
    const organizationId = principal ? callerOf(principal).organizationId : undefined;
    if (organizationId === undefined) throw new GatewayError(GatewayErrorCode.Forbidden, 'the operators’ view is for an organization’s owners and admins');
    return organizationId;
  };

  return [
    defineRoute({
      operationId: 'getOpsQueues',
      method: 'GET',
      path: '/v1/ops/queues',
      summary: 'Queues, failed jobs, JetStream consumers, dead letters and projection lag',
      tags: TAGS,
      permission: 'ops.read',
      scope: 'none',
      responses: { 200: OpsQueuesSchema },
      handler: async ({ principal }) => {
        const { audience, platform } = audienceOf(principal);
        const [queues, messaging, projections] = await Promise.all([
          Promise.all(
            STEWARD_QUEUES.map(async (queue) => ({
              ...queue,
              counts: await deps.queues.counts(queue.name),
              failedJobs: await deps.queues.failed(queue.name, audience),
            })),
          ),
          deps.infrastructure.readConsumers(platform),
          deps.infrastructure.projections(platform),
        ]);
        return { status: 200, headers: { 'cache-control': 'no-store' }, body: { scope: platform ? 'platform' : 'organization', queues, ...messaging, projections } };
      },
    }),
    defineRoute({
      operationId: 'retryOpsJob',
      method: 'POST',
      path: '/v1/ops/jobs/retry',
      summary: 'Retry a failed job',
      description: 'Moves a failed job of your organization (any, for a platform administrator) back to waiting. Retrying twice retries once: a job no longer failed is a 404.',
      tags: TAGS,
      permission: 'ops.write',
      scope: 'none',
      // acts on the job as it is now: a second retry finds it no longer failed (404), so a replayed answer would only hide that
      idempotencyKey: 'ignored',
      body: QueueJobBody,
      responses: { 202: z.object({ queue: z.string(), id: z.string(), status: z.literal('waiting') }) },
      handler: async ({ body, principal }) => {
        if (!(await deps.queues.retry(body.queue, body.jobId, audienceOf(principal).audience))) throw new GatewayError(GatewayErrorCode.NotFound, `no failed job ${body.jobId} in ${body.queue}`);
        return { status: 202, body: { queue: body.queue, id: body.jobId, status: 'waiting' as const } };
      },
    }),
    defineRoute({
      operationId: 'removeOpsJob',
      method: 'POST',
      path: '/v1/ops/jobs/remove',
      summary: 'Remove a job (not one that is running)',
      tags: TAGS,
      permission: 'ops.write',
      scope: 'none',
      // a removed job is gone: removing it again is a 404, never a second effect
      idempotencyKey: 'ignored',
      body: QueueJobBody,
      responses: { 204: null },
      handler: async ({ body, principal }) => {
        if (!(await deps.queues.remove(body.queue, body.jobId, audienceOf(principal).audience))) throw new GatewayError(GatewayErrorCode.NotFound, `no job ${body.jobId} in ${body.queue}`);
        return { status: 204 };
      },
    }),
    defineRoute({
      operationId: 'closeBillingPeriods',
      method: 'POST',
      path: '/v1/ops/billing/close-periods',
      summary: 'Run the billing close cycle now (platform administrators)',
      description:
        'Queues one run of the job that closes billing periods, as its 15-minute schedule does: for every organization, each ended period ' +
        'since its account opened that has no issued invoice gets its draft, refreshed during the grace days and issued after them, oldest ' +
        'first. Every step is idempotent: running it again issues nothing twice. 202 with the queued job; GET /v1/ops/queues shows it.',
      tags: TAGS,
      permission: 'billing.operate',
      scope: 'none',
      // queues a run of a job that is idempotent per period: two runs issue nothing twice
      idempotencyKey: 'ignored',
      body: z.strictObject({}),
      responses: { 202: z.object({ queue: z.string(), id: z.string(), status: z.literal('waiting') }) },
      handler: async () => {
        const id = await deps.queues.enqueue(InvoiceQueues.Close, InvoiceQueueJobs.ClosePeriods, {}, `close-now-${randomUUID()}`);
        return { status: 202, body: { queue: InvoiceQueues.Close, id, status: 'waiting' as const } };
      },
    }),
    defineRoute({
      operationId: 'listOpsEvents',
      method: 'GET',
      path: '/v1/ops/events',
      summary: "Recent failed executions of your organization: failed jobs and failed runtime connection tests, with their errors",
      tags: TAGS,
      permission: 'ops.read',
      scope: 'none',
      query: z.strictObject({ ...pageQuery }),
      responses: { 200: pageSchema(OpsEventSchema) },
      handler: async ({ query, principal }) => {
        const organizationId = organizationOf(principal);
        const wanted = query.page * query.pageSize;
        const [jobs, tests] = await Promise.all([deps.jobs.failedJobs(organizationId, wanted), deps.runtimes.failedTests(organizationId, wanted)]);
        const merged = [
          ...jobs.items.map((job) => ({ kind: 'job' as const, workspaceId: job.workspaceId, id: job.jobId, name: job.agent, error: job.error, failedAt: job.failedAt })),
          ...tests.items.map((test) => ({ kind: 'runtime-test' as const, workspaceId: test.workspaceId, id: test.runtimeId, name: test.runtimeName, error: test.error, failedAt: test.failedAt })),
        ].sort((a, b) => b.failedAt.getTime() - a.failedAt.getTime() || a.id.localeCompare(b.id));
        const total = jobs.total + tests.total;
        const items = merged.slice(wanted - query.pageSize, wanted).map((item) => ({ ...item, failedAt: item.failedAt.toISOString() }));
        return { status: 200, body: { items, total, page: query.page, pageSize: query.pageSize, pageCount: Math.ceil(total / query.pageSize) } };
      },
    }),
  ];
}

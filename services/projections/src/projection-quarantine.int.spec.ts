/**
 * Every projection of the catalogue, through the same story: an event it cannot apply (crafted
 * straight into the store, past the edge's validation) is quarantined; the events around it, its
 * tenant's and another tenant's, are applied; the projection reports degraded; a replay with the
 * fixed code applies it once. A projection added to the catalogue fails here until it is given a
 * poison case below.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { BillingStreams, BudgetStreams, InvoiceStreams, JobStreams, NotificationStreams, RuntimeStreams, TeamStreams, UsageStreams, derivedId } from '@steward/contracts';
import { PostgresEventStore, type GlobalPosition, type NewEvent, type RecordedEvent } from '@steward/event-store';
import {
  ProjectionHost,
  projectionSchema,
  readQuarantineCounts,
  replayQuarantine,
  type ProjectionDefinition,
  type ProjectionEventHandler,
} from '@steward/projections';
import { createTestEnv, type TestEnv } from '@steward/testing';
import { projectionCatalog } from './projection-catalog';

jest.setTimeout(120_000);

/** Out of PostgreSQL's range: year 0 does not exist there. */
const YEAR_ZERO = '0000-01-01T00:00:00Z';
const FIXED_TIME = '2026-01-01T00:00:00Z';

interface Tenant {
  readonly organizationId: string;
  readonly workspaceId: string;
}

interface Appendable {
  readonly streamId: string;
  readonly event: NewEvent;
}

interface PoisonCase {
  /** A new entity of the tenant that the projection applies. */
  good(tenant: Tenant): Appendable;
  /** An event the store takes and the projection cannot apply. */
  poison(tenant: Tenant): Appendable;
  /** The fixed code's reading of the poison (the data it can apply). */
  repair(data: Record<string, unknown>): Record<string, unknown>;
  /** How many entities of the tenant the read model shows. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  count(db: Kysely<any>, tenant: Tenant): Promise<number>;
}

const metadata = (tenant: Tenant, occurredAt = new Date().toISOString()): NewEvent['metadata'] => ({
  correlationId: randomUUID(),
  actor: { type: 'system', id: 'quarantine-test' },
  organizationId: tenant.organizationId,
  workspaceId: tenant.workspaceId,
  occurredAt,
});

const event = (type: string, data: Record<string, unknown>, meta: NewEvent['metadata']): NewEvent => ({ eventId: randomUUID(), type, version: 1, data, metadata: meta });

function workspaceCreated(tenant: Tenant, createdAt: string, occurredAt?: string): Appendable {
  const workspaceId = `ws_${randomUUID().replace(/-/g, '')}`;
  return {
    streamId: TeamStreams.workspace(workspaceId),
    event: event(
      'WorkspaceCreated',
      { organizationId: tenant.organizationId, workspaceId, name: `Workspace ${workspaceId.slice(-6)}`, status: 'provisioning', createdBy: 'usr_quarantine', createdAt },
      metadata({ ...tenant, workspaceId }, occurredAt),
    ),
  };
}

/** A platform announcement drafted for the tenant's organization (its author stands for the tenant: the count's key). */
function announcementDrafted(tenant: Tenant, draftedAt: string): Appendable {
  const announcementId = `ann_${randomUUID().replace(/-/g, '')}`;
  return {
    streamId: TeamStreams.announcement(announcementId),
    event: event(
      'AnnouncementDrafted',
      {
        announcementId,
        kind: 'feature',
        title: 'Quarantine',
        body: 'A poison test',
        audience: { type: 'organizations', organizationIds: [tenant.organizationId] },
        window: null,
        authoredBy: tenant.organizationId,
        draftedAt,
      },
      metadata(tenant),
    ),
  };
}

/** A priced call as metering records it; `time` may be one no read model can hold (the poison). */
function usageRecorded(tenant: Tenant, time: string): Appendable {
  const receivedAt = new Date().toISOString();
  return {
    streamId: UsageStreams.usage(tenant.workspaceId, FIXED_TIME),
    event: event(
      'UsageRecorded',
      {
        organizationId: tenant.organizationId,
        workspaceId: tenant.workspaceId,
        usageId: randomUUID(),
        source: 'quarantine-test',
        time,
        agent: 'agent-a',
        provider: 'openai',
        model: 'gpt-4o',
        inputTokens: 100,
        outputTokens: 50,
        cacheReadInputTokens: 0,
        cacheCreationInputTokens: 0,
        reasoningOutputTokens: 0,
        responseTimeMs: 200,
        status: 'success',
        cost: '0.001',
        pricing: { status: 'priced', source: 'catalogue', ref: 'test', unitPrices: { input: '0.000005', output: '0.00001' } },
        receivedAt,
        via: 'http',
      },
      metadata(tenant, receivedAt),
    ),
  };
}

function pricingSet(tenant: Tenant, effectiveFrom: string): Appendable {
  return {
    streamId: UsageStreams.models(tenant.workspaceId),
    event: event(
      'ModelPricingSet',
      {
        organizationId: tenant.organizationId,
        workspaceId: tenant.workspaceId,
        provider: 'openai',
        model: `model-${randomUUID().slice(0, 8)}`,
        unitPrices: { input: '0.000001', output: '0.000002' },
        effectiveFrom,
        setBy: 'usr_quarantine',
        setAt: new Date().toISOString(),
        rerate: false,
      },
      metadata(tenant),
    ),
  };
}

function jobStarted(tenant: Tenant, startedAt: string): Appendable {
  const jobId = `job-${randomUUID()}`;
  return {
    streamId: JobStreams.job(tenant.workspaceId, jobId),
    event: event('JobStarted', { organizationId: tenant.organizationId, workspaceId: tenant.workspaceId, jobId, agent: 'agent-q', startedAt, source: 'api' }, metadata(tenant)),
  };
}

function runtimeRegistered(tenant: Tenant, registeredAt: string): Appendable {
  const runtimeId = `rt_${randomUUID().replace(/-/g, '')}`;
  return {
    streamId: RuntimeStreams.workspace(tenant.workspaceId),
    event: event(
      'RuntimeRegistered',
      {
        organizationId: tenant.organizationId,
        workspaceId: tenant.workspaceId,
        runtimeId,
        name: `runtime ${runtimeId.slice(-6)}`,
        category: 'python_execution',
        provider: 'docker',
        config: { host: 'unix:///var/run/docker.sock' },
        secrets: {},
        registeredBy: 'usr_quarantine',
        registeredAt,
      },
      metadata(tenant),
    ),
  };
}

/** Credits granted to the tenant's organization: a grant of its own in the account's ledger. */
function creditsGranted(tenant: Tenant, grantedAt: string): Appendable {
  return {
    streamId: BillingStreams.account(tenant.organizationId),
    event: event(
      'CreditsGranted',
      {
        organizationId: tenant.organizationId,
        grantId: `promo-${randomUUID()}`,
        kind: 'promotional',
        amount: '100',
        priority: 10,
        repaid: '0',
        grantedBy: 'usr_quarantine',
        reason: 'Promotional credits',
        grantedAt,
      },
      metadata(tenant),
    ),
  };
}

/** A workspace-wide notify budget of the tenant. */
function budgetDefined(tenant: Tenant, definedAt: string): Appendable {
  const budgetId = `bdg_${randomUUID().replace(/-/g, '')}`;
  return {
    streamId: BudgetStreams.budget(budgetId),
    event: event(
      'BudgetDefined',
      {
        organizationId: tenant.organizationId,
        workspaceId: tenant.workspaceId,
        budgetId,
        name: 'Quarantine',
        scope: {},
        period: 'monthly',
        timeZone: 'UTC',
        limitUsd: '100',
        thresholds: [50, 80, 100],
        enforcement: 'notify',
        definedBy: 'quarantine-test',
        definedAt,
      },
      metadata(tenant),
    ),
  };
}

/** An email channel of the tenant's organization. */
function channelCreated(tenant: Tenant, createdAt: string): Appendable {
  const channelId = `nch_${randomUUID().replace(/-/g, '')}`;
  return {
    streamId: NotificationStreams.channel(channelId),
    event: event(
      'NotificationChannelCreated',
      {
        organizationId: tenant.organizationId,
        channelId,
        workspaceId: null,
        name: 'Quarantine',
        kind: 'email',
        url: null,
        recipients: ['quarantine@example.test'],
        events: ['InvoiceIssued'],
        secret: null,
        createdBy: 'quarantine-test',
        createdAt,
      },
      metadata(tenant),
    ),
  };
}

let invoicePeriods = 0;

/** The draft invoice of a period of its own (one stream, one invoice per organization and period). */
function invoiceDraftOpened(tenant: Tenant, openedAt: string): Appendable {
  const index = invoicePeriods++;
  const year = 2000 + Math.floor(index / 12);
  const month = (index % 12) + 1;
  const period = `${year}-${String(month).padStart(2, '0')}`;
  const invoiceId = derivedId('invoice', `${tenant.organizationId}\n${period}`);
  return {
    streamId: InvoiceStreams.invoice(tenant.organizationId, period),
    event: event(
      'InvoiceDraftOpened',
      {
        organizationId: tenant.organizationId,
        invoiceId,
        period,
        timeZone: 'UTC',
        periodStart: new Date(Date.UTC(year, month - 1, 1)).toISOString(),
        periodEnd: new Date(Date.UTC(year, month, 1)).toISOString(),
        graceEndsAt: new Date(Date.UTC(year, month, 4)).toISOString(),
        creditsPerUsd: '100',
        lines: [{ kind: 'plan_fee', description: 'Standard plan', planId: 'standard', amountUsd: '49', amountCredits: '4900' }],
        totals: { subtotalUsd: '49', subtotalCredits: '4900', creditsApplied: '0', creditsAppliedUsd: '0', totalDueUsd: '49.00', totalDueCredits: '4900' },
        creditsAppliedThrough: 0,
        openedAt,
      },
      metadata(tenant),
    ),
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function countRows(db: Kysely<any>, projection: string, table: string, column: string, value: string): Promise<number> {
  const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.table(`${projectionSchema(projection)}.${table}`)} WHERE ${sql.ref(column)} = ${value}`.execute(db);
  return Number(rows[0]!.n);
}

const CASES: Readonly<Record<string, PoisonCase>> = {
  team: {
    good: (tenant) => workspaceCreated(tenant, new Date().toISOString()),
    poison: (tenant) => workspaceCreated(tenant, YEAR_ZERO),
    repair: (data) => ({ ...data, createdAt: FIXED_TIME }),
    count: (db, tenant) => countRows(db, 'team', 'workspaces', 'organization_id', tenant.organizationId),
  },
  activity: {
    good: (tenant) => workspaceCreated(tenant, new Date().toISOString()),
    // the log's time is the command's (metadata); the fix reads it from the data instead
    poison: (tenant) => workspaceCreated(tenant, FIXED_TIME, YEAR_ZERO),
    repair: (data) => data,
    count: (db, tenant) => countRows(db, 'activity', 'activity_entries', 'organization_id', tenant.organizationId),
  },
  announcements: {
    good: (tenant) => announcementDrafted(tenant, new Date().toISOString()),
    poison: (tenant) => announcementDrafted(tenant, YEAR_ZERO),
    repair: (data) => ({ ...data, draftedAt: FIXED_TIME }),
    count: (db, tenant) => countRows(db, 'announcements', 'announcements', 'authored_by', tenant.organizationId),
  },
  chargeback: {
    good: (tenant) => usageRecorded(tenant, new Date(Date.parse(FIXED_TIME) + Math.floor(Math.random() * 3_600_000)).toISOString()),
    poison: (tenant) => usageRecorded(tenant, YEAR_ZERO),
    repair: (data) => ({ ...data, time: FIXED_TIME }),
    count: (db, tenant) => countRows(db, 'chargeback', 'usage_calls', 'workspace_id', tenant.workspaceId),
  },
  'model-settings': {
    good: (tenant) => pricingSet(tenant, new Date().toISOString()),
    poison: (tenant) => pricingSet(tenant, YEAR_ZERO),
    repair: (data) => ({ ...data, effectiveFrom: FIXED_TIME }),
    count: (db, tenant) => countRows(db, 'model-settings', 'model_prices', 'workspace_id', tenant.workspaceId),
  },
  jobs: {
    good: (tenant) => jobStarted(tenant, new Date().toISOString()),
    poison: (tenant) => jobStarted(tenant, YEAR_ZERO),
    repair: (data) => ({ ...data, startedAt: FIXED_TIME }),
    count: (db, tenant) => countRows(db, 'jobs', 'jobs', 'workspace_id', tenant.workspaceId),
  },
  runtimes: {
    good: (tenant) => runtimeRegistered(tenant, new Date().toISOString()),
    poison: (tenant) => runtimeRegistered(tenant, YEAR_ZERO),
    repair: (data) => ({ ...data, registeredAt: FIXED_TIME }),
    count: (db, tenant) => countRows(db, 'runtimes', 'runtimes', 'workspace_id', tenant.workspaceId),
  },
  billing: {
    good: (tenant) => creditsGranted(tenant, new Date().toISOString()),
    poison: (tenant) => creditsGranted(tenant, YEAR_ZERO),
    repair: (data) => ({ ...data, grantedAt: FIXED_TIME }),
    count: (db, tenant) => countRows(db, 'billing', 'grants', 'organization_id', tenant.organizationId),
  },
  invoices: {
    good: (tenant) => invoiceDraftOpened(tenant, new Date().toISOString()),
    poison: (tenant) => invoiceDraftOpened(tenant, YEAR_ZERO),
    repair: (data) => ({ ...data, openedAt: FIXED_TIME }),
    count: (db, tenant) => countRows(db, 'invoices', 'invoices', 'organization_id', tenant.organizationId),
  },
  budgets: {
    good: (tenant) => budgetDefined(tenant, new Date().toISOString()),
    poison: (tenant) => budgetDefined(tenant, YEAR_ZERO),
    repair: (data) => ({ ...data, definedAt: FIXED_TIME }),
    count: (db, tenant) => countRows(db, 'budgets', 'budgets', 'workspace_id', tenant.workspaceId),
  },
  notifications: {
    good: (tenant) => channelCreated(tenant, new Date().toISOString()),
    poison: (tenant) => channelCreated(tenant, YEAR_ZERO),
    repair: (data) => ({ ...data, createdAt: FIXED_TIME }),
    count: (db, tenant) => countRows(db, 'notifications', 'notification_channels', 'organization_id', tenant.organizationId),
  },
};

/** The projection as fixed code would run it: the same handlers, reading `eventId`'s data through `repair`. */
function fixedProjection(projection: ProjectionDefinition, eventId: string, repair: PoisonCase['repair']): ProjectionDefinition {
  const read = (recorded: RecordedEvent): RecordedEvent =>
    recorded.eventId === eventId
      ? { ...recorded, data: repair(recorded.data as Record<string, unknown>), metadata: { ...recorded.metadata, occurredAt: FIXED_TIME } }
      : recorded;
  const { handle, handlers } = projection;
  return {
    ...projection,
    ...(handle ? { handle: (trx, events, context) => handle(trx, events.map(read), context) } : {}),
    ...(handlers
      ? {
          handlers: Object.fromEntries(
            Object.entries(handlers).map(([type, handler]): [string, ProjectionEventHandler] => [type, (trx, recorded, context) => handler(trx, read(recorded), context)]),
          ),
        }
      : {}),
  };
}

const tenant = (): Tenant => ({ organizationId: `org_${randomUUID().replace(/-/g, '')}`, workspaceId: `ws_${randomUUID().replace(/-/g, '')}` });

describe('every catalogue projection quarantines an event it cannot apply and replays it once fixed', () => {
  let env: TestEnv;
  let store: PostgresEventStore;
  let host: ProjectionHost | undefined;

  beforeAll(async () => {
    env = await createTestEnv();
    store = new PostgresEventStore({ pool: env.pool, schema: 'steward_events' });
    await store.migrate();
  });

  afterEach(async () => {
    await host?.stop();
    host = undefined;
  });

  afterAll(async () => {
    await store.close();
    await env.dispose();
  });

  async function append({ streamId, event: newEvent }: Appendable): Promise<GlobalPosition> {
    await store.append(streamId, [newEvent], { expectedRevision: 'any' });
    const [last] = await store.readStream(streamId, { direction: 'backwards', maxCount: 1 });
    return last!.position;
  }

  it.each(projectionCatalog.map((projection) => [projection.name, projection] as const))('%s', async (name, projection) => {
    const poisonCase = CASES[name];
    if (!poisonCase) throw new Error(`projection ${name} has no poison case: add one to CASES in ${__filename}`);
    const a = tenant();
    const b = tenant();
    const errors: Array<Record<string, unknown>> = [];
    host = new ProjectionHost({
      pool: env.pool,
      store,
      projections: [projection],
      meter: false,
      retryDelayMs: 50,
      instanceId: `quarantine-${name}`,
      logger: { info: () => undefined, warn: () => undefined, error: (fields) => errors.push(fields) },
    });

    // One batch: tenant A's good event, its poison, tenant B's good event.
    await append(poisonCase.good(a));
    const poison = poisonCase.poison(a);
    await append(poison);
    let head = await append(poisonCase.good(b));
    await host.start();
    const runner = host.runner(name);
    await runner.waitForPosition(head, 60_000);

    const [quarantined, ...more] = await host.quarantined(name);
    expect(more).toEqual([]);
    expect(quarantined).toMatchObject({ projection: name, eventId: poison.event.eventId, streamId: poison.streamId, eventType: poison.event.type });
    expect(quarantined!.errorMessage).toMatch(/out of range/);
    expect(await poisonCase.count(host.db, a)).toBe(1);
    expect(await poisonCase.count(host.db, b)).toBe(1);
    expect(await runner.status()).toMatchObject({ quarantined: 1, health: 'degraded' });
    expect((await readQuarantineCounts(env.pool))[name]).toBe(1);
    expect(errors.filter((line) => line.eventId === poison.event.eventId)).toHaveLength(1);

    // Both tenants' later events keep flowing.
    await append(poisonCase.good(a));
    head = await append(poisonCase.good(b));
    await runner.waitForPosition(head, 60_000);
    expect(await poisonCase.count(host.db, a)).toBe(2);
    expect(await poisonCase.count(host.db, b)).toBe(2);

    // The unfixed code fails it again: it stays. The fixed code applies it, once.
    expect(await host.replayQuarantine(name)).toMatchObject({ replayed: 0, failed: 1 });
    const fixed = fixedProjection(projection, poison.event.eventId, poisonCase.repair);
    expect(await replayQuarantine({ db: host.db, store }, fixed)).toMatchObject({ replayed: 1, failed: 0 });
    expect(await replayQuarantine({ db: host.db, store }, fixed)).toMatchObject({ replayed: 0, failed: 0 });
    expect(await poisonCase.count(host.db, a)).toBe(3);
    expect(await poisonCase.count(host.db, b)).toBe(2);
    expect(await runner.status()).toMatchObject({ quarantined: 0, health: 'ok' });
    expect((await readQuarantineCounts(env.pool))[name]).toBeUndefined();
  });
});

import type { Kysely } from 'kysely';
import { RUNTIME_CATEGORIES, runtimeProvider, type RuntimeCategory, type RuntimeConfig, type RuntimeProviderId, type RuntimeTestFailure } from '@steward/contracts';
import type { RuntimeDB } from './runtime-db';
import { RUNTIMES_SCHEMA } from './runtime.projection';
import type { RuntimeRow } from './runtimes.table';

/** A runtime as the API shows it: secrets only as masked hints. */
export interface RuntimeView {
  readonly id: string;
  readonly organizationId: string;
  readonly workspaceId: string;
  readonly name: string;
  readonly category: RuntimeCategory;
  readonly provider: RuntimeProviderId;
  readonly providerLabel: string;
  readonly config: RuntimeConfig;
  readonly secrets: Record<string, { readonly hint: string }>;
  readonly isDefault: boolean;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly lastTest: {
    readonly testId: string;
    readonly status: 'pending' | 'succeeded' | 'failed';
    readonly requestedAt: string;
    readonly testedAt: string | null;
    readonly statusCode: number | null;
    readonly latencyMs: number | null;
    readonly failure: RuntimeTestFailure | null;
    readonly message: string | null;
  } | null;
}

export type RuntimeCounts = Record<'all' | RuntimeCategory, number>;

export interface RuntimePage {
  readonly items: RuntimeView[];
  readonly total: number;
  readonly page: number;
  readonly pageSize: number;
  readonly pageCount: number;
  /** The count chip of each tab (All Runtimes and each category), whatever the filter. */
  readonly counts: RuntimeCounts;
}

export interface ListRuntimesQuery {
  readonly category?: RuntimeCategory | undefined;
  readonly page: number;
  readonly pageSize: number;
}

const iso = (value: Date | null): string | null => (value === null ? null : new Date(value).toISOString());

export function runtimeView(row: RuntimeRow): RuntimeView {
  return {
    id: row.runtime_id,
    organizationId: row.organization_id,
    workspaceId: row.workspace_id,
    name: row.name,
    category: row.category,
    provider: row.provider,
    providerLabel: runtimeProvider(row.provider).label,
    config: row.config,
    secrets: Object.fromEntries(Object.entries(row.secrets).map(([field, reference]) => [field, { hint: reference.hint }])),
    isDefault: row.is_default,
    createdBy: row.created_by,
    createdAt: iso(row.created_at)!,
    updatedAt: iso(row.updated_at)!,
    lastTest:
      row.last_test_id === null || row.last_test_status === null || row.last_test_requested_at === null
        ? null
        : {
            testId: row.last_test_id,
            status: row.last_test_status,
            requestedAt: iso(row.last_test_requested_at)!,
            testedAt: iso(row.last_tested_at),
            statusCode: row.last_test_status_code,
            latencyMs: row.last_test_latency_ms,
            failure: row.last_test_failure,
            message: row.last_test_message,
          },
  };
}

/** The Runtime Environments page's queries. Every one takes the workspace first: the tenant wall. */
/** A runtime whose last connection test failed, as the operators' view lists it. */
export interface FailedTestView {
  readonly workspaceId: string;
  readonly runtimeId: string;
  readonly runtimeName: string;
  readonly testId: string | null;
  /** The failure kind and its message. */
  readonly error: string | null;
  readonly failedAt: Date;
}

export class RuntimeReadRepository {
  constructor(private readonly deps: { readonly db: Kysely<unknown> }) {}

  private get db(): Kysely<RuntimeDB> {
    return (this.deps.db as Kysely<RuntimeDB>).withSchema(RUNTIMES_SCHEMA);
  }

  /** One tab: the runtimes of a category (or all), defaults first, then by name; with every tab's count. */
  async list(workspaceId: string, query: ListRuntimesQuery): Promise<RuntimePage> {
    let rows = this.db.selectFrom('runtimes').selectAll().where('workspace_id', '=', workspaceId);
    if (query.category) rows = rows.where('category', '=', query.category);
    const [items, counts] = await Promise.all([
      rows
        .orderBy('category')
        .orderBy('is_default', 'desc')
        .orderBy('name')
        .orderBy('runtime_id')
        .limit(query.pageSize)
        .offset((query.page - 1) * query.pageSize)
        .execute(),
      this.counts(workspaceId),
    ]);
    const total = query.category ? counts[query.category] : counts.all;
    return { items: items.map(runtimeView), total, page: query.page, pageSize: query.pageSize, pageCount: Math.ceil(total / query.pageSize), counts };
  }

  async counts(workspaceId: string): Promise<RuntimeCounts> {
    const rows = await this.db
      .selectFrom('runtimes')
      .select(['category', (eb) => eb.fn.countAll<string>().as('n')])
      .where('workspace_id', '=', workspaceId)
      .groupBy('category')
      .execute();
    const counts = Object.fromEntries(['all', ...RUNTIME_CATEGORIES].map((tab) => [tab, 0])) as RuntimeCounts;
    for (const row of rows) {
      counts[row.category] = Number(row.n);
      counts.all += Number(row.n);
    }
    return counts;
  }

  async get(workspaceId: string, runtimeId: string): Promise<RuntimeView | undefined> {
    const row = await this.db.selectFrom('runtimes').selectAll().where('workspace_id', '=', workspaceId).where('runtime_id', '=', runtimeId).executeTakeFirst();
    return row ? runtimeView(row) : undefined;
  }

  /** The default runtime of each category, null where there is none ("No Ingestion Runtimes Configured"). */
  async defaults(workspaceId: string): Promise<Record<RuntimeCategory, RuntimeView | null>> {
    const rows = await this.db.selectFrom('runtimes').selectAll().where('workspace_id', '=', workspaceId).where('is_default', '=', true).execute();
    const result = Object.fromEntries(RUNTIME_CATEGORIES.map((category) => [category, null])) as Record<RuntimeCategory, RuntimeView | null>;
    for (const row of rows) result[row.category] = runtimeView(row);
    return result;
  }

  /** The organization's runtimes whose last connection test failed, newest first, with the failure: the operators' view. */
  async failedTests(organizationId: string, limit: number, offset = 0): Promise<{ total: number; items: FailedTestView[] }> {
    const base = this.db.selectFrom('runtimes').where('organization_id', '=', organizationId).where('last_test_status', '=', 'failed');
    const [rows, count] = await Promise.all([
      base
        .select(['workspace_id', 'runtime_id', 'name', 'last_test_id', 'last_test_failure', 'last_test_message', 'last_tested_at', 'last_test_requested_at'])
        .orderBy('last_tested_at', 'desc')
        .orderBy('runtime_id')
        .limit(limit)
        .offset(offset)
        .execute(),
      base.select((eb) => eb.fn.countAll<string>().as('total')).executeTakeFirstOrThrow(),
    ]);
    return {
      total: Number(count.total),
      items: rows.map((row) => ({
        workspaceId: row.workspace_id,
        runtimeId: row.runtime_id,
        runtimeName: row.name,
        testId: row.last_test_id,
        error: [row.last_test_failure, row.last_test_message].filter((part) => part !== null && part !== '').join(': ') || null,
        failedAt: new Date(row.last_tested_at ?? row.last_test_requested_at ?? 0),
      })),
    };
  }
}

import { randomUUID } from 'node:crypto';
import { Kysely, PostgresDialect } from 'kysely';
import { BillingReadRepository, DEFAULT_PLAN_CATALOGUE, billingProjection } from '@steward/billing';
import { BillingStreams } from '@steward/contracts';
import { PostgresEventStore } from '@steward/event-store';
import { ProjectionHost } from '@steward/projections';
import { createTestEnv, waitFor, type TestEnv } from '@steward/testing';
import { AccountStreams } from '../accounts/account-streams';
import { BillingCommandRunner } from '../accounts/billing-command.runner';
import { PeriodSweep } from './period-sweep';

/*
 * The period sweep against the real store and read model: an account opened
 * in January, a grant expiring mid-February and a downgrade scheduled; swept
 * at the start of February by two replicas at once, again a minute later, and
 * in March. Each period starts once, the allowance is granted once per period,
 * the downgrade applies at its period's start, the expiry lands once.
 */
describe('billing period sweep (event store, read model)', () => {
  let env: TestEnv;
  let store: PostgresEventStore;
  let host: ProjectionHost;
  let read: BillingReadRepository;
  const organizationId = `org_${randomUUID().slice(0, 8)}`;
  const logger = { warn: () => undefined };

  const runner = () =>
    new BillingCommandRunner({ store, accounts: new AccountStreams(store), catalogue: DEFAULT_PLAN_CATALOGUE, defaultTimeZone: 'Europe/Paris', authorize: async () => undefined });
  const sweepAt = (at: string, by = runner()) => new PeriodSweep({ read, runner: by, logger, intervalMs: 60_000, now: () => new Date(at) }).sweep();
  /** The read model has applied the account's last event (its revision), not merely a head read a moment too early. */
  const caughtUp = async () => {
    const last = (await store.readStream(BillingStreams.account(organizationId), { direction: 'backwards', maxCount: 1 }))[0]!.streamRevision.toString();
    await waitFor('the billing read model at the account stream revision', async () => {
      const { rows } = await env.pool.query<{ revision: string }>('SELECT revision FROM rm_billing.accounts WHERE organization_id = $1', [organizationId]).catch(() => ({ rows: [] as Array<{ revision: string }> }));
      return rows[0]?.revision === last ? true : undefined;
    }, { timeoutMs: 20_000 });
  };
  const types = async () => (await store.readStream(BillingStreams.account(organizationId))).map((event) => event.type);
  const command = (type: string, at: string) => ({ commandId: randomUUID(), type, actor: { type: 'user' as const, id: 'usr_owner' }, organizationId, issuedAt: at, payload: {} });

  beforeAll(async () => {
    env = await createTestEnv();
    store = new PostgresEventStore({ pool: env.pool, connectionString: env.databaseUrl });
    await store.migrate();
    host = new ProjectionHost({ pool: env.pool, store, projections: [billingProjection], meter: false, lockPollIntervalMs: 100 });
    await host.start();
    read = new BillingReadRepository(new Kysely<unknown>({ dialect: new PostgresDialect({ pool: env.pool }) }));
  });

  afterAll(async () => {
    await host?.stop();
    await store?.close();
    await env?.dispose();
  });

  it('starts each period once, applies a scheduled downgrade at its start, expires once, whatever replicas and rounds', async () => {
    const january = '2026-01-15T10:00:00.000Z';
    await runner().decideOn(organizationId, command('ChangePlan', january), { type: 'ChangePlan', planId: 'premium' });
    await runner().decideOn(organizationId, command('GrantCredits', january), {
      type: 'GrantCredits',
      grantId: 'promo-feb',
      kind: 'promotional',
      amount: '300',
      expiresAt: '2026-02-10T00:00:00.000Z',
      reason: 'welcome',
    });
    await runner().decideOn(organizationId, command('ChangePlan', '2026-01-20T10:00:00.000Z'), { type: 'ChangePlan', planId: 'standard' });
    await caughtUp();
    expect(await read.dueAccounts(new Date('2026-01-31T22:59:00.000Z'))).toEqual([]);

    // Paris: February starts at 23:00 UTC on January 31st; two replicas sweep the same minute
    const due = await read.dueAccounts(new Date('2026-01-31T23:00:30.000Z'));
    expect(due).toEqual([organizationId]);
    await Promise.all([sweepAt('2026-01-31T23:00:30.000Z'), sweepAt('2026-01-31T23:00:30.000Z')]);
    await sweepAt('2026-01-31T23:01:30.000Z');
    await caughtUp();
    const february = (await types()).slice(-5);
    expect(february).toEqual(['CreditsExpired', 'CreditsExpired', 'PlanChanged', 'BillingPeriodStarted', 'CreditsGranted']);
    const account = await read.account(organizationId);
    expect(account).toMatchObject({ planId: 'standard', period: '2026-02', scheduledChange: null, periodEnd: '2026-02-28T23:00:00.000Z' });
    // February's allowance and what is left of the promotion
    expect(account?.balance).toBe('5300');

    await sweepAt('2026-02-10T00:00:10.000Z');
    await caughtUp();
    expect((await types()).at(-1)).toBe('CreditsExpired');
    expect((await read.account(organizationId))?.balance).toBe('5000');
    await sweepAt('2026-02-10T00:05:10.000Z');
    await caughtUp();
    expect((await types()).filter((type) => type === 'CreditsExpired')).toHaveLength(3);

    await sweepAt('2026-02-28T23:00:05.000Z');
    await caughtUp();
    const all = await store.readStream(BillingStreams.account(organizationId));
    const periods = all.filter((event) => event.type === 'BillingPeriodStarted').map((event) => (event.data as { period: string }).period);
    expect(periods).toEqual(['2026-01', '2026-02', '2026-03']);
    const allowances = all.filter((event) => event.type === 'CreditsGranted' && (event.data as { kind: string }).kind === 'plan_allowance').map((event) => (event.data as { grantId: string }).grantId);
    expect(allowances).toEqual(['plan:2026-01', 'plan:2026-01:premium', 'plan:2026-02', 'plan:2026-03']);
  });
});

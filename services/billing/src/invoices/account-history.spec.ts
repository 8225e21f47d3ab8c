import { DEFAULT_PLAN_CATALOGUE } from '@steward/billing';
import type { BillingLedgerEvent } from '@steward/contracts';
import { deciderSpec } from '@steward/testing';
import { billingAccountDecider, type AccountCommand } from '../accounts/billing-account.decider';
import { appliesToInvoice, invoiceAccountFacts, usagePeriodsBefore, type AccountEntry } from './account-history';
import { billingPeriod } from './billing-period';
import { invoiceContent } from './invoice-lines';

const spec = deciderSpec(billingAccountDecider);

/** The account stream as the decider writes it: Ticks at each instant. */
function stream(ticks: readonly string[], timeZone = 'UTC'): AccountEntry[] {
  const events: BillingLedgerEvent[] = [];
  for (const at of ticks) {
    const command = { type: 'Tick', context: { organizationId: 'org_1', actorId: 'system', at, catalogue: DEFAULT_PLAN_CATALOGUE, defaultTimeZone: timeZone } } as AccountCommand;
    events.push(...spec.given(events).when(command).events());
  }
  return events.map((event, revision) => ({ revision, event }));
}

const linesOf = (entries: readonly AccountEntry[], period: string, timeZone = 'UTC') => {
  const facts = invoiceAccountFacts(entries, billingPeriod(period, timeZone), DEFAULT_PLAN_CATALOGUE, 0)!;
  return invoiceContent({ creditsPerUsd: facts.creditsPerUsd, planFee: facts.planFee, prorations: facts.prorations, usage: [], adjustments: [], creditsDrawn: '0', creditsAppliedThrough: 0 });
};

describe('invoice facts of the period an account opened in', () => {
  it('bill the opening period’s prorated fee as a proration line, and the next period’s full fee as the plan fee', () => {
    const entries = stream(['2026-03-10T12:00:00.000Z', '2026-04-02T00:00:00.000Z']);
    const march = linesOf(entries, '2026-03');
    expect(march.lines.map((line) => [line.kind, line.description, line.amountUsd, line.amountCredits])).toEqual([
      ['proration', "Standard plan from the account's opening (22/31 of the period)", '34.77', '3477'],
    ]);
    expect(march.lines[0]).toMatchObject({ planId: 'standard', from: '2026-03-10T12:00:00.000Z', to: '2026-04-01T00:00:00.000Z' });
    expect(march.totals.totalDueUsd).toBe('34.77');
    const april = linesOf(entries, '2026-04');
    expect(april.lines.map((line) => [line.kind, line.amountUsd])).toEqual([['plan_fee', '49']]);
  });

  it('bill an account opened on the first local day of its period the whole fee', () => {
    // 10:30 UTC on 28 February is 1 March in Kiritimati (+14)
    const entries = stream(['2026-02-28T10:30:00.000Z'], 'Pacific/Kiritimati');
    expect(linesOf(entries, '2026-03', 'Pacific/Kiritimati').lines.map((line) => [line.kind, line.amountUsd])).toEqual([['plan_fee', '49']]);
  });
});

describe('credits applied by the billing period of the calls', () => {
  const zone = 'UTC';
  const consume = (at: string, first: string, parts: ReadonlyArray<{ usagePeriod: string; usd: string }>): AccountCommand =>
    ({
      type: 'ConsumeCredits',
      usd: parts.reduce((sum, part) => sum + Number(part.usd), 0).toString(),
      source: { first, last: first, events: parts.length },
      parts,
      context: { organizationId: 'org_1', actorId: 'billing', at, catalogue: DEFAULT_PLAN_CATALOGUE, defaultTimeZone: zone },
    }) as AccountCommand;
  /** Opened on 10 March, then a history of January and February sent with the calls' times, and March's own usage. */
  function history(extra: readonly AccountCommand[] = []): AccountEntry[] {
    const events: BillingLedgerEvent[] = [];
    const tick = { type: 'Tick', context: { organizationId: 'org_1', actorId: 'system', at: '2026-03-10T12:00:00.000Z', catalogue: DEFAULT_PLAN_CATALOGUE, defaultTimeZone: zone } } as AccountCommand;
    for (const command of [
      tick,
      consume('2026-03-10T13:00:00.000Z', '5/0', [
        { usagePeriod: '2026-01', usd: '10' },
        { usagePeriod: '2026-02', usd: '12' },
        { usagePeriod: '2026-03', usd: '3' },
      ]),
      ...extra,
    ]) {
      events.push(...spec.given(events).when(command).events());
    }
    return events.map((event, revision) => ({ revision, event }));
  }
  const facts = (entries: AccountEntry[], period: string, from = 0, last: string | null = null) => invoiceAccountFacts(entries, billingPeriod(period, zone), DEFAULT_PLAN_CATALOGUE, from, last);

  it('lists the periods before the opening whose calls were consumed, and invoices them with no plan fee', () => {
    const entries = history();
    expect(usagePeriodsBefore(entries, '2026-03')).toEqual(['2026-01', '2026-02']);
    const january = facts(entries, '2026-01')!;
    expect(january).toMatchObject({ planFee: null, prorations: [], creditsDrawn: '1000', creditsAppliedThrough: entries.length });
    // a month before the opening with no usage consumed is not invoiced
    expect(facts(entries, '2025-12')).toBeUndefined();
  });

  it('applies each period’s own credits once, the periods issued in order', () => {
    const entries = history();
    const january = facts(entries, '2026-01')!;
    const february = facts(entries, '2026-02', january.creditsAppliedThrough, '2026-01')!;
    const march = facts(entries, '2026-03', february.creditsAppliedThrough, '2026-02')!;
    expect([january.creditsDrawn, february.creditsDrawn, march.creditsDrawn]).toEqual(['1000', '1200', '300']);
    expect(march.prorations.map((line) => line.kind)).toEqual(['opening']);
  });

  it('applies credits of late usage of an issued period on the next invoice, and never twice', () => {
    const base = history();
    const january = facts(base, '2026-01')!;
    // February's usage arrives after January's invoice was issued: some of it is January's (late)
    const entries = history([consume('2026-03-11T00:00:00.000Z', '6/0', [{ usagePeriod: '2026-01', usd: '2' }, { usagePeriod: '2026-02', usd: '4' }])]);
    const february = facts(entries, '2026-02', january.creditsAppliedThrough, '2026-01')!;
    // February's own (12 + 4) and January's late 2, each once
    expect(february.creditsDrawn).toBe('1800');
    const march = facts(entries, '2026-03', february.creditsAppliedThrough, '2026-02')!;
    expect(march.creditsDrawn).toBe('300');
    expect(Number(january.creditsDrawn) + Number(february.creditsDrawn) + Number(march.creditsDrawn)).toBe(3100);
  });
});

describe('appliesToInvoice', () => {
  const invoice = { period: '2026-03', lastIssuedPeriod: '2026-02', creditsAppliedFrom: 10, creditsAppliedThrough: 20 };
  it.each([
    [{ usagePeriod: '2026-03', revision: 5 }, true],
    [{ usagePeriod: '2026-02', revision: 5 }, false],
    [{ usagePeriod: '2026-02', revision: 12 }, true],
    [{ usagePeriod: '2026-04', revision: 12 }, false],
    [{ usagePeriod: '2026-03', revision: 20 }, false],
  ])('%o → %s', (entry, applied) => {
    expect(appliesToInvoice(entry, invoice)).toBe(applied);
  });
});

import { DEFAULT_PLAN_CATALOGUE } from '@steward/billing';
import type { BillingLedgerEvent } from '@steward/contracts';
import { deciderSpec } from '@steward/testing';
import { billingAccountDecider, type AccountCommand } from '../accounts/billing-account.decider';
import { invoiceAccountFacts, type AccountEntry } from './account-history';
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

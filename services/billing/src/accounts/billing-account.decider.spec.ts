import { DEFAULT_PLAN_CATALOGUE, sumAmounts } from '@steward/billing';
import type { BillingLedgerEvent } from '@steward/contracts';
import { deciderSpec } from '@steward/testing';
import { BillingError } from './billing.error';
import {
  accountBalance,
  billingAccountDecider,
  type AccountCommand,
  type BillingAccountState,
  type DecisionContext,
  type OpenAccount,
} from './billing-account.decider';

const spec = deciderSpec(billingAccountDecider);
const ORG = 'org_1';

function context(at: string, timeZone = 'UTC'): DecisionContext {
  return { organizationId: ORG, actorId: 'usr_owner', at, catalogue: DEFAULT_PLAN_CATALOGUE, defaultTimeZone: timeZone };
}

type CommandBody = AccountCommand extends infer C ? (C extends AccountCommand ? Omit<C, 'context'> : never) : never;

function command(at: string, body: CommandBody, timeZone?: string): AccountCommand {
  return { ...body, context: context(at, timeZone) } as AccountCommand;
}

/** Folds a history built command by command with the decider itself. */
function history(steps: ReadonlyArray<[string, CommandBody]>, timeZone?: string): BillingLedgerEvent[] {
  const events: BillingLedgerEvent[] = [];
  for (const [at, body] of steps) events.push(...spec.given(events).when(command(at, body, timeZone)).events());
  return events;
}

function open(state: BillingAccountState): OpenAccount {
  if (!state.exists) throw new Error('not open');
  return state;
}

function ofType<T extends BillingLedgerEvent['type']>(events: readonly BillingLedgerEvent[], type: T): Extract<BillingLedgerEvent, { type: T }>[] {
  return events.filter((event): event is Extract<BillingLedgerEvent, { type: T }> => event.type === type);
}

const consume = (usd: string, first: string, last: string, events = 1, parts?: ReadonlyArray<{ usagePeriod: string; usd: string }>): CommandBody => ({
  type: 'ConsumeCredits',
  usd,
  source: { first, last, events },
  ...(parts ? { parts } : {}),
});
const grantCredits = (grantId: string, amount: string, extra: Partial<Extract<CommandBody, { type: 'GrantCredits' }>> = {}): CommandBody => ({
  type: 'GrantCredits',
  grantId,
  kind: 'purchase',
  amount,
  reason: 'top-up',
  ...extra,
});

describe('billing account: opening and periods', () => {
  it('opens on the default plan in the default time zone with the period allowance, expiring at the period end', () => {
    spec
      .given([])
      .when(command('2026-03-10T12:00:00.000Z', { type: 'Tick' }))
      .then([
        {
          type: 'BillingAccountOpened',
          data: {
            organizationId: ORG,
            planId: 'standard',
            timeZone: 'UTC',
            overdraftLimit: null,
            lowBalanceThresholds: [],
            period: '2026-03',
            openedBy: 'usr_owner',
            openedAt: '2026-03-10T12:00:00.000Z',
          },
        },
        {
          type: 'BillingPeriodStarted',
          data: {
            organizationId: ORG,
            period: '2026-03',
            planId: 'standard',
            // opened on the 10th: 22 of March's 31 days are left, 49 × 22 / 31 = 34.774… USD
            feeUsd: '34.77',
            periodStart: '2026-03-01T00:00:00.000Z',
            periodEnd: '2026-04-01T00:00:00.000Z',
            startedAt: '2026-03-10T12:00:00.000Z',
          },
        },
        {
          type: 'CreditsGranted',
          data: {
            organizationId: ORG,
            grantId: 'plan:2026-03',
            kind: 'plan_allowance',
            amount: '5000',
            priority: 20,
            expiresAt: '2026-04-01T00:00:00.000Z',
            repaid: '0',
            grantedBy: 'system',
            reason: 'Standard plan allowance for 2026-03',
            grantedAt: '2026-03-10T12:00:00.000Z',
          },
        },
      ]);
  });

  it('prorates the fee of the period it opens in like an upgrade (days of the billing time zone), and charges the next one in full', () => {
    const fees = (events: readonly BillingLedgerEvent[]) => ofType(events, 'BillingPeriodStarted').map((event) => [event.data.period, event.data.feeUsd]);
    // the first day of the period counts whole: the full fee
    expect(fees(spec.given([]).when(command('2026-03-01T23:59:00.000Z', { type: 'Tick' })).events())).toEqual([['2026-03', '49']]);
    // the last day: 1 of 31 days, 49 / 31 = 1.5806… USD
    expect(fees(spec.given([]).when(command('2026-03-31T00:00:00.000Z', { type: 'Tick' })).events())).toEqual([['2026-03', '1.58']]);
    // 2026-02-28T10:30Z is 1 March, 00:30 in Kiritimati (+14): the whole of its March is left
    expect(fees(spec.given([]).when(command('2026-02-28T10:30:00.000Z', { type: 'Tick' }, 'Pacific/Kiritimati')).events())).toEqual([['2026-03', '49']]);
    // 2026-03-01T07:30Z is still 28 February in Los Angeles: 1 of its 28 days, 49 / 28 = 1.75
    expect(fees(spec.given([]).when(command('2026-03-01T07:30:00.000Z', { type: 'Tick' }, 'America/Los_Angeles')).events())).toEqual([['2026-02', '1.75']]);
    // the allowance of the opening period stays whole; the next period's fee is the monthly fee
    const given = history([
      ['2026-03-10T12:00:00.000Z', { type: 'Tick' }],
      ['2026-04-02T00:00:00.000Z', { type: 'Tick' }],
    ]);
    expect(fees(given)).toEqual([
      ['2026-03', '34.77'],
      ['2026-04', '49'],
    ]);
    expect(ofType(given, 'CreditsGranted').map((event) => event.data.amount)).toEqual(['5000', '5000']);
  });

  it('cuts periods in the billing time zone: +14 (Pacific/Kiritimati) starts its month 14 hours before UTC', () => {
    const events = spec.given([]).when(command('2026-02-28T10:30:00.000Z', { type: 'Tick' }, 'Pacific/Kiritimati')).events();
    // 10:30 UTC on the 28th is 00:30 on March 1st in Kiritimati
    expect(ofType(events, 'BillingPeriodStarted')[0]!.data).toMatchObject({ period: '2026-03', periodStart: '2026-02-28T10:00:00.000Z', periodEnd: '2026-03-31T10:00:00.000Z' });
  });

  it('grants a period allowance once however often the period is brought up to date (OpenMeter #1408)', () => {
    const given = history([
      ['2026-03-10T00:00:00.000Z', { type: 'Tick' }],
      ['2026-04-01T00:00:00.000Z', { type: 'Tick' }],
      ['2026-04-01T00:00:00.001Z', { type: 'Tick' }],
      ['2026-04-20T00:00:00.000Z', { type: 'Tick' }],
    ]);
    expect(ofType(given, 'CreditsGranted').map((event) => event.data.grantId)).toEqual(['plan:2026-03', 'plan:2026-04']);
    expect(accountBalance(open(spec.given(given).state))).toBe('5000');
  });

  it('expires what is left of the allowance at the period end and keeps what was consumed a moment before (LiteLLM #22013)', () => {
    const given = history([
      ['2026-03-10T00:00:00.000Z', { type: 'Tick' }],
      ['2026-03-31T23:59:59.999Z', consume('12.34', '10/1', '10/1')],
    ]);
    spec
      .given(given)
      .when(command('2026-04-01T00:00:01.000Z', { type: 'Tick' }))
      .then((events) => {
        expect(events.map((event) => event.type)).toEqual(['CreditsExpired', 'BillingPeriodStarted', 'CreditsGranted']);
        expect(ofType(events, 'CreditsExpired')[0]!.data).toEqual({ organizationId: ORG, grantId: 'plan:2026-03', credits: '3766', expiredAt: '2026-04-01T00:00:00.000Z' });
      });
  });
});

describe('billing account: plan changes', () => {
  const opened = history([['2026-03-01T08:00:00.000Z', { type: 'Tick' }]]);

  it('applies an upgrade at once and prorates fee and allowance exactly for the rest of the period', () => {
    spec
      .given(opened)
      .when(command('2026-03-10T15:00:00.000Z', { type: 'ChangePlan', planId: 'premium' }))
      .then((events) => {
        const [changed] = ofType(events, 'PlanChanged');
        // 22 of March's 31 days left, counting the 10th: (199 − 49) × 22 / 31 = 106.4516… → 106.45 USD;
        // (25000 − 5000) × 22 / 31 = 14193.548387096774193… credits, 12 places
        expect(changed!.data).toMatchObject({
          from: 'standard',
          to: 'premium',
          direction: 'upgrade',
          period: '2026-03',
          effectiveAt: '2026-03-10T15:00:00.000Z',
          proration: { remainingDays: 22, periodDays: 31, feeUsd: '106.45', credits: '14193.548387096774' },
        });
        expect(ofType(events, 'CreditsGranted')[0]!.data).toMatchObject({
          grantId: 'plan:2026-03:premium',
          kind: 'plan_allowance',
          amount: '14193.548387096774',
          expiresAt: '2026-04-01T00:00:00.000Z',
        });
      });
  });

  it('prorates by the days of the billing time zone: 07:00 UTC on March 2nd is still March 1st in Los Angeles', () => {
    const la = history([['2026-03-02T07:00:00.000Z', { type: 'Tick' }]], 'America/Los_Angeles');
    // 2026-03-02T07:00Z is 23:00 on March 1st in Los Angeles (PST): the whole month is left
    const [changed] = ofType(spec.given(la).when(command('2026-03-02T07:00:00.000Z', { type: 'ChangePlan', planId: 'enterprise' })).events(), 'PlanChanged');
    expect(changed!.data.proration).toEqual({ remainingDays: 31, periodDays: 31, feeUsd: '950.00', credits: '145000' });
  });

  it('schedules a downgrade for the next period start, applies it then, and grants the lower allowance', () => {
    const premium = history([
      ['2026-03-01T08:00:00.000Z', { type: 'Tick' }],
      ['2026-03-01T09:00:00.000Z', { type: 'ChangePlan', planId: 'premium' }],
    ]);
    spec
      .given(premium)
      .when(command('2026-03-15T00:00:00.000Z', { type: 'ChangePlan', planId: 'standard' }))
      .then([
        {
          type: 'PlanChangeScheduled',
          data: {
            organizationId: ORG,
            from: 'premium',
            to: 'standard',
            period: '2026-04',
            effectiveAt: '2026-04-01T00:00:00.000Z',
            scheduledBy: 'usr_owner',
            scheduledAt: '2026-03-15T00:00:00.000Z',
          },
        },
      ]);
    const scheduled = [...premium, ...spec.given(premium).when(command('2026-03-15T00:00:00.000Z', { type: 'ChangePlan', planId: 'standard' })).events()];
    expect(open(spec.given(scheduled).state).planId).toBe('premium');
    const rolled = spec.given(scheduled).when(command('2026-04-02T00:00:00.000Z', { type: 'Tick' })).events();
    expect(rolled.map((event) => event.type)).toEqual(['CreditsExpired', 'CreditsExpired', 'PlanChanged', 'BillingPeriodStarted', 'CreditsGranted']);
    expect(ofType(rolled, 'PlanChanged')[0]!.data).toMatchObject({ from: 'premium', to: 'standard', direction: 'downgrade', effectiveAt: '2026-04-01T00:00:00.000Z' });
    expect(ofType(rolled, 'CreditsGranted')[0]!.data).toMatchObject({ grantId: 'plan:2026-04', amount: '5000' });
  });

  it('cancels a scheduled downgrade, and refuses a cancel with nothing scheduled', () => {
    const scheduled = history([
      ['2026-03-01T08:00:00.000Z', { type: 'Tick' }],
      ['2026-03-01T09:00:00.000Z', { type: 'ChangePlan', planId: 'enterprise' }],
      ['2026-03-02T09:00:00.000Z', { type: 'ChangePlan', planId: 'standard' }],
    ]);
    spec
      .given(scheduled)
      .when(command('2026-03-03T00:00:00.000Z', { type: 'CancelPlanChange' }))
      .then([{ type: 'PlanChangeCancelled', data: { organizationId: ORG, to: 'standard', cancelledBy: 'usr_owner', cancelledAt: '2026-03-03T00:00:00.000Z' } }]);
    const cancelled = [...scheduled, ...spec.given(scheduled).when(command('2026-03-03T00:00:00.000Z', { type: 'CancelPlanChange' })).events()];
    const april = spec.given(cancelled).when(command('2026-04-01T01:00:00.000Z', { type: 'Tick' })).events();
    expect(ofType(april, 'PlanChanged')).toEqual([]);
    expect(ofType(april, 'BillingPeriodStarted')[0]!.data.planId).toBe('enterprise');
    spec.given(cancelled).when(command('2026-03-04T00:00:00.000Z', { type: 'CancelPlanChange' })).thenThrows(BillingError, { code: 'BILLING_NOTHING_SCHEDULED' });
  });

  it('refuses an unknown plan, naming the field', () => {
    spec.given(opened).when(command('2026-03-02T00:00:00.000Z', { type: 'ChangePlan', planId: 'gold' })).thenThrows(BillingError, { code: 'BILLING_UNKNOWN_PLAN', field: 'planId' });
  });
});

describe('billing account: the credit ledger', () => {
  const opened = history([['2026-03-01T00:00:00.000Z', { type: 'Tick' }]]);

  it('draws by priority, then earliest expiry, then oldest', () => {
    const given = history([
      ['2026-03-01T00:00:00.000Z', { type: 'Tick' }],
      ['2026-03-01T01:00:00.000Z', grantCredits('bought-1', '100')],
      ['2026-03-01T02:00:00.000Z', grantCredits('bought-2', '100')],
      ['2026-03-01T03:00:00.000Z', grantCredits('promo-late', '10', { kind: 'promotional', expiresAt: '2026-06-01T00:00:00.000Z' })],
      ['2026-03-01T04:00:00.000Z', grantCredits('promo-soon', '10', { kind: 'promotional', expiresAt: '2026-05-01T00:00:00.000Z' })],
    ]);
    // 5000 allowance (priority 20) + 220 granted; 51.25 USD = 5125 credits
    spec
      .given(given)
      .when(command('2026-03-02T00:00:00.000Z', consume('51.25', '5/1', '9/3', 4)))
      .then((events) => {
        expect(events).toHaveLength(1);
        expect(ofType(events, 'CreditsConsumed')[0]!.data).toEqual({
          organizationId: ORG,
          source: { first: '5/1', last: '9/3', events: 4 },
          usd: '51.25',
          creditsPerUsd: '100',
          credits: '5125',
          draws: [
            { grantId: 'promo-soon', credits: '10' },
            { grantId: 'promo-late', credits: '10' },
            { grantId: 'plan:2026-03', credits: '5000' },
            { grantId: 'bought-1', credits: '100' },
            { grantId: 'bought-2', credits: '5' },
          ],
          overdraft: '0',
          consumedAt: '2026-03-02T00:00:00.000Z',
        });
      });
  });

  it('consumes exactly: Σ credits = Σ usd × rate, with no rounding of tiny costs', () => {
    const costs = ['0.000002500000', '0.0000001', '1.23456789012345678', '0.3', '0.1'];
    let events = opened;
    costs.forEach((usd, index) => {
      events = [...events, ...spec.given(events).when(command('2026-03-02T00:00:00.000Z', consume(usd, `${index + 2}/0`, `${index + 2}/0`))).events()];
    });
    const consumed = ofType(events, 'CreditsConsumed');
    expect(sumAmounts(consumed.map((event) => event.data.credits))).toBe('163.457049012345678');
    expect(sumAmounts(consumed.map((event) => event.data.usd))).toBe(sumAmounts(costs));
    expect(accountBalance(open(spec.given(events).state))).toBe('4836.542950987654322');
  });

  it('counts a batch once: one at or before the last consumed position changes nothing', () => {
    const given = history([
      ['2026-03-01T00:00:00.000Z', { type: 'Tick' }],
      ['2026-03-01T01:00:00.000Z', consume('1', '7/1', '7/9', 3)],
    ]);
    spec.given(given).when(command('2026-03-01T02:00:00.000Z', consume('1', '7/1', '7/9', 3))).thenNothingHappened();
    spec.given(given).when(command('2026-03-01T02:00:00.000Z', consume('1', '7/9', '7/9'))).thenNothingHappened();
    spec.given(given).when(command('2026-03-01T02:00:00.000Z', consume('1', '7/10', '8/0'))).then((events) => expect(events.map((event) => event.type)).toEqual(['CreditsConsumed']));
  });

  it('records a batch per billing period of its calls, oldest first, each drawing on what the ones before left', () => {
    const body = consume('60', '3/0', '3/9', 10, [{ usagePeriod: '2026-03', usd: '35' }, { usagePeriod: '2026-01', usd: '25' }, { usagePeriod: '2026-02', usd: '0' }]);
    spec
      .given(opened)
      .when(command('2026-03-02T00:00:00.000Z', body))
      .then((events) => {
        const consumed = ofType(events, 'CreditsConsumed').map((event) => event.data);
        // the empty part records nothing; January's calls draw first
        expect(consumed.map((data) => [data.usagePeriod, data.usd, data.credits, data.draws, data.overdraft, data.source])).toEqual([
          ['2026-01', '25', '2500', [{ grantId: 'plan:2026-03', credits: '2500' }], '0', { first: '3/0', last: '3/9', events: 10 }],
          ['2026-03', '35', '3500', [{ grantId: 'plan:2026-03', credits: '2500' }], '1000', { first: '3/0', last: '3/9', events: 10 }],
        ]);
      });
    const after = spec.given([...opened, ...spec.given(opened).when(command('2026-03-02T00:00:00.000Z', body)).events()]);
    expect(accountBalance(open(after.state))).toBe('-1000');
    // the same batch again (a retry after the append): nothing twice
    after.when(command('2026-03-02T00:01:00.000Z', body)).thenNothingHappened();
  });

  it('refuses parts that do not add up to the batch', () => {
    expect(() => spec.given(opened).when(command('2026-03-02T00:00:00.000Z', consume('10', '3/0', '3/0', 1, [{ usagePeriod: '2026-03', usd: '9.99' }]))).events()).toThrow(/add up to 9.99, not 10/);
  });

  it('takes usage past every grant into the overdraft: the balance goes negative, never stays positive (OpenMeter #4846)', () => {
    spec
      .given(opened)
      .when(command('2026-03-02T00:00:00.000Z', consume('50.01', '3/0', '3/0')))
      .then((events) => {
        expect(ofType(events, 'CreditsConsumed')[0]!.data).toMatchObject({ credits: '5001', draws: [{ grantId: 'plan:2026-03', credits: '5000' }], overdraft: '1' });
        // Standard's overdraft limit is 0: one credit past it suspends
        expect(ofType(events, 'CreditsExhausted')[0]!.data).toEqual({ organizationId: ORG, balance: '-1', overdraftLimit: '0', exhaustedAt: '2026-03-02T00:00:00.000Z' });
      });
  });

  it('suspends once past the overdraft limit and restores on a top-up that pays the overdraft back', () => {
    const given = history([
      ['2026-03-01T00:00:00.000Z', { type: 'Tick' }],
      ['2026-03-01T00:00:00.000Z', { type: 'ConfigureBilling', overdraftLimit: '100' }],
      ['2026-03-02T00:00:00.000Z', consume('50.5', '3/0', '3/0')],
    ]);
    expect(ofType(given, 'CreditsExhausted')).toEqual([]);
    const past = spec.given(given).when(command('2026-03-02T01:00:00.000Z', consume('0.51', '4/0', '4/0'))).events();
    expect(past.map((event) => event.type)).toEqual(['CreditsConsumed', 'CreditsExhausted']);
    const suspended = [...given, ...past];
    // more usage while suspended is still consumed, and suspends nothing twice
    const more = spec.given(suspended).when(command('2026-03-02T02:00:00.000Z', consume('1', '5/0', '5/0'))).events();
    expect(more.map((event) => event.type)).toEqual(['CreditsConsumed']);
    const deeper = [...suspended, ...more];
    expect(accountBalance(open(spec.given(deeper).state))).toBe('-201');
    spec
      .given(deeper)
      .when(command('2026-03-02T03:00:00.000Z', grantCredits('top-up-1', '1000')))
      .then((events) => {
        expect(ofType(events, 'CreditsGranted')[0]!.data).toMatchObject({ amount: '1000', repaid: '201' });
        expect(ofType(events, 'CreditsRestored')[0]!.data).toEqual({ organizationId: ORG, balance: '799', restoredAt: '2026-03-02T03:00:00.000Z' });
      });
  });

  it('restores when the limit is raised past the debt', () => {
    const suspended = history([
      ['2026-03-01T00:00:00.000Z', { type: 'Tick' }],
      ['2026-03-02T00:00:00.000Z', consume('51', '3/0', '3/0')],
    ]);
    expect(open(spec.given(suspended).state).suspended).toBe(true);
    spec
      .given(suspended)
      .when(command('2026-03-02T01:00:00.000Z', { type: 'ConfigureBilling', overdraftLimit: '100' }))
      .then((events) => expect(events.map((event) => event.type)).toEqual(['BillingAccountConfigured', 'CreditsRestored']));
  });

  it('raises a low balance once per crossing of each threshold, re-armed by a top-up', () => {
    const given = history([
      ['2026-03-01T00:00:00.000Z', { type: 'Tick' }],
      ['2026-03-01T00:00:00.000Z', { type: 'ConfigureBilling', lowBalanceThresholds: ['100', '1000'] }],
    ]);
    const first = spec.given(given).when(command('2026-03-02T00:00:00.000Z', consume('40', '3/0', '3/0'))).events();
    expect(ofType(first, 'LowCreditBalanceReached').map((event) => event.data)).toEqual([{ organizationId: ORG, threshold: '1000', balance: '1000', reachedAt: '2026-03-02T00:00:00.000Z' }]);
    const h1 = [...given, ...first];
    const second = spec.given(h1).when(command('2026-03-02T01:00:00.000Z', consume('1', '4/0', '4/0'))).events();
    expect(ofType(second, 'LowCreditBalanceReached')).toEqual([]);
    const h2 = [...h1, ...second];
    const third = spec.given(h2).when(command('2026-03-02T02:00:00.000Z', consume('8.5', '5/0', '5/0'))).events();
    expect(ofType(third, 'LowCreditBalanceReached').map((event) => event.data.threshold)).toEqual(['100']);
    const h3 = [...h2, ...third];
    const topUp = spec.given(h3).when(command('2026-03-02T03:00:00.000Z', grantCredits('t1', '2000'))).events();
    expect(ofType(topUp, 'LowCreditBalanceReached')).toEqual([]);
    const h4 = [...h3, ...topUp];
    expect(open(spec.given(h4).state).armed).toEqual(['1000', '100']);
    const again = spec.given(h4).when(command('2026-03-02T04:00:00.000Z', consume('10.5', '6/0', '6/0'))).events();
    expect(ofType(again, 'LowCreditBalanceReached').map((event) => event.data.threshold)).toEqual(['1000']);
  });

  it('refunds a negative batch (costs corrected down): the overdraft first, then the grants last drawn', () => {
    const given = history([
      ['2026-03-01T00:00:00.000Z', { type: 'Tick' }],
      ['2026-03-01T00:00:00.000Z', { type: 'ConfigureBilling', overdraftLimit: '1000' }],
      ['2026-03-01T01:00:00.000Z', grantCredits('bought', '100')],
      ['2026-03-02T00:00:00.000Z', consume('51.5', '3/0', '3/0')],
    ]);
    expect(ofType(given, 'CreditsConsumed')[0]!.data).toMatchObject({ draws: [{ grantId: 'plan:2026-03', credits: '5000' }, { grantId: 'bought', credits: '100' }], overdraft: '50' });
    spec
      .given(given)
      .when(command('2026-03-03T00:00:00.000Z', consume('-1.2', '4/0', '4/0')))
      .then((events) => {
        expect(ofType(events, 'CreditsConsumed')[0]!.data).toMatchObject({ credits: '-120', draws: [{ grantId: 'bought', credits: '-70' }], overdraft: '-50' });
      });
  });

  it('expires a grant at its expiry with what is left, and never draws on it after', () => {
    const given = history([
      ['2026-03-01T00:00:00.000Z', { type: 'Tick' }],
      ['2026-03-01T01:00:00.000Z', grantCredits('promo', '300', { kind: 'promotional', expiresAt: '2026-03-05T00:00:00.000Z' })],
      ['2026-03-02T00:00:00.000Z', consume('1', '3/0', '3/0')],
    ]);
    spec
      .given(given)
      .when(command('2026-03-06T00:00:00.000Z', consume('1', '4/0', '4/0')))
      .then((events) => {
        expect(events[0]).toEqual({ type: 'CreditsExpired', data: { organizationId: ORG, grantId: 'promo', credits: '200', expiredAt: '2026-03-05T00:00:00.000Z' } });
        expect(ofType(events, 'CreditsConsumed')[0]!.data.draws).toEqual([{ grantId: 'plan:2026-03', credits: '100' }]);
      });
  });

  it('takes a grant id once: the same grant again changes nothing, another content is refused', () => {
    const given = history([
      ['2026-03-01T00:00:00.000Z', { type: 'Tick' }],
      ['2026-03-01T01:00:00.000Z', grantCredits('g1', '10')],
    ]);
    spec.given(given).when(command('2026-03-01T02:00:00.000Z', grantCredits('g1', '10.0'))).thenNothingHappened();
    spec.given(given).when(command('2026-03-01T02:00:00.000Z', grantCredits('g1', '11'))).thenThrows(BillingError, { code: 'BILLING_ID_TAKEN', field: 'grantId' });
    spec
      .given(given)
      .when(command('2026-03-01T02:00:00.000Z', grantCredits('g2', '1', { expiresAt: '2026-03-01T01:59:59.000Z' })))
      .thenThrows(BillingError, { code: 'BILLING_EXPIRY_IN_PAST', field: 'expiresAt' });
  });

  it('debits a manual adjustment in draw order, once per id', () => {
    const given = history([['2026-03-01T00:00:00.000Z', { type: 'Tick' }]]);
    const adjust: CommandBody = { type: 'AdjustCredits', adjustmentId: 'fix-1', credits: '250', reason: 'granted twice by mistake' };
    const events = spec.given(given).when(command('2026-03-01T01:00:00.000Z', adjust)).events();
    expect(ofType(events, 'CreditsAdjusted')[0]!.data).toMatchObject({ credits: '250', draws: [{ grantId: 'plan:2026-03', credits: '250' }], overdraft: '0' });
    spec.given([...given, ...events]).when(command('2026-03-01T02:00:00.000Z', adjust)).thenNothingHappened();
  });
});

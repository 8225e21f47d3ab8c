import { DEFAULT_PLAN_CATALOGUE, creditsForUsd, planCatalogueFromEnv, usdForCredits } from './plan-catalogue';

describe('the plan catalogue', () => {
  it('defaults to Standard, Premium and Enterprise', () => {
    expect(planCatalogueFromEnv({})).toBe(DEFAULT_PLAN_CATALOGUE);
    expect(DEFAULT_PLAN_CATALOGUE.plans.map((plan) => [plan.id, plan.monthlyFeeUsd, plan.creditsPerPeriod, plan.creditsPerUsd, plan.overdraft.limit])).toEqual([
      ['standard', '49', '5000', '100', '0'],
      ['premium', '199', '25000', '100', '5000'],
      ['enterprise', '999', '150000', '100', '50000'],
    ]);
  });

  it('takes a catalogue from STEWARD_BILLING_PLANS and refuses a broken one naming the field', () => {
    const plans = { defaultPlanId: 'team', plans: [{ id: 'team', name: 'Team', rank: 1, monthlyFeeUsd: '10.50', creditsPerPeriod: '0', creditsPerUsd: '250', overdraft: { limit: '100' } }] };
    expect(planCatalogueFromEnv({ STEWARD_BILLING_PLANS: JSON.stringify(plans) }).plans[0]).toMatchObject({ id: 'team', monthlyFeeUsd: '10.5', creditsPerUsd: '250' });
    const broken = (change: Record<string, unknown>) => JSON.stringify({ ...plans, plans: [{ ...plans.plans[0], ...change }] });
    expect(() => planCatalogueFromEnv({ STEWARD_BILLING_PLANS: broken({ creditsPerUsd: '0' }) })).toThrow(/plans\[0\]\.creditsPerUsd/);
    expect(() => planCatalogueFromEnv({ STEWARD_BILLING_PLANS: broken({ monthlyFeeUsd: 10 }) })).toThrow(/plans\[0\]\.monthlyFeeUsd/);
    expect(() => planCatalogueFromEnv({ STEWARD_BILLING_PLANS: broken({ id: 'Team' }) })).toThrow(/plans\[0\]\.id/);
    expect(() => planCatalogueFromEnv({ STEWARD_BILLING_PLANS: JSON.stringify({ ...plans, defaultPlanId: 'gold' }) })).toThrow(/defaultPlanId/);
    expect(() => planCatalogueFromEnv({ STEWARD_BILLING_PLANS: '{' })).toThrow(/not JSON/);
  });

  it('converts exactly: credits = USD × rate; USD of credits to 12 places', () => {
    expect(creditsForUsd('0.000000333333333333', '100')).toBe('0.0000333333333333');
    expect(creditsForUsd('0.1', '3')).toBe('0.3');
    expect(usdForCredits('100', '3')).toBe('33.333333333333');
  });
});

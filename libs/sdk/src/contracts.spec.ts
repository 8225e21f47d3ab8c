/**
 * The package's copy of the contracts (contracts.ts) against libs/contracts, which the services
 * validate with: the same usage event fields (checked by the compiler and by the schema), the same
 * enumerations, the same answers for ids and decimals. A change to one side fails here.
 */
import {
  CLIENT_ID_MAX as CONTRACTS_CLIENT_ID_MAX,
  DecimalStringSchema,
  JOB_FINISH_STATUSES as CONTRACTS_JOB_FINISH_STATUSES,
  JOB_STEP_TYPES as CONTRACTS_JOB_STEP_TYPES,
  TOOL_STATUSES as CONTRACTS_TOOL_STATUSES,
  USAGE_STATUSES as CONTRACTS_USAGE_STATUSES,
  UsageEventSchema,
  isClientId as contractsIsClientId,
  type UsageEventInput as ContractsUsageEventInput,
} from '@steward/contracts';
import {
  CLIENT_ID_MAX,
  JOB_FINISH_STATUSES,
  JOB_STEP_TYPES,
  TOOL_STATUSES,
  USAGE_STATUSES,
  isClientId,
  isDecimalString,
  type UsageEventInput,
} from './contracts.js';

/** True when A and B are the same type (not only mutually assignable). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** Each key set equal, and each field's type: the compiler refuses `true` here when the copy drifts. */
const sameKeys: Same<keyof UsageEventInput, keyof ContractsUsageEventInput> = true;
const sameFields: Same<Required<UsageEventInput>, Required<ContractsUsageEventInput>> = true;

describe("the SDK's copy of the contracts", () => {
  it('has the usage event of libs/contracts, field for field (type-checked above)', () => {
    expect([sameKeys, sameFields]).toEqual([true, true]);
  });

  it('builds a usage event with every field that UsageEventSchema (strict) accepts as it is', () => {
    const every: Required<UsageEventInput> = {
      id: 'call-1',
      source: 'support-agent',
      time: '2026-12-01T10:00:00Z',
      agent: 'triage',
      provider: 'openai',
      model: 'gpt-4o',
      inputTokens: 1200,
      outputTokens: 300,
      cacheReadInputTokens: 200,
      cacheCreationInputTokens: 100,
      reasoningOutputTokens: 50,
      responseTimeMs: 640,
      status: 'error',
      errorType: 'rate_limited',
      jobId: 'job-1',
      budgetReservationId: 'res_01',
    };
    expect(Object.keys(every).sort()).toEqual(Object.keys(UsageEventSchema.shape).sort());
    const parsed = UsageEventSchema.safeParse(every);
    expect(parsed.error?.issues ?? []).toEqual([]);
    expect(parsed.data).toEqual(every);
  });

  it('has the same enumerations', () => {
    expect({ USAGE_STATUSES, JOB_FINISH_STATUSES, JOB_STEP_TYPES, TOOL_STATUSES }).toEqual({
      USAGE_STATUSES: CONTRACTS_USAGE_STATUSES,
      JOB_FINISH_STATUSES: CONTRACTS_JOB_FINISH_STATUSES,
      JOB_STEP_TYPES: CONTRACTS_JOB_STEP_TYPES,
      TOOL_STATUSES: CONTRACTS_TOOL_STATUSES,
    });
  });

  it.each(['job-1', 'a:b.c_d-e', '_x', '-x', '.x', '.', '..', 'a/b', 'a b', '', 'é', 'x'.repeat(200), 'x'.repeat(201)])('answers the same for the client id %j', (id) => {
    expect(CLIENT_ID_MAX).toBe(CONTRACTS_CLIENT_ID_MAX);
    expect(isClientId(id)).toBe(contractsIsClientId(id));
  });

  it.each(['0', '0.0125', '-1.5', '12', '1.', '.5', '01', '1e3', ' 1', '1,5', '', '+1', `1.${'0'.repeat(57)}`, `1.${'0'.repeat(58)}`])(
    'answers the same for the decimal %j',
    (text) => {
      expect(isDecimalString(text)).toBe(DecimalStringSchema.safeParse(text).success);
    },
  );
});

import {
  ClientIdSchema,
  InstantSchema,
  JsonValueSchema,
  MAX_INSTANT,
  MonthSchema,
  SearchTermSchema,
  jsonProblem,
  nameText,
  priceText,
  text,
} from './fields';
import { JobStepInputSchema, RecordJobStepsPayload } from './jobs/job-commands';
import { JobStarted, JobStepRecorded } from './jobs/job-events';
import { UnitPricesSchema, UsageEventSchema } from './usage/usage-fields';
import { safeParseUsageEvent } from './usage/usage-event.fast-parse';

function nested(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let level = 0; level < depth; level++) value = { a: value };
  return value;
}

describe('the validation vocabulary', () => {
  describe('strings', () => {
    it('refuse NUL and lone surrogates, take the rest of Unicode (zero-width, right-to-left, emoji)', () => {
      const schema = text({ max: 50 });
      expect(schema.safeParse('a\u0000b').success).toBe(false);
      expect(schema.safeParse('\ud800').success).toBe(false);
      expect(schema.safeParse('x\udc00y').success).toBe(false);
      expect(schema.safeParse('a\u200bb \u202eevil \u05e9\u05dc\u05d5\u05dd 😀').success).toBe(true);
      expect(schema.safeParse('x'.repeat(51)).success).toBe(false);
    });

    it('names the problem in the issue', () => {
      const result = nameText().safeParse('agent\u0000');
      expect(result.error?.issues.map((issue) => issue.message)).toEqual(['must not contain the NUL character (U+0000)']);
      expect(nameText().safeParse('two\nlines').success).toBe(false);
      expect(nameText().parse('  trimmed  ')).toBe('trimmed');
      expect(SearchTermSchema.safeParse('%\u0000').success).toBe(false);
    });
  });

  describe('instants', () => {
    it('take 1970-01-01 .. 9999-12-30 and refuse year 0000, year 9999 past the margin, and impossible dates', () => {
      expect(InstantSchema.safeParse('1970-01-01T00:00:00Z').success).toBe(true);
      expect(InstantSchema.safeParse(MAX_INSTANT).success).toBe(true);
      expect(InstantSchema.safeParse('2026-03-01T12:00:00+02:00').success).toBe(true);
      for (const refused of ['0000-01-01T00:00:00Z', '1969-12-31T23:59:59Z', '9999-12-31T00:00:00Z', '9999-12-30T20:00:00-05:00', '2021-02-30T00:00:00Z', 'next tuesday']) {
        expect({ refused, ok: InstantSchema.safeParse(refused).success }).toEqual({ refused, ok: false });
      }
    });

    it('months whose days are all storable', () => {
      expect(MonthSchema.safeParse('2026-02').success).toBe(true);
      expect(MonthSchema.safeParse('0000-01').success).toBe(false);
      expect(MonthSchema.safeParse('9999-12').success).toBe(false);
      expect(MonthSchema.safeParse('9999-11').success).toBe(true);
    });
  });

  describe('client-supplied ids', () => {
    it('one pattern: never ".", ".." or a path', () => {
      for (const ok of ['job-1', 'run_2.3', 'span:ab12:call', '3f0b8e52-5d0c-4c59-9a56-1b6f1f3c2a10']) expect({ ok, valid: ClientIdSchema.safeParse(ok).success }).toEqual({ ok, valid: true });
      for (const bad of ['.', '..', '.hidden', '../etc', 'a/b', 'a\\b', 'with space', '', 'x'.repeat(201), 'nul\u0000']) {
        expect({ bad, valid: ClientIdSchema.safeParse(bad).success }).toEqual({ bad, valid: false });
      }
    });
  });

  describe('prices', () => {
    it('exact decimals up to 1,000 USD per token', () => {
      const price = priceText();
      for (const ok of ['0', '0.0000025', '1000', '1000.000', '999.999999999999999999999999'.slice(0, 28)]) expect({ ok, valid: price.safeParse(ok).success }).toEqual({ ok, valid: true });
      for (const bad of ['1000.0001', '1001', '1' + '0'.repeat(59), '-1', '1e3', '0.' + '1'.repeat(25), ' 1']) expect({ bad, valid: price.safeParse(bad).success }).toEqual({ bad, valid: false });
      expect(UnitPricesSchema.safeParse({ input: '1' + '0'.repeat(59), output: '0' }).error?.issues[0]?.path).toEqual(['input']);
    });

    it('name the unit of the bound they are refused for', () => {
      expect(priceText().safeParse('1001').error?.issues[0]?.message).toBe('at most 1000 USD per token');
      // a price per 1M tokens is refused in its own unit, not per token
      expect(priceText(1e9, 18, 'USD per 1M tokens').safeParse('1000000001').error?.issues[0]?.message).toBe('at most 1000000000 USD per 1M tokens');
    });
  });

  describe('JSON values', () => {
    it('refuse a value nested 5,000 deep without overflowing the stack, naming where', () => {
      const result = JsonValueSchema.safeParse(nested(5000));
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.message).toBe('nested at most 32 deep');
      expect(result.error?.issues[0]?.path.length).toBe(32);
      expect(JsonValueSchema.safeParse(nested(20)).success).toBe(true);
    });

    it('refuse NUL in a string or a key, and non-finite numbers', () => {
      expect(jsonProblem({ a: ['ok', 'bad\u0000'] }, { maxDepth: 8, maxNodes: 100 })).toEqual({ path: ['a', 1], message: 'must not contain the NUL character (U+0000)' });
      expect(jsonProblem({ ['k\ud800']: 1 }, { maxDepth: 8, maxNodes: 100 })?.path).toEqual(['k\ud800']);
      expect(jsonProblem([Infinity], { maxDepth: 8, maxNodes: 100 })?.message).toBe('must be a finite number');
      expect(jsonProblem(Array.from({ length: 200 }, () => 1), { maxDepth: 8, maxNodes: 100 })?.message).toBe('at most 100 values');
    });

    it('job step parameters nested 5,000 deep are an issue at steps.0.parameters…, not a crash', () => {
      const step = { stepId: 's1', type: 'tool_call', parameters: nested(5000) };
      const result = RecordJobStepsPayload.safeParse({ workspaceId: 'ws-1', jobId: 'job-1', steps: [step] });
      expect(result.error?.issues[0]?.path.slice(0, 3)).toEqual(['steps', 0, 'parameters']);
      expect(JobStepInputSchema.safeParse({ stepId: '..', type: 'system' }).success).toBe(false);
    });
  });

  describe('usage events, on the fast path and through the schema alike', () => {
    const base = { id: 'call-1', source: 'agent-sdk', time: '2026-03-01T12:00:00Z', provider: 'openai', model: 'gpt-4o' };
    it.each([
      ['agent', { agent: 'bot\u0000' }],
      ['agent', { agent: '\ud800' }],
      ['source', { source: 'src\u0000' }],
      ['id', { id: 'nul\u0000' }],
      ['id', { id: '..' }],
      ['time', { time: '0000-01-01T00:00:00Z' }],
      ['time', { time: '9999-12-31T23:00:00Z' }],
    ])('refuses a bad %s', (field, change) => {
      const fast = safeParseUsageEvent({ ...base, ...change });
      const slow = UsageEventSchema.safeParse({ ...base, ...change });
      expect(fast.success).toBe(false);
      expect(slow.success).toBe(false);
      expect(fast.error?.issues[0]?.path).toEqual([field]);
    });
  });

  describe('events as published stay readable; what no store holds does not', () => {
    const step = { workspaceId: 'ws-1', jobId: 'job.1', stepId: 'step 1', sequence: 1, type: 'system', at: '2026-03-01T12:00:00Z' };
    it('a step id with a space and an agent name with a tab, taken before the vocabulary, still validate', () => {
      expect(JobStepRecorded.schema.safeParse(step).success).toBe(true);
      expect(JobStarted.schema.safeParse({ workspaceId: 'ws-1', jobId: '..', agent: 'a\tb', startedAt: '2026-03-01T12:00:00Z', source: 'api' }).success).toBe(true);
      expect(JobStepRecorded.schema.safeParse({ ...step, type: 'tool_call', parameters: nested(100) }).success).toBe(true);
    });
    it('a NUL, a lone surrogate or a year-0000 instant does not', () => {
      expect(JobStepRecorded.schema.safeParse({ ...step, stepId: 'a\u0000' }).success).toBe(false);
      expect(JobStepRecorded.schema.safeParse({ ...step, content: '\ud800' }).success).toBe(false);
      expect(JobStarted.schema.safeParse({ workspaceId: 'ws-1', jobId: 'j', agent: 'a', startedAt: '0000-01-01T00:00:00Z', source: 'api' }).success).toBe(false);
    });
  });
});

import { OtlpTraceRequestSchema } from './otlp-request.schema';

const request = (traceId: string, spanId: string) => ({
  resourceSpans: [{ scopeSpans: [{ spans: [{ traceId, spanId, name: 'chat', startTimeUnixNano: '1', endTimeUnixNano: '2' }] }] }],
});

const fieldsOf = (value: unknown): string[] => OtlpTraceRequestSchema.safeParse(value).error?.issues.map((issue) => issue.path.join('.')) ?? [];

describe('OtlpTraceRequestSchema', () => {
  it('takes trace and span ids of hex digits, either case', () => {
    expect(fieldsOf(request('0123456789abcdef0123456789ABCDEF', '000000000000000a'))).toEqual([]);
  });

  it('refuses all-zero trace and span ids (invalid in OTLP; span ids are usage ids, so calls sent with them would be counted once)', () => {
    expect(fieldsOf(request('0'.repeat(32), '0123456789abcdef'))).toEqual(['resourceSpans.0.scopeSpans.0.spans.0.traceId']);
    expect(fieldsOf(request('0123456789abcdef0123456789abcdef', '0'.repeat(16)))).toEqual(['resourceSpans.0.scopeSpans.0.spans.0.spanId']);
  });

  it('still refuses ids that are not hex of the right length', () => {
    expect(fieldsOf(request('zz23456789abcdef0123456789abcdef', '0123456789abcde'))).toEqual([
      'resourceSpans.0.scopeSpans.0.spans.0.traceId',
      'resourceSpans.0.scopeSpans.0.spans.0.spanId',
    ]);
  });
});

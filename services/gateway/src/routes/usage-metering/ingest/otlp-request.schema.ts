import { z } from 'zod';

/*
 * OTLP/JSON ExportTraceServiceRequest (protobuf requests are decoded into the
 * same shape first). The top level is strict, as every Steward body; nested
 * OTLP objects drop fields they do not know (the protocol adds fields over time
 * and its receivers must ignore them).
 */

const Hex = (length: number) => z.string().regex(new RegExp(`^[0-9a-fA-F]{${length}}$`), `${length} hex digits`);
/**
 * A trace or span id: all zeros is OTLP's invalid id. Span ids are the usage events' ids, so two calls
 * sent with it would be counted as one.
 */
const SpanHex = (length: number) => Hex(length).refine((value) => /[1-9a-fA-F]/.test(value), 'an all-zero id is invalid (OTLP)');
/** int64 / fixed64 in OTLP/JSON: a decimal string or a number. */
const Int64 = z.union([z.string().regex(/^-?\d{1,20}$/), z.number().int()]);

export const AnyValueSchema = z.object({
  stringValue: z.string().optional(),
  boolValue: z.boolean().optional(),
  intValue: Int64.optional(),
  doubleValue: z.union([z.number(), z.string()]).optional(),
  arrayValue: z.object({ values: z.array(z.unknown()).optional() }).optional(),
  kvlistValue: z.object({ values: z.array(z.unknown()).optional() }).optional(),
  bytesValue: z.string().optional(),
});
export type OtlpAnyValue = z.infer<typeof AnyValueSchema>;

export const KeyValueSchema = z.object({ key: z.string(), value: AnyValueSchema.optional() });
export type OtlpKeyValue = z.infer<typeof KeyValueSchema>;

const Attributes = z.array(KeyValueSchema).optional();

export const OtlpEventSchema = z.object({ timeUnixNano: Int64.optional(), name: z.string().optional(), attributes: Attributes });

export const OtlpSpanSchema = z.object({
  traceId: SpanHex(32),
  spanId: SpanHex(16),
  parentSpanId: z.union([Hex(16), z.literal('')]).optional(),
  traceState: z.string().optional(),
  name: z.string().optional(),
  kind: z.union([z.number().int(), z.string()]).optional(),
  startTimeUnixNano: Int64,
  endTimeUnixNano: Int64,
  attributes: Attributes,
  events: z.array(OtlpEventSchema).optional(),
  status: z.object({ code: z.union([z.number().int(), z.string()]).optional(), message: z.string().optional() }).optional(),
});
export type OtlpSpan = z.infer<typeof OtlpSpanSchema>;

export const OtlpTraceRequestSchema = z.strictObject({
  resourceSpans: z
    .array(
      z.object({
        resource: z.object({ attributes: Attributes }).optional(),
        scopeSpans: z.array(z.object({ scope: z.object({ name: z.string().optional(), version: z.string().optional() }).optional(), spans: z.array(OtlpSpanSchema).optional() })).optional(),
        schemaUrl: z.string().optional(),
      }),
    )
    .optional(),
});
export type OtlpTraceRequest = z.infer<typeof OtlpTraceRequestSchema>;

export const OtlpTraceResponseSchema = z.object({
  partialSuccess: z.object({ rejectedSpans: z.number().int(), errorMessage: z.string() }).optional(),
});

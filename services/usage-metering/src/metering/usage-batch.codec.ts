import { z } from 'zod';
import { MAX_USAGE_BATCH, UsageIngestBatchSchema, safeParseUsageEvent, safeParseUsageIngestBatch, type UsageIngestBatch } from '@steward/contracts';
import { MeteringError, MeteringErrorCode } from './metering.error';

const MAX_ISSUES_IN_REASON = 5;

/** A member of a batch its schema refuses: where it was in the message, why, and the member as it was sent. */
export interface InvalidMember {
  readonly index: number;
  readonly reason: string;
  readonly event: unknown;
}

/**
 * A decoded batch: the valid events, plus the members the schema refused (a NUL or a lone surrogate in a
 * text, an instant out of range, …), which are dead-lettered on their own while the rest is recorded.
 */
export type DecodedUsageBatch = UsageIngestBatch & { readonly invalid?: readonly InvalidMember[] };

/** The batch around its events, the events judged one by one. */
const BatchEnvelopeSchema = UsageIngestBatchSchema.extend({ events: z.array(z.unknown()).min(1).max(MAX_USAGE_BATCH) });

function describe(issues: readonly z.core.$ZodIssue[]): string {
  const named = issues.slice(0, MAX_ISSUES_IN_REASON).map((issue) => `${issue.path.join('.') || '(message)'}: ${issue.message}`);
  const more = issues.length > MAX_ISSUES_IN_REASON ? `; and ${issues.length - MAX_ISSUES_IN_REASON} more` : '';
  return `${named.join('; ')}${more}`;
}

/**
 * An ingest message → a validated usage batch (defaults applied, provider lower-cased). When only some of
 * its events are invalid, the valid ones come back with the others in `invalid`. Anything else (not JSON,
 * a bad envelope, no valid event at all) throws MeteringError(InvalidBatch) whose message names the fields
 * at fault: the dead letter's reason.
 */
export function decodeUsageBatch(data: Uint8Array): DecodedUsageBatch {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
  } catch (error) {
    throw new MeteringError(MeteringErrorCode.InvalidBatch, `not JSON: ${(error as Error).message}`);
  }
  const parsed = safeParseUsageIngestBatch(json); // plainly valid events skip zod; an invalid one gets the schema's errors
  if (parsed.success) return parsed.data;
  const envelope = BatchEnvelopeSchema.safeParse(json);
  if (envelope.success) {
    const events: UsageIngestBatch['events'] = [];
    const invalid: InvalidMember[] = [];
    envelope.data.events.forEach((event, index) => {
      const member = safeParseUsageEvent(event);
      if (member.success) events.push(member.data);
      else invalid.push({ index, reason: describe(member.error.issues), event });
    });
    if (events.length > 0) return { ...envelope.data, events, invalid };
  }
  const issues = parsed.error.issues;
  throw new MeteringError(MeteringErrorCode.InvalidBatch, `not a usage batch: ${describe(issues)}`, { issues: issues.length });
}

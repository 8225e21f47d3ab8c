import { safeParseUsageIngestBatch, type UsageIngestBatch } from '@steward/contracts';
import { MeteringError, MeteringErrorCode } from './metering.error';

const MAX_ISSUES_IN_REASON = 5;

/**
 * An ingest message → a validated usage batch (defaults applied, provider lower-cased). Anything else
 * throws MeteringError(InvalidBatch) whose message names the fields at fault: the dead letter's reason.
 */
export function decodeUsageBatch(data: Uint8Array): UsageIngestBatch {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
  } catch (error) {
    throw new MeteringError(MeteringErrorCode.InvalidBatch, `not JSON: ${(error as Error).message}`);
  }
  const parsed = safeParseUsageIngestBatch(json); // plainly valid events skip zod; an invalid one gets the schema's errors
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues;
  const named = issues.slice(0, MAX_ISSUES_IN_REASON).map((issue) => `${issue.path.join('.') || '(message)'}: ${issue.message}`);
  const more = issues.length > MAX_ISSUES_IN_REASON ? `; and ${issues.length - MAX_ISSUES_IN_REASON} more` : '';
  throw new MeteringError(MeteringErrorCode.InvalidBatch, `not a usage batch: ${named.join('; ')}${more}`, {
    issues: issues.length,
  });
}

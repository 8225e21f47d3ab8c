import { hash } from 'node:crypto';
import { InstantSchema, type JobStatus } from '@steward/contracts';

export interface JobListFilters {
  readonly agent?: string;
  readonly status?: JobStatus;
  /** Jobs started at or after. */
  readonly from?: string;
  /** Jobs started before. */
  readonly to?: string;
}

/**
 * Where the next page of a job list starts: after the job `jobId` started at
 * `startedAt` (full microsecond precision, so no job is skipped or repeated),
 * with `offset` jobs of the list before it. Bound to the filters it was issued for.
 */
export interface JobCursor {
  readonly startedAt: string;
  readonly jobId: string;
  readonly offset: number;
  readonly filters: string;
}

/** The filters a cursor is bound to, as a short fingerprint. */
export function filtersKey(filters: JobListFilters): string {
  const canonical = JSON.stringify([filters.agent ?? null, filters.status ?? null, filters.from ?? null, filters.to ?? null]);
  return hash('sha256', canonical, 'base64url').slice(0, 16);
}

/** Opaque to clients: base64url of a small JSON array. */
export function encodeJobCursor(cursor: JobCursor): string {
  return Buffer.from(JSON.stringify([1, cursor.startedAt, cursor.jobId, cursor.offset, cursor.filters]), 'utf8').toString('base64url');
}

const STARTED_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/** The cursor a page answered, or undefined when the text is not one. */
export function decodeJobCursor(text: string): JobCursor | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== 5 || parsed[0] !== 1) return undefined;
  const [, startedAt, jobId, offset, filters] = parsed as unknown[];
  // a crafted time (year 0000, February 30) would reach PostgreSQL and fail there: only an instant a job can hold
  if (typeof startedAt !== 'string' || !STARTED_AT.test(startedAt) || !InstantSchema.safeParse(startedAt).success) return undefined;
  if (typeof jobId !== 'string' || jobId.length === 0 || jobId.length > 200) return undefined;
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 1) return undefined;
  if (typeof filters !== 'string' || filters.length > 64) return undefined;
  return { startedAt, jobId, offset, filters };
}

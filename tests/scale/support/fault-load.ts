/**
 * What the fault suites share: a writer that retries a request until the
 * platform accepts it (as a well-behaved agent does: same Idempotency-Key,
 * same body, honouring Retry-After), keeping every answer it got on the way;
 * and the recovery figures measured around a kill.
 */
import { appendFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { waitFor } from '@steward/testing';
import type pg from 'pg';

export type Outcome = number | 'reset' | 'timeout';

export interface Attempt {
  readonly kind: string;
  readonly outcome: Outcome;
  /** performance.now() when the attempt was sent and when it ended. */
  readonly sentAt: number;
  readonly endedAt: number;
  /** The answer's Retry-After header (503 / 429 / 409 in progress). */
  readonly retryAfter: string | null;
  /** The problem's title of a 4xx/5xx. */
  readonly title: string | undefined;
}

export interface Accepted<T> {
  readonly status: number;
  readonly body: T;
  readonly sentAt: number;
  readonly endedAt: number;
}

export interface WriterOptions {
  /** Where requests go (the round-robin, or one gateway). */
  readonly url: string;
  readonly token: string;
  /** An attempt that takes longer than this counts as a hang ('timeout'). Default 20 s. */
  readonly attemptTimeoutMs?: number;
  /** Give up on one request after this long. Default 120 s. */
  readonly giveUpMs?: number;
}

/** A 409 that means "the first request with this key is still running": worth retrying. */
const IN_PROGRESS = 'Request In Progress';

export class RetryingWriter {
  readonly attempts: Attempt[] = [];
  /** Every request accepted: when its first attempt was sent and when the accepting answer came. */
  readonly requests: Array<{ readonly kind: string; readonly firstSentAt: number; readonly acceptedAt: number }> = [];
  /** Answers the platform should never give (a 500, a 4xx other than the retryable ones). */
  readonly unexpected: string[] = [];

  constructor(private readonly options: WriterOptions) {}

  /** Sends until a 2xx. 503, 429, 409-in-progress, a cut connection and a hang are retried. */
  async write<T>(kind: string, method: string, path: string, body: unknown, idempotencyKey: string): Promise<Accepted<T>> {
    const firstSentAt = performance.now();
    const deadline = firstSentAt + (this.options.giveUpMs ?? 120_000);
    for (;;) {
      const sentAt = performance.now();
      let outcome: Outcome;
      let retryAfter: string | null = null;
      let title: string | undefined;
      let parsed: unknown;
      try {
        const response = await fetch(`${this.options.url}${path}`, {
          method,
          headers: { authorization: `Bearer ${this.options.token}`, 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(this.options.attemptTimeoutMs ?? 20_000),
        });
        const text = await response.text();
        outcome = response.status;
        retryAfter = response.headers.get('retry-after');
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = text;
        }
        if (response.status >= 400) title = (parsed as { title?: string } | undefined)?.title;
      } catch (error) {
        outcome = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError') ? 'timeout' : 'reset';
      }
      const endedAt = performance.now();
      this.attempts.push({ kind, outcome, sentAt, endedAt, retryAfter, title });
      if (typeof outcome === 'number' && outcome >= 200 && outcome < 300) {
        this.requests.push({ kind, firstSentAt, acceptedAt: endedAt });
        return { status: outcome, body: parsed as T, sentAt, endedAt };
      }
      const retryable = outcome === 'reset' || outcome === 'timeout' || outcome === 503 || outcome === 429 || (outcome === 409 && title === IN_PROGRESS);
      if (!retryable) {
        this.unexpected.push(`${kind} ${method} ${path}: ${outcome} ${typeof parsed === 'string' ? parsed.slice(0, 300) : JSON.stringify(parsed).slice(0, 300)}`);
        throw new Error(`${kind} ${method} ${path} answered ${outcome}: ${JSON.stringify(parsed).slice(0, 500)}`);
      }
      if (performance.now() > deadline) throw new Error(`${kind} ${method} ${path}: not accepted within ${this.options.giveUpMs ?? 120_000} ms (last: ${outcome})`);
      const wait = retryAfter !== null && Number.isFinite(Number(retryAfter)) ? Math.min(Number(retryAfter) * 1000, 2_000) : 200;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  /** Every outcome that is not a 2xx, counted: `{ "503": 4, "reset": 2 }`. */
  failures(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const attempt of this.attempts) {
      if (typeof attempt.outcome === 'number' && attempt.outcome < 300) continue;
      const key = attempt.outcome === 409 ? '409 in progress' : String(attempt.outcome);
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  }

  /** Of the requests of `kinds` in flight at `at` (sent before, accepted after): the longest from `at` to acceptance. */
  slowestInFlight(at: number, kinds: readonly string[]): number {
    const waits = this.requests.filter((request) => kinds.includes(request.kind) && request.firstSentAt < at && request.acceptedAt > at).map((request) => request.acceptedAt - at);
    return Math.round(Math.max(0, ...waits));
  }

  /** The first attempt of `kinds` sent after `at` that was accepted: ms from `at` to its answer. */
  firstAcceptedAfter(at: number, kinds: readonly string[]): number | undefined {
    const accepted = this.attempts
      .filter((attempt) => kinds.includes(attempt.kind) && attempt.sentAt >= at && typeof attempt.outcome === 'number' && attempt.outcome < 300)
      .map((attempt) => attempt.endedAt - at);
    return accepted.length > 0 ? Math.min(...accepted) : undefined;
  }
}

/** Waits for `probe` and returns how long it took from `since` (performance.now()). */
export async function msUntil(what: string, since: number, probe: () => Promise<boolean | undefined> | boolean | undefined, timeoutMs = 60_000): Promise<number> {
  await waitFor(what, async () => ((await probe()) ? true : undefined), { timeoutMs, intervalMs: 50 });
  return Math.round(performance.now() - since);
}

/** Resolves with `ms` from `since` when some attempt of `kinds` sent after `since` was accepted. */
export async function firstAccepted(writers: readonly RetryingWriter[], since: number, kinds: readonly string[], timeoutMs = 60_000): Promise<number> {
  return waitFor(
    `a write of ${kinds.join('/')} sent after the kill to be accepted`,
    () => {
      const times = writers.map((writer) => writer.firstAcceptedAfter(since, kinds)).filter((ms): ms is number => ms !== undefined);
      return times.length > 0 ? Math.round(Math.min(...times)) : undefined;
    },
    { timeoutMs, intervalMs: 50 },
  );
}

export interface RecoveryFigure {
  readonly round: string;
  /** What was killed, in kind (figures of one kind across rounds are summarised together by bench:recovery). */
  readonly kind: string;
  /** The processes or nodes killed. */
  readonly killed: string;
  readonly measure: string;
  readonly ms: number;
}

/** Appends the figures as JSON lines to STEWARD_RECOVERY_OUT when set (bench:recovery collects them). */
export function recordFigures(suite: string, figures: readonly RecoveryFigure[]): void {
  const out = process.env.STEWARD_RECOVERY_OUT;
  if (!out) return;
  appendFileSync(out, figures.map((figure) => `${JSON.stringify({ suite, ...figure })}\n`).join(''));
}

/** The recovery figures as an aligned table (printed by the suites and bench:recovery). */
export function recoveryTable(title: string, figures: readonly RecoveryFigure[]): string {
  const rows = figures.map((figure) => [figure.round, figure.killed, figure.measure, `${figure.ms} ms`]);
  const widths = [0, 1, 2, 3].map((column) => Math.max(...[['round', 'killed', 'measure', 'time'], ...rows].map((row) => row[column]!.length)));
  const line = (row: readonly string[]): string => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ');
  return [`${title}`, line(['round', 'killed', 'measure', 'time']), ...rows.map(line)].join('\n');
}

/**
 * A probe that answers true once every one of `usageIds` (of the workspace) is a row of the chargeback's
 * call table: the read model shows each of them, not just as many calls. Asks the database for the
 * ones still missing only, so it stays cheap when polled.
 */
export async function chargebackShows(pool: pg.Pool, workspaceId: string, usageIds: readonly string[]): Promise<() => Promise<boolean>> {
  let missing = [...usageIds];
  return async () => {
    if (missing.length === 0) return true;
    const { rows } = await pool.query<{ usage_id: string }>(
      'SELECT usage_id FROM rm_chargeback.usage_calls WHERE workspace_id = $1 AND usage_id = ANY($2::text[])',
      [workspaceId, missing],
    );
    const shown = new Set(rows.map((row) => row.usage_id));
    missing = missing.filter((id) => !shown.has(id));
    return missing.length === 0;
  };
}

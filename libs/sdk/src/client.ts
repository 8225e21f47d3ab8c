import { randomUUID } from 'node:crypto';
import { isDecimalString } from './contracts.js';
import { BudgetExceededError, StewardErrorCode, StewardRequestError, UsageNotRecordedError } from './errors.js';
import { type HttpOptions, asProblem, refused, request } from './http.js';
import { StewardJobClient } from './jobs/job-client.js';
import { type ReserveParams, Reservation, type ReservationGranted } from './reservation.js';
import { type RecordedUsage, StewardUsageClient, type StewardUsageClientOptions, toUsageEvent } from './usage-client.js';

export interface StewardClientOptions extends HttpOptions {
  /** The workspace the API key belongs to (`ws_…`). */
  readonly workspaceId: string;
  /** The `source` of usage recorded without one (the agent or service name). Default `steward-sdk`. */
  readonly source?: string;
  /** Options of the batching usage client (`client.usage`): batch size, flush interval, retries, onError… */
  readonly usage?: Omit<StewardUsageClientOptions, 'baseUrl' | 'apiKey' | 'workspaceId'>;
}

/** Steward's answer to one recorded call. */
export interface UsageReceipt {
  /** The event id (the caller's, or the one generated for the call). */
  readonly id: string;
  /** The ingest batch that carried it. */
  readonly batchId: string | undefined;
}

/** What a budgeted call returns: its result and the usage to record (none: the call used nothing, the hold is released). */
export interface BudgetedOutcome<T> {
  readonly result: T;
  /** provider and model default to the reservation's; budgetReservationId is set by withBudget. */
  readonly usage: (Omit<RecordedUsage, 'provider' | 'model' | 'budgetReservationId'> & { provider?: string; model?: string }) | undefined;
}

/**
 * One handle on Steward for an agent, with one API key of one workspace:
 * - `reserve()` / `Reservation.release()`: hold part of a budget before an expensive call;
 * - `recordUsage()`: record one call now and wait for Steward's answer (commits a reservation
 *   when the usage names it);
 * - `withBudget()`: reserve, run the call, record its usage against the reservation, release on error;
 * - `usage`: the batching client for high-volume recording (fire and forget, flushed in batches);
 * - `jobs`: Job History (start a job, record its steps, finish it).
 * Each request is retried on 429, 5xx, timeouts and network errors, with an Idempotency-Key, so a
 * retry never records or reserves twice.
 */
export class StewardClient {
  readonly jobs: StewardJobClient;
  private usageClient: StewardUsageClient | undefined;
  private readonly workspacePath: string;

  constructor(private readonly options: StewardClientOptions) {
    this.workspacePath = `/v1/workspaces/${encodeURIComponent(options.workspaceId)}`;
    this.jobs = new StewardJobClient({
      baseUrl: options.baseUrl,
      apiKey: options.apiKey,
      workspaceId: options.workspaceId,
      ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
      ...(options.backoffBaseMs !== undefined ? { backoffBaseMs: options.backoffBaseMs } : {}),
      ...(options.backoffCapMs !== undefined ? { backoffCapMs: options.backoffCapMs } : {}),
      ...(options.fetch !== undefined ? { fetch: options.fetch } : {}),
    });
  }

  /** The batching usage client, made on first use (close it with `client.close()`). */
  get usage(): StewardUsageClient {
    this.usageClient ??= new StewardUsageClient({
      ...(this.options.source !== undefined ? { source: this.options.source } : {}),
      ...(this.options.fetch !== undefined ? { fetch: this.options.fetch } : {}),
      ...this.options.usage,
      baseUrl: this.options.baseUrl,
      apiKey: this.options.apiKey,
      workspaceId: this.options.workspaceId,
    });
    return this.usageClient;
  }

  /**
   * Holds `estimatedCostUsd` of every budget that covers the call. Throws BudgetExceededError (402)
   * when one of them would be exceeded, StewardRequestError otherwise.
   */
  async reserve(params: ReserveParams): Promise<Reservation> {
    if (!isDecimalString(params.estimatedCostUsd)) {
      throw new TypeError(`estimatedCostUsd must be an exact decimal as text (e.g. "0.0125"), not ${JSON.stringify(params.estimatedCostUsd)}`);
    }
    const path = `${this.workspacePath}/budget-reservations`;
    const answer = await request(this.options, 'POST', path, { body: params, idempotencyKey: randomUUID() });
    if (answer.status === 402) throw new BudgetExceededError(asProblem(answer.body), 'POST', path);
    if (answer.status !== 200 && answer.status !== 201) throw refused(answer, 'POST', path);
    const granted = answer.body as ReservationGranted;
    return new Reservation(granted, (id) => this.release(id));
  }

  /** Releases a reservation by id: true when released, false when Steward no longer holds it (404: released, committed or expired). */
  async release(reservationId: string): Promise<boolean> {
    const path = `${this.workspacePath}/budget-reservations/${encodeURIComponent(reservationId)}`;
    const answer = await request(this.options, 'DELETE', path);
    if (answer.status === 404) return false;
    if (answer.status >= 200 && answer.status < 300) return true;
    throw refused(answer, 'DELETE', path);
  }

  /**
   * Records one call now (not batched) and resolves once Steward accepted it (202: durably queued
   * for metering). With `budgetReservationId` the record commits that reservation. The event id is
   * fixed before the first attempt, so a retry is the same call, counted once.
   */
  async recordUsage(usage: RecordedUsage): Promise<UsageReceipt> {
    const event = toUsageEvent(usage, this.options.source);
    const path = `${this.workspacePath}/usage`;
    const answer = await request(this.options, 'POST', path, { body: { events: [event] }, idempotencyKey: randomUUID() });
    const body = (asProblem(answer.body) ?? {}) as { batchId?: string; accepted?: number; errors?: unknown };
    if (answer.status >= 200 && answer.status < 300 && body.accepted !== 0) return { id: event.id, batchId: body.batchId };
    throw refused(answer, 'POST', path);
  }

  /**
   * Runs one budgeted call: reserves `params.estimatedCostUsd` (a 402 throws BudgetExceededError
   * before `call` runs), runs `call`, then records the usage it returns with the reservation's id,
   * which commits the hold. When `call` throws, the reservation is released and the error rethrown;
   * nothing is recorded. When the record fails, UsageNotRecordedError carries the call's result.
   */
  async withBudget<T>(params: ReserveParams, call: (reservation: Reservation) => Promise<BudgetedOutcome<T>>): Promise<T> {
    const reservation = await this.reserve(params);
    let outcome: BudgetedOutcome<T>;
    try {
      outcome = await call(reservation);
    } catch (error) {
      // the hold lapses at its expiry anyway: a failed release must not hide the call's error
      await reservation.release().catch(() => undefined);
      throw error;
    }
    if (outcome.usage === undefined) {
      await reservation.release().catch(() => undefined);
      return outcome.result;
    }
    const event = toUsageEvent(
      {
        ...(params.agent !== undefined ? { agent: params.agent } : {}),
        ...outcome.usage,
        provider: outcome.usage.provider ?? params.provider ?? '',
        model: outcome.usage.model ?? params.model ?? '',
        budgetReservationId: reservation.id,
      },
      this.options.source,
    );
    try {
      await this.recordUsage(event);
    } catch (error) {
      if (!(error instanceof StewardRequestError)) throw error;
      // refused: nothing was recorded, so the hold is given back; gave up: the record may have
      // arrived and committed it, so it is left to commit or lapse
      const released = error.code === StewardErrorCode.Refused ? await reservation.release().catch(() => false) : false;
      throw new UsageNotRecordedError(outcome.result, event.id, reservation.id, released, error);
    }
    return outcome.result;
  }

  /** Flushes and closes the batching usage client, if it was used. */
  async close(): Promise<void> {
    await this.usageClient?.close();
  }
}

import { randomUUID } from 'node:crypto';
import type { JobFinishStatus, JobStepType, ToolStatus } from '../contracts.js';
import { fullJitterDelay, isRetryable, retryAfterMs } from '../backoff.js';

/** The most steps one request carries (the gateway's limit). */
export const MAX_JOB_STEPS_PER_REQUEST = 200;

export interface StewardJobClientOptions {
  /** The gateway, e.g. `http://127.0.0.1:8080`. */
  readonly baseUrl: string;
  /** An API key with the scope `jobs:write`. */
  readonly apiKey: string;
  readonly workspaceId: string;
  /** Attempts per request on 429, 5xx and network errors (never on another 4xx). Default 5. */
  readonly maxAttempts?: number;
  readonly backoffBaseMs?: number;
  readonly backoffCapMs?: number;
  /** For tests and custom transports. Default the global fetch. */
  readonly fetch?: typeof fetch;
}

export interface JobStepRecord {
  readonly stepId: string;
  readonly type: JobStepType;
  readonly content?: string;
  readonly toolName?: string;
  readonly toolStatus?: ToolStatus;
  readonly parameters?: unknown;
  readonly result?: unknown;
  readonly durationMs?: number;
  readonly at: string;
}

export enum JobDeliveryErrorCode {
  /** Steward refused the request (a 4xx other than 429): resending it would not help. */
  Refused = 'JOB_REQUEST_REFUSED',
  /** Every attempt failed with 429, 5xx or no answer. */
  GaveUp = 'JOB_REQUEST_GAVE_UP',
}

export class JobDeliveryError extends Error {
  constructor(
    readonly code: JobDeliveryErrorCode,
    message: string,
    readonly status: number | undefined,
    readonly problem: unknown,
  ) {
    super(message);
    this.name = 'JobDeliveryError';
  }
}

/**
 * An agent's handle on Steward's Job History over HTTP: start a job, record
 * its steps (kept in order, sent in batches), finish it. Every step gets its id
 * when it is recorded and every request an Idempotency-Key, so a retry (after a
 * lost answer, a 429 or a 5xx) records nothing twice.
 */
export class StewardJobClient {
  constructor(private readonly options: StewardJobClientOptions) {}

  /** Starts a job; the returned handle records its steps. */
  async startJob(input: { jobId?: string; agent: string; input?: string; metadata?: Record<string, string>; startedAt?: Date }): Promise<JobRun> {
    const jobId = input.jobId ?? `job-${randomUUID()}`;
    await this.post('jobs', {
      jobId,
      agent: input.agent,
      ...(input.input !== undefined ? { input: input.input } : {}),
      ...(input.metadata !== undefined ? { metadata: input.metadata } : {}),
      startedAt: (input.startedAt ?? new Date()).toISOString(),
    });
    return new JobRun(this, jobId);
  }

  /** A handle on a job started elsewhere (another process of the same agent). */
  job(jobId: string): JobRun {
    return new JobRun(this, jobId);
  }

  /** POST under the workspace, with retries; resolves with the parsed answer. */
  async post<T = unknown>(path: string, body: unknown): Promise<T> {
    const url = `${this.options.baseUrl.replace(/\/$/, '')}/v1/workspaces/${encodeURIComponent(this.options.workspaceId)}/${path}`;
    const text = JSON.stringify(body);
    const idempotencyKey = randomUUID();
    const attempts = this.options.maxAttempts ?? 5;
    const doFetch = this.options.fetch ?? fetch;
    let last: { status: number | undefined; problem: unknown } = { status: undefined, problem: undefined };
    for (let attempt = 0; attempt < attempts; attempt++) {
      let response: Response | undefined;
      try {
        response = await doFetch(url, {
          method: 'POST',
          headers: { authorization: `Bearer ${this.options.apiKey}`, 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
          body: text,
        });
      } catch (error) {
        last = { status: undefined, problem: error instanceof Error ? error.message : String(error) };
      }
      if (response?.ok) return (await response.json()) as T;
      if (response) {
        const problem = await response.json().catch(() => undefined);
        last = { status: response.status, problem };
        if (!isRetryable(response.status)) {
          throw new JobDeliveryError(JobDeliveryErrorCode.Refused, `Steward refused POST ${path}: ${response.status}`, response.status, problem);
        }
      }
      if (attempt + 1 < attempts) {
        const wait = retryAfterMs(response?.headers.get('retry-after')) ?? fullJitterDelay(attempt, this.options.backoffBaseMs ?? 200, this.options.backoffCapMs ?? 10_000);
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
    throw new JobDeliveryError(JobDeliveryErrorCode.GaveUp, `POST ${path} failed ${attempts} times`, last.status, last.problem);
  }
}

/** One running job: steps are buffered in order and sent by `flush()` (and by `finish()`). */
export class JobRun {
  private readonly pending: JobStepRecord[] = [];
  private sequence = 0;
  private readonly prefix = randomUUID().slice(0, 8);

  constructor(
    private readonly client: StewardJobClient,
    readonly jobId: string,
  ) {}

  userMessage(content: string): this {
    return this.step({ type: 'user_message', content });
  }

  assistantResponse(content: string): this {
    return this.step({ type: 'assistant_response', content });
  }

  toolCall(toolName: string, parameters: unknown, toolStatus: ToolStatus = 'pending'): this {
    return this.step({ type: 'tool_call', toolName, toolStatus, parameters });
  }

  toolResult(toolName: string, result: unknown, details: { status?: ToolStatus; durationMs?: number } = {}): this {
    return this.step({
      type: 'tool_result',
      toolName,
      toolStatus: details.status ?? 'success',
      result,
      ...(details.durationMs !== undefined ? { durationMs: Math.max(0, Math.round(details.durationMs)) } : {}),
    });
  }

  system(content: string): this {
    return this.step({ type: 'system', content });
  }

  /** Steps recorded and not sent yet. */
  get pendingSteps(): readonly JobStepRecord[] {
    return this.pending;
  }

  /** Sends the buffered steps, in batches; a batch that fails stays buffered (resend with flush: same step ids). */
  async flush(): Promise<{ recorded: number; skipped: number }> {
    let recorded = 0;
    let skipped = 0;
    while (this.pending.length > 0) {
      const batch = this.pending.slice(0, MAX_JOB_STEPS_PER_REQUEST);
      const answer = await this.client.post<{ recorded: number; skipped: number }>(`jobs/${encodeURIComponent(this.jobId)}/steps`, { steps: batch });
      this.pending.splice(0, batch.length);
      recorded += answer.recorded;
      skipped += answer.skipped;
    }
    return { recorded, skipped };
  }

  /** Sends what is buffered, then finishes the job. */
  async finish(status: JobFinishStatus, summary?: string): Promise<void> {
    await this.flush();
    await this.client.post(`jobs/${encodeURIComponent(this.jobId)}/finish`, {
      status,
      ...(summary !== undefined ? { summary } : {}),
      endedAt: new Date().toISOString(),
    });
  }

  private step(step: Omit<JobStepRecord, 'stepId' | 'at'>): this {
    this.sequence++;
    this.pending.push({ ...step, stepId: `${this.prefix}-${this.sequence}`, at: new Date().toISOString() });
    return this;
  }
}

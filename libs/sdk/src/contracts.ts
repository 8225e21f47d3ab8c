/**
 * The parts of Steward's contracts (libs/contracts) an agent sends, copied here so the package installs
 * alone: the usage event, the job vocabulary, client-supplied ids and exact decimals. libs/contracts
 * stays the one definition the services validate with; contracts.spec.ts fails when this copy drifts
 * from it (fields, enumerations, patterns).
 */

/** How a call ended. */
export const USAGE_STATUSES = ['success', 'error'] as const;
export type UsageStatus = (typeof USAGE_STATUSES)[number];

/**
 * One LLM call as an agent reports it: the item of `POST /v1/workspaces/{wsId}/usage`.
 * `(workspace, source, id)` identifies the call: the same triple sent again is counted once.
 * Input tokens include the cached ones (cache read and cache creation), output tokens the
 * reasoning ones.
 */
export interface UsageEventInput {
  /** The caller's id of the call (see CLIENT_ID_PATTERN), at most 256 characters. */
  id: string;
  /** Where the call was reported from: the agent or service name, one line, at most 256. */
  source: string;
  /** ISO 8601 with an offset. */
  time: string;
  /** Default `unassigned`. */
  agent?: string | undefined;
  provider: string;
  model: string;
  inputTokens?: number | undefined;
  outputTokens?: number | undefined;
  cacheReadInputTokens?: number | undefined;
  cacheCreationInputTokens?: number | undefined;
  reasoningOutputTokens?: number | undefined;
  responseTimeMs?: number | undefined;
  /** Default `success`. */
  status?: UsageStatus | undefined;
  errorType?: string | undefined;
  /** The job (Job History) the call belongs to. */
  jobId?: string | undefined;
  /** The budget reservation this call commits (see `StewardClient.reserve`). */
  budgetReservationId?: string | undefined;
}

/** A finished job's outcome. */
export const JOB_FINISH_STATUSES = ['success', 'failed', 'cancelled', 'timed_out'] as const;
export type JobFinishStatus = (typeof JOB_FINISH_STATUSES)[number];

/** The Interaction History's step types. */
export const JOB_STEP_TYPES = ['user_message', 'assistant_response', 'tool_call', 'tool_result', 'system'] as const;
export type JobStepType = (typeof JOB_STEP_TYPES)[number];

export const TOOL_STATUSES = ['pending', 'success', 'error'] as const;
export type ToolStatus = (typeof TOOL_STATUSES)[number];

/**
 * Ids a client chooses (usage event ids, job ids, step ids): 1 to 200 of letters, digits, `_`, `-`,
 * `.` and `:`, not starting with `.`; a usage event id may be 256 long.
 */
export const CLIENT_ID_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9_.:-]*$/;
export const CLIENT_ID_MAX = 200;

export function isClientId(value: string, max: number = CLIENT_ID_MAX): boolean {
  return value.length >= 1 && value.length <= max && CLIENT_ID_PATTERN.test(value);
}

/** An exact decimal as text (`"0.0025"`, `"-1.5"`): money never travels as a JavaScript number. */
export const DECIMAL_PATTERN = /^-?(0|[1-9]\d*)(\.\d+)?$/;

export function isDecimalString(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 60 && DECIMAL_PATTERN.test(value);
}

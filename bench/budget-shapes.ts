/**
 * The budgets bench:ingest-budgets defines over its workspace, and bench:spend-reactor after it: kinds of
 * call (agents × models) and the budgets' limits, thresholds and periods, each budget taking them in turn.
 */
export const AGENTS = ['researcher', 'writer', 'reviewer', 'planner', 'coder'];
export const MODELS: ReadonlyArray<{ provider: string; model: string }> = [
  { provider: 'openai', model: 'gpt-4o' },
  { provider: 'openai', model: 'gpt-4o-mini' },
  { provider: 'anthropic', model: 'claude-sonnet-4' },
  { provider: 'google', model: 'gemini-2.5-pro' },
];
export const LIMITS = ['5', '20', '50', '150', '400', '1000', '3000', '100000'];
export const THRESHOLDS = [[50, 80, 100], [25, 50, 75, 100], [90], [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]];
export const PERIODS = ['daily', 'weekly', 'monthly'] as const;

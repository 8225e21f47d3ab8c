/**
 * What the demo organization holds, as data: its workspaces, people, API keys, model prices, runtimes,
 * jobs, budgets, a notification channel and announcements. Every name is fixed, so the loader finds what an earlier run made.
 */
import type { JobStepRecord } from '@steward/sdk';
import { seededRandom, DEMO_AGENTS } from './demo-usage';

export const DEMO_ORGANIZATION_NAME = 'Northwind Robotics (demo)';

export type DemoWorkspaceKey = 'production' | 'research' | 'support';
export type DemoRole = 'owner' | 'admin' | 'billing' | 'member' | 'viewer';

export const DEMO_WORKSPACES: ReadonlyArray<{ readonly key: DemoWorkspaceKey; readonly name: string; readonly callsPerWorkingDay: number }> = [
  // the first is the organization's own first workspace, and the demo's main one
  { key: 'production', name: 'Production', callsPerWorkingDay: 380 },
  { key: 'research', name: 'Research', callsPerWorkingDay: 90 },
  { key: 'support', name: 'Customer Support', callsPerWorkingDay: 45 },
];

/** The people of the demo besides its owner (the caller): one per role, their seats by workspace. */
export const DEMO_PEOPLE: ReadonlyArray<{ readonly role: Exclude<DemoRole, 'owner'>; readonly name: string; readonly email: string; readonly seats: Readonly<Partial<Record<DemoWorkspaceKey, DemoRole>>> }> = [
  { role: 'admin', name: 'Ada Admin', email: 'ada.admin@northwind-demo.example.com', seats: { production: 'admin', research: 'admin', support: 'admin' } },
  { role: 'billing', name: 'Bill Finance', email: 'bill.finance@northwind-demo.example.com', seats: { production: 'billing' } },
  { role: 'member', name: 'Mia Member', email: 'mia.member@northwind-demo.example.com', seats: { production: 'member', research: 'member' } },
  { role: 'viewer', name: 'Victor Viewer', email: 'victor.viewer@northwind-demo.example.com', seats: { production: 'viewer', support: 'viewer' } },
];

/** An invitation left pending (the Team screen shows it). */
export const DEMO_PENDING_INVITATION = { email: 'new.hire@northwind-demo.example.com', role: 'member' as const };

export const DEMO_INGEST_KEY_NAME = 'Agents (usage and jobs)';
export const DEMO_READ_KEY_NAME = 'Dashboards (read-only)';

/** Workspace prices set through the models API (the other models are priced by the built-in catalogue). */
export const DEMO_PRICES: ReadonlyArray<{ readonly workspaces: readonly DemoWorkspaceKey[]; readonly provider: string; readonly model: string; readonly perMillion: Record<string, string>; readonly apiKey?: string }> = [
  // a negotiated discount on a catalogue model
  { workspaces: ['production', 'research'], provider: 'openai', model: 'gpt-4.1', perMillion: { input: '1.8', output: '7.2', cacheRead: '0.45' }, apiKey: 'sk-demo-0000000000000000-not-a-real-key' },
  // a model the catalogue does not price; Customer Support leaves it unpriced ("pricing not configured")
  { workspaces: ['production', 'research'], provider: 'mistral', model: 'mistral-large-latest', perMillion: { input: '2', output: '6' } },
];

export interface DemoRuntime {
  readonly name: string;
  readonly provider: string;
  readonly config: Record<string, unknown>;
  readonly setAsDefault: boolean;
  /** Request a connection test (it fails: the endpoint is unreachable). */
  readonly test: boolean;
}

/** One runtime per category at least; the Python one's endpoint is unreachable, so its test fails. */
export const DEMO_RUNTIMES: readonly DemoRuntime[] = [
  {
    name: 'GKE ingest cluster',
    provider: 'gke',
    config: { projectId: 'northwind-ingest', location: 'europe-west1', clusterName: 'ingest-prod', server: 'https://34.76.10.20', namespace: 'agents', token: 'demo-service-account-token-not-real' },
    setAsDefault: true,
    test: false,
  },
  {
    name: 'Databricks analytics',
    provider: 'databricks',
    config: { host: 'https://adb-1234567890123456.7.azuredatabricks.net', clusterId: '0301-123456-demo1234', token: 'dapi-demo-token-not-real-0000' },
    setAsDefault: true,
    test: false,
  },
  {
    name: 'Snowflake warehouse',
    provider: 'snowflake',
    config: { account: 'northwind-analytics', user: 'STEWARD_DEMO', warehouse: 'AGENTS_WH', password: 'demo-password-not-real' },
    setAsDefault: false,
    test: false,
  },
  {
    name: 'Python sandbox (unreachable)',
    provider: 'docker',
    // port 9 (discard) on the loopback: nothing listens, the connection test fails at once
    config: { host: 'tcp://127.0.0.1:9', image: 'python:3.12-slim' },
    setAsDefault: true,
    test: true,
  },
];

export interface DemoJob {
  readonly jobId: string;
  readonly agent: string;
  readonly input: string;
  readonly startedAt: string;
  readonly steps: JobStepRecord[];
  /** Undefined: still running. */
  readonly finish?: { readonly status: 'success' | 'failed' | 'cancelled'; readonly summary: string; readonly endedAt: string };
}

const TASKS: Readonly<Record<string, ReadonlyArray<{ ask: string; tool: string; parameters: Record<string, unknown>; answer: string }>>> = {
  'support-assistant': [
    { ask: 'Customer #4411 cannot reset their password.', tool: 'crm.lookup', parameters: { customerId: 4411 }, answer: 'Sent a reset link and confirmed the email address on file.' },
    { ask: 'Where is order 88-1203?', tool: 'orders.track', parameters: { orderId: '88-1203' }, answer: 'The order left the warehouse yesterday; delivery is expected on Thursday.' },
  ],
  'code-reviewer': [
    { ask: 'Review pull request #982 (billing rounding).', tool: 'git.diff', parameters: { pr: 982 }, answer: 'Two findings: rounding half-even where half-up is documented, and a missing test for negative amounts.' },
    { ask: 'Review pull request #990 (retry policy).', tool: 'git.diff', parameters: { pr: 990 }, answer: 'Looks good; suggested jitter on the backoff.' },
  ],
  'research-analyst': [
    { ask: 'Summarise Q3 support tickets by theme.', tool: 'warehouse.query', parameters: { sql: 'SELECT theme, count(*) FROM tickets GROUP BY theme' }, answer: 'Top themes: shipping delays (31 %), account access (22 %), billing (18 %).' },
  ],
  'sales-copilot': [
    { ask: 'Draft a follow-up for the Contoso demo.', tool: 'crm.notes', parameters: { account: 'Contoso' }, answer: 'Drafted a follow-up covering pricing tiers and the pilot timeline.' },
  ],
  'data-pipeline-bot': [
    { ask: 'Nightly load of the telemetry table.', tool: 'spark.submit', parameters: { job: 'telemetry-nightly', runtime: 'Databricks analytics' }, answer: 'Loaded 1.2 M rows in 6 min 40 s.' },
  ],
};

/** Twenty-four jobs of the day before the anchor: every step type, most succeeded, some failed, one cancelled, one running. */
export function demoJobs(anchor: Date): DemoJob[] {
  const random = seededRandom('demo-jobs');
  const jobs: DemoJob[] = [];
  const count = 24;
  for (let index = 0; index < count; index++) {
    const agent = DEMO_AGENTS[index % DEMO_AGENTS.length]!;
    const tasks = TASKS[agent.name]!;
    const task = tasks[index % tasks.length]!;
    // spread over the 20 hours before the anchor, newest last: Steward finishes a job still running after 24 h
    // as timed_out, so an older start could be swept between the loader's start and finish requests
    const startedAt = anchor.getTime() - Math.round(((count - 1 - index) / count) * 20 * 3_600_000) - 10 * 60_000 - Math.floor(random() * 600_000);
    const outcome: 'success' | 'failed' | 'cancelled' | 'running' = index === count - 1 ? 'running' : index % 7 === 3 ? 'failed' : index === 11 ? 'cancelled' : 'success';
    let at = startedAt;
    let stepNumber = 1;
    const step = (offsetMs: number, record: Omit<JobStepRecord, 'stepId' | 'at'>): JobStepRecord => {
      at += offsetMs;
      return { ...record, stepId: `step-${String(index).padStart(2, '0')}-${String(stepNumber++).padStart(2, '0')}`, at: new Date(at).toISOString() };
    };
    const toolMs = 300 + Math.floor(random() * 4000);
    const steps: JobStepRecord[] = [
      step(0, { type: 'system', content: `You are ${agent.name}, an agent of Northwind Robotics. Use the tools you are given; never guess a customer's data.` }),
      step(200, { type: 'user_message', content: task.ask }),
      step(1500, { type: 'assistant_response', content: `I will use ${task.tool} to find out.` }),
      step(100, { type: 'tool_call', toolName: task.tool, toolStatus: 'pending', parameters: task.parameters }),
    ];
    if (outcome === 'failed') {
      steps.push(step(toolMs, { type: 'tool_result', toolName: task.tool, toolStatus: 'error', result: { error: 'upstream timed out after 30 s' }, durationMs: toolMs }));
      steps.push(step(800, { type: 'assistant_response', content: `${task.tool} did not answer; I could not finish the task.` }));
    } else if (outcome !== 'running') {
      steps.push(step(toolMs, { type: 'tool_result', toolName: task.tool, toolStatus: 'success', result: { ok: true }, durationMs: toolMs }));
      if (outcome === 'success') steps.push(step(1200, { type: 'assistant_response', content: task.answer }));
    }
    const endedAt = new Date(at + 500).toISOString();
    jobs.push({
      jobId: `demo-job-${String(index + 1).padStart(3, '0')}`,
      agent: agent.name,
      input: task.ask,
      startedAt: new Date(startedAt).toISOString(),
      steps,
      ...(outcome === 'running'
        ? {}
        : {
            finish: {
              status: outcome,
              summary: outcome === 'success' ? task.answer : outcome === 'failed' ? `${task.tool} timed out` : 'Cancelled by the operator',
              endedAt,
            },
          }),
    });
  }
  return jobs;
}

/** Budget definitions (`POST /v1/workspaces/{wsId}/budgets`): small limits, so this month's and week's usage crosses thresholds. */
export const DEMO_BUDGETS: ReadonlyArray<{ readonly workspace: DemoWorkspaceKey; readonly body: Record<string, unknown> }> = [
  { workspace: 'production', body: { name: 'Production monthly spend', period: 'monthly', limitUsd: '25', thresholds: [50, 80, 100], enforcement: 'notify' } },
  {
    workspace: 'production',
    body: { name: 'Claude Sonnet monthly cap', scope: { provider: 'anthropic', model: 'claude-sonnet-4-5-20250929' }, period: 'monthly', limitUsd: '15', thresholds: [80, 100], enforcement: 'block' },
  },
  { workspace: 'research', body: { name: 'Research weekly spend', period: 'weekly', limitUsd: '3', thresholds: [50, 80, 100], enforcement: 'notify' } },
];

/** Announcements (`POST /v1/announcements`, platform administrators), addressed to the demo organization only. */
export function demoAnnouncements(organizationId: string, anchor: Date): Array<Record<string, unknown>> {
  const audience = { type: 'organizations', organizationIds: [organizationId] };
  // the next Sunday 02:00–03:00 UTC after the anchor
  const sunday = new Date(Date.UTC(anchor.getUTCFullYear(), anchor.getUTCMonth(), anchor.getUTCDate() + 7 - anchor.getUTCDay(), 2));
  return [
    { kind: 'feature', title: 'Budgets and alerts', body: 'Set monthly, weekly or daily budgets per workspace and get told when spend crosses a threshold.', audience },
    { kind: 'release', title: 'Steward 0.1', body: 'Usage analytics, job history, runtimes and billing in one console.', audience },
    {
      kind: 'maintenance',
      title: 'Database maintenance on Sunday 02:00–03:00 UTC',
      body: 'The API stays up; usage recorded meanwhile shows up a few minutes late.',
      audience,
      window: { startsAt: sunday.toISOString(), endsAt: new Date(sunday.getTime() + 3_600_000).toISOString() },
    },
  ];
}

/**
 * A notification channel (`POST /v1/organizations/{orgId}/notification-channels`): email to an example.com
 * address (a reserved domain), and the loader disables it at once, so it never delivers.
 */
export const DEMO_CHANNEL = {
  name: 'Finance alerts (email, disabled)',
  kind: 'email',
  recipients: ['finance-alerts@northwind-demo.example.com'],
  events: ['BudgetThresholdCrossed', 'LowCreditBalanceReached', 'InvoiceIssued'],
} as const;

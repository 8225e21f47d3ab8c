import { JobCommandPayloads, RecordJobStepsPayload } from './job-commands';
import { JOB_EVENTS, jobEventRegistry } from './job-events';
import { JOB_ERROR_HTTP_STATUS, JobErrorCode } from './job-errors';
import { JobStreams } from './job-streams';

describe('jobs contracts', () => {
  it('registers JobStarted, JobStepRecorded and JobFinished at version 1 in the jobs context', () => {
    const listed = jobEventRegistry.list();
    expect(listed.map((entry) => entry.type)).toEqual(['JobFinished', 'JobStarted', 'JobStepRecorded']);
    expect(listed.every((entry) => entry.context === 'jobs' && entry.version === 1)).toBe(true);
    expect(JOB_EVENTS).toHaveLength(3);
  });

  it('names one stream per job of a workspace, in the jobs category', () => {
    expect(JobStreams.job('ws-1', 'job-9')).toBe('jobs-ws-1-job-9');
  });

  it('refuses unknown fields and a batch without steps', () => {
    expect(JobCommandPayloads.StartJob.safeParse({ workspaceId: 'ws', jobId: 'j', agent: 'a', extra: 1 }).success).toBe(false);
    expect(RecordJobStepsPayload.safeParse({ workspaceId: 'ws', jobId: 'j', steps: [] }).success).toBe(false);
    const parsed = RecordJobStepsPayload.parse({ workspaceId: 'ws', jobId: 'j', steps: [{ stepId: 's1', type: 'tool_call', toolName: 'search', parameters: { q: 'x' } }] });
    expect(parsed.steps[0]).toMatchObject({ stepId: 's1', type: 'tool_call', parameters: { q: 'x' } });
  });

  it('maps every refusal to an HTTP status', () => {
    for (const code of Object.values(JobErrorCode)) expect(JOB_ERROR_HTTP_STATUS[code]).toBeGreaterThanOrEqual(400);
  });
});

import type { Kysely } from 'kysely';
import { z } from 'zod';
import {
  JOB_FINISH_STATUSES,
  JOB_STATUSES,
  JOB_STEP_TYPES,
  JobIdSchema,
  MAX_STEPS_PER_BATCH,
  ResourceIdSchema,
  derivedId,
  MAX_STEP_TEXT_INPUT,
  TOOL_STATUSES,
  type JobStepInput,
  InstantSchema,
  StepIdSchema,
  JsonValueSchema,
  JobAgentSchema,
  JobMetadataSchema,
  DurationMsSchema,
  freeText,
  nameText,
  text,
} from '@steward/contracts';
import type { CommandClient } from '@steward/messaging';
import { decodeJobCursor, filtersKey, JobReadRepository, type JobPageRequest } from '@steward/job-history';
import { GatewayError, GatewayErrorCode } from '../../gateway.error';
import { defineRoute, type AnyRoute, type Principal, type RouteContext } from '../../route';
import { callerOf, type Caller } from '../caller';
import { commandIdFor } from '../command-ids';
import { JobCommandSender } from './job-command.sender';
import { JobAcceptedSchema, JobDetailSchema, JobPageSchema, StepsAcceptedSchema } from './job-views.schema';
import type { WriteSettler } from '../../read-your-writes';

export interface JobRoutesDeps {
  /** Sends job commands (`<prefix>cmd.jobs.<Type>`). */
  readonly commands: CommandClient;
  readonly natsPrefix: string;
  /** Every command's answer waits until the read models show it (services/gateway/src/read-your-writes). */
  readonly readYourWrites: WriteSettler;
  /** Over the database holding `rm_jobs`. */
  readonly db: Kysely<unknown>;
  readonly commandTimeoutMs?: number;
  readonly now?: () => Date;
}

const WorkspaceId = ResourceIdSchema;
const Time = InstantSchema;

const StepBody = z.strictObject({
  /** The step's idempotency key within the job: send it, so a resent batch records each step once. Default: derived from the request. */
  stepId: StepIdSchema.optional(),
  type: z.enum(JOB_STEP_TYPES),
  /** The message text; over 256 KB it is stored cut, with a marker and its original size. */
  content: freeText(MAX_STEP_TEXT_INPUT).optional(),
  toolName: nameText(200).optional(),
  toolStatus: z.enum(TOOL_STATUSES).optional(),
  /** A tool call's parameters (any JSON). */
  parameters: JsonValueSchema.optional(),
  /** A tool result (any JSON). */
  result: JsonValueSchema.optional(),
  durationMs: DurationMsSchema.optional(),
  /** When the step happened. Default: when the request arrived. */
  at: Time.optional(),
});

const cursorRefused = (message: string): GatewayError =>
  new GatewayError(GatewayErrorCode.Validation, `cursor ${message}`, { errors: [{ field: 'query.cursor', message }] });

/** The shared plumbing of the job routes: who calls, command ids, sending. */
class JobRouteKit {
  readonly sender: JobCommandSender;
  readonly jobs: JobReadRepository;

  constructor(private readonly deps: JobRoutesDeps) {
    this.sender = new JobCommandSender({
      commands: deps.commands,
      natsPrefix: deps.natsPrefix,
      readYourWrites: deps.readYourWrites,
      ...(deps.commandTimeoutMs !== undefined ? { timeoutMs: deps.commandTimeoutMs } : {}),
    });
    this.jobs = new JobReadRepository({ db: deps.db });
  }

  caller(principal: Principal | undefined): Caller {
    if (!principal) throw new GatewayError(GatewayErrorCode.Unauthenticated, 'this route needs a user token or an API key');
    return callerOf(principal);
  }

  target(context: RouteContext<{ wsId: string }, unknown, unknown>) {
    const caller = this.caller(context.principal);
    return {
      commandId: commandIdFor(context.principal, context.idempotencyKey),
      caller,
      organizationId: caller.organizationId,
      workspaceId: context.params.wsId,
      requestId: context.requestId,
      issuedAt: (this.deps.now?.() ?? new Date()).toISOString(),
    };
  }
}

/**
 * Job History (admin guide, Part 1): agents start jobs, record their steps in
 * batches and finish them (API key scope `jobs:write`); everyone in the
 * workspace reads the list and each job's interaction history.
 */
export function jobRoutes(deps: JobRoutesDeps): AnyRoute[] {
  const kit = new JobRouteKit(deps);
  return [
    defineRoute({
      operationId: 'createJob',
      method: 'POST',
      path: '/v1/workspaces/{wsId}/jobs',
      summary: 'Start a job (an agent run)',
      description: 'The job id is yours to choose (so a retry names the same job) or generated. Answers 409 when the id names another job.',
      tags: ['jobs'],
      permission: 'jobs.write',
      scope: 'workspace',
      params: z.strictObject({ wsId: WorkspaceId }),
      body: z.strictObject({
        jobId: JobIdSchema.optional(),
        agent: JobAgentSchema,
        /** Default: when the request arrived. */
        startedAt: Time.optional(),
        /** What the job was asked to do. */
        input: freeText(100_000).optional(),
        metadata: JobMetadataSchema.optional(),
      }),
      responses: { 201: JobAcceptedSchema },
      handler: async (context) => {
        const target = kit.target(context);
        const { body } = context;
        const jobId = body.jobId ?? derivedId('job', target.commandId);
        const answer = await kit.sender.send(
          'StartJob',
          {
            workspaceId: target.workspaceId,
            jobId,
            agent: body.agent,
            ...(body.startedAt !== undefined ? { startedAt: body.startedAt } : {}),
            ...(body.input !== undefined ? { input: body.input } : {}),
            ...(body.metadata !== undefined ? { metadata: body.metadata } : {}),
            source: 'api',
          },
          target,
        );
        return {
          status: 201,
          headers: { location: `/v1/workspaces/${target.workspaceId}/jobs/${encodeURIComponent(jobId)}` },
          body: { jobId, status: 'running', changed: answer.changed },
        };
      },
    }),
    defineRoute({
      operationId: 'recordJobSteps',
      method: 'POST',
      path: '/v1/workspaces/{wsId}/jobs/{jobId}/steps',
      summary: 'Append a batch of steps to a running job',
      description: `Up to ${MAX_STEPS_PER_BATCH} steps, in order. A step whose stepId the job already has is skipped (counted in "skipped"). A finished job takes no new steps (409).`,
      tags: ['jobs'],
      permission: 'jobs.write',
      scope: 'workspace',
      params: z.strictObject({ wsId: WorkspaceId, jobId: JobIdSchema }),
      body: z.strictObject({ steps: z.array(StepBody).min(1).max(MAX_STEPS_PER_BATCH) }),
      responses: { 200: StepsAcceptedSchema },
      handler: async (context) => {
        const target = kit.target(context);
        const steps: JobStepInput[] = context.body.steps.map((step, index) => ({
          ...step,
          stepId: step.stepId ?? `${target.commandId}:${index}`,
        })) as JobStepInput[];
        const answer = await kit.sender.send('RecordJobSteps', { workspaceId: target.workspaceId, jobId: context.params.jobId, steps }, target);
        return { status: 200, body: { jobId: context.params.jobId, recorded: answer.stepsRecorded, skipped: answer.stepsSkipped } };
      },
    }),
    defineRoute({
      operationId: 'finishJob',
      method: 'POST',
      path: '/v1/workspaces/{wsId}/jobs/{jobId}/finish',
      summary: 'Finish a job with its outcome and final summary',
      description: 'Finishing again with the same status changes nothing; another status is a 409. The end may not lie before the start (400).',
      tags: ['jobs'],
      permission: 'jobs.write',
      scope: 'workspace',
      params: z.strictObject({ wsId: WorkspaceId, jobId: JobIdSchema }),
      body: z.strictObject({
        status: z.enum(JOB_FINISH_STATUSES),
        summary: freeText(10_000).optional(),
        /** Default: when the request arrived. */
        endedAt: Time.optional(),
      }),
      responses: { 200: JobAcceptedSchema },
      handler: async (context) => {
        const target = kit.target(context);
        const { body } = context;
        const answer = await kit.sender.send(
          'FinishJob',
          {
            workspaceId: target.workspaceId,
            jobId: context.params.jobId,
            status: body.status,
            ...(body.summary !== undefined ? { summary: body.summary } : {}),
            ...(body.endedAt !== undefined ? { endedAt: body.endedAt } : {}),
          },
          target,
        );
        return { status: 200, body: { jobId: context.params.jobId, status: body.status, changed: answer.changed } };
      },
    }),
    defineRoute({
      operationId: 'listJobs',
      method: 'GET',
      path: '/v1/workspaces/{wsId}/jobs',
      summary: 'Job History: the jobs of a workspace, newest first',
      tags: ['jobs'],
      permission: 'jobs.read',
      scope: 'workspace',
      params: z.strictObject({ wsId: WorkspaceId }),
      query: z.strictObject({
        agent: JobAgentSchema.optional(),
        status: z.enum(JOB_STATUSES).optional(),
        /** Jobs started at or after. */
        from: Time.optional(),
        /** Jobs started before. */
        to: Time.optional(),
        /** Default 1. */
        page: z.coerce.number().int().min(1).max(1_000_000).optional(),
        pageSize: z.coerce.number().int().min(1).max(100).default(20),
        /** The `nextCursor` of the previous page, with the same filters (instead of `page`). */
        cursor: text({ min: 1, max: 1000, singleLine: true }).optional(),
      }),
      responses: { 200: JobPageSchema },
      handler: async ({ params, query }) => {
        const { page, pageSize, cursor, ...filters } = query;
        if (filters.from !== undefined && filters.to !== undefined && Date.parse(filters.from) > Date.parse(filters.to)) {
          throw new GatewayError(GatewayErrorCode.Validation, 'from lies after to', { errors: [{ field: 'query.from', message: 'must not lie after to' }] });
        }
        const defined = Object.fromEntries(Object.entries(filters).filter(([, value]) => value !== undefined));
        let request: JobPageRequest = { page: page ?? 1, pageSize };
        if (cursor !== undefined) {
          if (page !== undefined) throw cursorRefused('is sent instead of page, not with it');
          const after = decodeJobCursor(cursor);
          if (!after) throw cursorRefused('is not one this list answered');
          if (after.filters !== filtersKey(defined)) throw cursorRefused('belongs to a list with other filters');
          request = { after, pageSize };
        }
        return { status: 200, body: await kit.jobs.listJobs(params.wsId, defined, request) };
      },
    }),
    defineRoute({
      operationId: 'getJob',
      method: 'GET',
      path: '/v1/workspaces/{wsId}/jobs/{jobId}',
      summary: 'A job: status, start, end, final summary and its interaction history in order',
      tags: ['jobs'],
      permission: 'jobs.read',
      scope: 'workspace',
      params: z.strictObject({ wsId: WorkspaceId, jobId: JobIdSchema }),
      responses: { 200: JobDetailSchema },
      handler: async ({ params }) => {
        const job = await kit.jobs.getJob(params.wsId, params.jobId);
        if (!job) throw new GatewayError(GatewayErrorCode.NotFound, `no job ${params.jobId} in this workspace`);
        return { status: 200, body: job };
      },
    }),
  ];
}

import { z } from 'zod';
import { createHash } from 'node:crypto';
import { UsageEventSchema, derivedId, type JobCommandInput, type JobCommandType, type UsageEvent } from '@steward/contracts';
import type { CommandClient } from '@steward/messaging';
import { GatewayError, GatewayErrorCode } from '../../../gateway.error';
import { defineRoute, type AnyRoute, type Authorizer, type Principal } from '../../../route';
import { callerOf } from '../../caller';
import { JobCommandError, JobCommandSender } from '../../job-history/job-command.sender';
import { derivedUuid } from '../../command-ids';
import type { UsageBatchToPublish } from './usage-ingest.publisher';
import { planOtlpRequest, type PlannedJob } from './otlp-genai.mapping';
import { OtlpTraceRequestSchema, OtlpTraceResponseSchema } from './otlp-request.schema';
import type { WriteSettler } from '../../../read-your-writes';

/** The header a person names the workspace of their spans with (an API key may name its own, or none). */
export const OTLP_WORKSPACE_HEADER = 'X-Steward-Workspace';
/** The JSON a trace request may grow to once decoded (protobuf and gzip are turned into JSON first). */
export const OTLP_BODY_LIMIT_BYTES = 8 * 1024 * 1024;
const STEPS_PER_COMMAND = 200;

export interface OtlpRoutesDeps {
  readonly commands: CommandClient;
  readonly natsPrefix: string;
  /** Every command's answer waits until the read models show it (services/gateway/src/read-your-writes). */
  readonly readYourWrites: WriteSettler;
  /** Checks the caller on the workspace of the spans (the route itself has no {wsId}). */
  readonly authorizer: Authorizer;
  /** Publishes the usage of LLM spans to metering (UsageIngestPublisher). */
  readonly usage: { publish(batch: UsageBatchToPublish): Promise<unknown> };
  readonly commandTimeoutMs?: number;
  readonly now?: () => Date;
}

const hash = (text: string): string => createHash('sha256').update(text).digest('hex');

async function allowed(authorizer: Authorizer, principal: Principal, permission: string, workspaceId: string): Promise<boolean> {
  try {
    return (await authorizer.authorize(principal, { permission, scope: 'workspace', workspaceId })) === 'allow';
  } catch (error) {
    if (error instanceof GatewayError && error.code === GatewayErrorCode.Forbidden) return false;
    throw error;
  }
}

/**
 * OTLP/HTTP trace ingest (`POST /v1/traces`, OpenTelemetry GenAI conventions):
 * agent runs become jobs and steps, LLM calls usage. JSON here; protobuf and
 * gzip arrive already turned into the same JSON (otlp-transcoder).
 */
export function otlpRoutes(deps: OtlpRoutesDeps): AnyRoute[] {
  const sender = new JobCommandSender({
    commands: deps.commands,
    natsPrefix: deps.natsPrefix,
    readYourWrites: deps.readYourWrites,
    ...(deps.commandTimeoutMs !== undefined ? { timeoutMs: deps.commandTimeoutMs } : {}),
  });

  return [
    defineRoute({
      operationId: 'ingestTraces',
      method: 'POST',
      path: '/v1/traces',
      summary: 'OTLP/HTTP trace export: GenAI spans become jobs, steps and usage',
      description:
        'Send an ExportTraceServiceRequest as application/json or application/x-protobuf, optionally with Content-Encoding: gzip. ' +
        'A person names the workspace with the X-Steward-Workspace header and needs a role there that may write jobs (a member, an admin, an owner); ' +
        'an API key writes into its own workspace, and a header naming another workspace is a 404. ' +
        'Re-sent spans change nothing (span ids are the idempotency keys). Spans that cannot be taken are counted in partialSuccess.',
      tags: ['jobs', 'usage'],
      permission: 'jobs.write',
      scope: 'none',
      tenantFrom: { workspace: { header: OTLP_WORKSPACE_HEADER }, workspaceRequired: true },
      body: OtlpTraceRequestSchema,
      headers: [{ name: 'Content-Encoding', description: 'gzip for a compressed body (JSON or protobuf); identity or none for a plain one', schema: z.enum(['gzip', 'identity']) }],
      openApi: {
        requestContent: { 'application/x-protobuf': { type: 'string', format: 'binary', description: 'An ExportTraceServiceRequest in protobuf' } },
        responseContent: { 200: { mediaType: 'application/x-protobuf', schema: { type: 'string', format: 'binary', description: 'The ExportTraceServiceResponse, in protobuf to a protobuf request' } } },
      },
      bodyLimitBytes: OTLP_BODY_LIMIT_BYTES,
      responses: { 200: OtlpTraceResponseSchema },
      handler: async ({ body, principal, workspaceId: named, requestId }) => {
        if (!principal) throw new GatewayError(GatewayErrorCode.Unauthenticated, 'this route needs an API key');
        // the pipeline resolved and authorized it: the header's workspace, else an API key's own
        if (named === undefined) throw new GatewayError(GatewayErrorCode.NotFound, 'no workspace for these spans');
        const workspaceId = named;
        const plan = planOtlpRequest(body);
        const problems: string[] = plan.rejected.map((item) => `span ${item.spanId}: ${item.reason}`);
        let rejectedSpans = plan.rejected.length;
        if (plan.jobs.length === 0 && plan.usage.length === 0) {
          return { status: 200, body: rejectedSpans > 0 ? { partialSuccess: { rejectedSpans, errorMessage: problems.join('; ').slice(0, 2000) } } : {} };
        }

        const caller = callerOf(principal);
        const issuedAt = (deps.now?.() ?? new Date()).toISOString();
        const target = (commandId: string) => ({ commandId, caller, organizationId: caller.organizationId, workspaceId, requestId, issuedAt });
        // a span re-sent is the same command: ids from the workspace, the job and the spans it carries
        const commandId = (jobId: string, what: string) => derivedUuid(`otlp\n${workspaceId}\n${jobId}\n${what}`);
        const send = <T extends JobCommandType>(type: T, payload: JobCommandInput<T>, what: string) =>
          sender.send(type, payload, target(commandId(payload.jobId, what)));

        const runJob = async (job: PlannedJob): Promise<void> => {
          if (job.start) await send('StartJob', { workspaceId, ...job.start }, 'start');
          for (let i = 0; i < job.steps.length; i += STEPS_PER_COMMAND) {
            const chunk = job.steps.slice(i, i + STEPS_PER_COMMAND);
            await send(
              'RecordJobSteps',
              { workspaceId, jobId: job.jobId, steps: chunk, ...(job.startIfMissing && i === 0 ? { startIfMissing: job.startIfMissing } : {}) },
              `steps:${hash(chunk.map((step) => step.stepId).join('\n'))}`,
            );
          }
          if (job.finish) await send('FinishJob', { workspaceId, ...job.finish }, `finish:${job.finish.status}`);
        };
        const outcomes = await Promise.allSettled(plan.jobs.map(runJob));
        outcomes.forEach((outcome, index) => {
          if (outcome.status === 'fulfilled') return;
          // a job the service refuses (finished differently before, …) is reported; anything else fails the export (it is retried)
          if (!(outcome.reason instanceof JobCommandError)) throw outcome.reason;
          rejectedSpans++;
          problems.push(`job ${plan.jobs[index]!.jobId}: ${outcome.reason.message}`);
        });

        if (plan.usage.length > 0) {
          const mayMeter = await allowed(deps.authorizer, principal, 'usage.write', workspaceId);
          const events: UsageEvent[] = [];
          for (const item of plan.usage) {
            const parsed = UsageEventSchema.safeParse(item);
            if (parsed.success) events.push(parsed.data);
            else {
              rejectedSpans++;
              problems.push(`span ${item.id}: usage ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join(', ')}`);
            }
          }
          if (!mayMeter) {
            problems.push(`${events.length} LLM span(s) not metered: the caller may not write usage (API key scope usage:write)`);
          } else if (events.length > 0) {
            const ids = events.map((event) => event.id).sort();
            await deps.usage.publish({
              batchId: derivedId('usageBatch', `otlp\n${workspaceId}\n${ids.join('\n')}`),
              workspaceId,
              organizationId: caller.organizationId,
              receivedAt: issuedAt,
              via: 'otlp',
              actor: `${caller.actor.type}:${caller.actor.id}`,
              events,
            });
          }
        }
        const partial = problems.length > 0 ? { partialSuccess: { rejectedSpans, errorMessage: problems.join('; ').slice(0, 2000) } } : {};
        return { status: 200, body: partial };
      },
    }),
  ];
}

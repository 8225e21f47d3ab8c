import { z } from 'zod';
import { GEN_AI_USAGE_ATTRIBUTES, MAX_USAGE_BATCH, UsageEventSchema, type UsageIngestPath } from '@steward/contracts';
import { mediaTypeOf } from '../../../body-reader';
import { GatewayError, GatewayErrorCode, type FieldError } from '../../../gateway.error';
import { fieldErrors } from '../../../request-validation';
import { defineRoute, type AnyRoute, type Authorizer, type Principal } from '../../../route';
import { callerOf } from '../../caller';
import { PathId } from '../../route-params';
import {
  CE_BINARY_HEADERS,
  CE_HEADER_PREFIX,
  CLOUDEVENT_MEDIA,
  CLOUDEVENTS_BATCH_MEDIA,
  JSON_MEDIA,
  LLM_USAGE_TYPE,
  LlmUsageCloudEventBatchSchema,
  LlmUsageCloudEventSchema,
  isBinaryMode,
  mapBinaryCloudEvent,
  mapCloudEvents,
  type MappedCloudEvent,
} from './cloudevents.mapping';
import { batchIdFor, type UsageIngestPublisher } from './usage-ingest.publisher';
import { validateUsageItems } from './usage-items.validation';

/** Room for 10,000 events of about 1 KiB each, and then some. */
export const USAGE_INGEST_BODY_LIMIT_BYTES = 16 * 1024 * 1024;

export interface UsageIngestRoutesDeps {
  readonly publisher: UsageIngestPublisher;
  /** The gateway's authorizer: a CloudEvent's `subject` names a workspace, checked like a `{wsId}` of a path. */
  readonly authorizer: Authorizer;
  /** Default now. */
  readonly now?: () => Date;
  /**
   * Refuses new usage of an organization whose credits are exhausted (billing's 402); resolves otherwise.
   * Omitted: no check.
   */
  readonly mayIngest?: (organizationId: string | undefined) => Promise<void>;
}

/** What the HTTP batch route checks itself before the items (each item is then judged alone). */
const BatchEnvelopeSchema = z.strictObject({ events: z.array(z.unknown()).min(1).max(MAX_USAGE_BATCH) });
/** The HTTP batch as documented. */
export const UsageBatchBodySchema = z.strictObject({ events: z.array(UsageEventSchema).min(1).max(MAX_USAGE_BATCH) });

export const UsageBatchAcceptedSchema = z.object({
  /** The id the batch was published under (its parts `<batchId>:<n>` when it was cut); the same for a retry with the same Idempotency-Key. */
  batchId: z.string(),
  accepted: z.number().int(),
  rejected: z.number().int(),
  errors: z.array(z.object({ index: z.number().int(), field: z.string(), reason: z.string() })),
});

function invalid(message: string, errors: ReadonlyArray<{ field: string; reason?: string; message?: string }>): GatewayError {
  return new GatewayError(GatewayErrorCode.Validation, message, {
    errors: errors.map((error): FieldError => ({ field: error.field, message: error.reason ?? error.message ?? 'invalid' })),
  });
}

function principalKeyOf(principal: Principal | undefined): string {
  return principal ? `${principal.kind}:${principal.id}` : 'anonymous';
}

/** The actor recorded with a batch: `api_key:<keyId>`, `user:<userId>`. */
function actorOf(principal: Principal | undefined): string | undefined {
  if (!principal) return undefined;
  const { actor } = callerOf(principal);
  return `${actor.type}:${actor.id}`;
}

function apiKeyWorkspace(principal: Principal | undefined): string | undefined {
  const value = principal?.kind === 'api_key' ? (principal as unknown as { workspaceId?: unknown }).workspaceId : undefined;
  return typeof value === 'string' ? value : undefined;
}

/**
 * A binary-mode event's attributes travel in its `ce-*` headers: they are part of
 * what an Idempotency-Key's fingerprint compares (the same data under another id
 * is another request). Empty for the structured modes, whose attributes are in the body.
 */
function binaryAttributesOf(headers: Readonly<Record<string, string | string[] | undefined>>): string {
  if (!isBinaryMode(headers, mediaTypeOf(headers['content-type'] as string | undefined))) return '';
  const attributes = Object.entries(headers)
    .filter(([name]) => name.startsWith(CE_HEADER_PREFIX))
    .map(([name, value]) => [name, Array.isArray(value) ? value.join(',') : value])
    .sort(([left], [right]) => (String(left) < String(right) ? -1 : 1));
  return JSON.stringify(attributes);
}

const GEN_AI_MAPPING = Object.entries(GEN_AI_USAGE_ATTRIBUTES)
  .map(([field, names]) => `${names.map((name) => `\`${name}\``).join(' else ')} → \`${field}\``)
  .join(', ');

/**
 * Usage ingest (DESIGN §3, §6): the HTTP batch and the OpenMeter-compatible
 * CloudEvents route. Both validate, publish the accepted events as one
 * UsageIngestBatch on JetStream and answer once JetStream has it on disk; the
 * usage-metering service prices and records them, counting each (workspace,
 * source, id) once. No database work here beyond authentication.
 */
export function usageIngestRoutes(deps: UsageIngestRoutesDeps): AnyRoute[] {
  const now = deps.now ?? (() => new Date());
  const publishFor = async (
    principal: Principal | undefined,
    workspaceId: string,
    events: MappedCloudEvent['event'][],
    via: UsageIngestPath,
    batchId: string,
    receivedAt: string,
  ): Promise<string[]> =>
    deps.publisher.publish({
      batchId,
      workspaceId,
      organizationId: principal ? callerOf(principal).organizationId : undefined,
      receivedAt,
      via,
      actor: actorOf(principal),
      events,
    });

  return [
    defineRoute<{ wsId: string }, Record<string, never>, unknown>({
      operationId: 'ingestUsage',
      method: 'POST',
      path: '/v1/workspaces/{wsId}/usage',
      summary: 'Record a batch of LLM calls (up to 10,000): 202 with the counts accepted and rejected',
      description: [
        'A JSON object `{ "events": [ … ] }` (a bare array is not accepted), 1 to 10,000 usage events in Steward\'s field names.',
        'Each event is validated on its own: the valid ones are accepted, each invalid one is listed in `errors` with its index, the field and the reason.',
        'When none is valid the answer is a 400 problem naming every bad field, and nothing is recorded.',
        'The answer comes once the accepted events are durably queued (JetStream): they survive a crash of any Steward process.',
        'An event is identified by (workspace, source, id): sent again — here, as a CloudEvent or over NATS, now or later — it is counted once.',
        'With an Idempotency-Key a retried request gets the first answer (a 429 or 503 is not kept: the retry runs again and publishes under the same batch id).',
        'A full ingest backlog answers 429 and an unavailable queue 503, both with Retry-After: retry the same request.',
        'An organization past its overdraft limit (credits exhausted, workspaces suspended) is answered 402 (BILLING_CREDITS_EXHAUSTED) until credits are added; nothing of the request is recorded.',
      ].join(' '),
      tags: ['usage'],
      permission: 'usage.write',
      scope: 'workspace',
      params: z.strictObject({ wsId: PathId }),
      rawBody: { content: { [JSON_MEDIA]: UsageBatchBodySchema } },
      bodyLimitBytes: USAGE_INGEST_BODY_LIMIT_BYTES,
      responses: { 202: UsageBatchAcceptedSchema },
      handler: async ({ params, body, principal, idempotencyKey }) => {
        const envelope = BatchEnvelopeSchema.safeParse(body);
        if (!envelope.success) {
          const errors = fieldErrors('body', envelope.error);
          throw invalid(`${errors.length} invalid field${errors.length === 1 ? '' : 's'}: ${errors.map((error) => error.field).join(', ')}`, errors);
        }
        const verdict = validateUsageItems(envelope.data.events, 'body.events');
        if (verdict.valid.length === 0) throw invalid(`none of the ${verdict.rejected} events is valid`, verdict.errors);
        await deps.mayIngest?.(principal ? callerOf(principal).organizationId : undefined);
        const receivedAt = now().toISOString();
        const batchId = batchIdFor(principalKeyOf(principal), `usage:${params.wsId}`, idempotencyKey);
        await publishFor(principal, params.wsId, verdict.valid, 'http', batchId, receivedAt);
        return { status: 202, body: { batchId, accepted: verdict.valid.length, rejected: verdict.rejected, errors: verdict.errors } };
      },
    }),
    defineRoute<Record<string, never>, Record<string, never>, unknown>({
      operationId: 'ingestCloudEvents',
      method: 'POST',
      path: '/api/v1/events',
      summary: 'Record LLM calls as CloudEvents of type llm.usage (OpenMeter-compatible ingest): 204',
      description: [
        `Structured mode: \`${CLOUDEVENT_MEDIA}\` (one event), \`${CLOUDEVENTS_BATCH_MEDIA}\` (an array, up to 10,000), \`${JSON_MEDIA}\` (one event or an array).`,
        `Binary mode (what the CloudEvents SDKs send by default): the attributes in \`ce-*\` headers (\`ce-specversion\`, \`ce-id\`, \`ce-source\`, \`ce-type\`, \`ce-subject\`, \`ce-time\`, …; percent-decoded as the HTTP binding says),`,
        `the body is \`data\` and its Content-Type must be \`${JSON_MEDIA}\` (another type is a 415 naming \`header.content-type\`); a bad header is a 400 naming it (\`header.ce-id\`).`,
        `CloudEvents 1.0 attributes: \`specversion\` "1.0", \`type\` "${LLM_USAGE_TYPE}" (the only type), \`id\` → the usage event's id, \`source\` → its source,`,
        '`time` → when the call happened (default: when received), `subject` → the workspace id (omitted: the API key\'s workspace; another workspace than the key\'s is a 404),',
        'optional `datacontenttype` (application/json), `dataschema`, `traceparent`, `tracestate`; `data` the call, in Steward\'s field names',
        `(provider, model, agent, inputTokens, …) and/or the OpenTelemetry GenAI names, the first present name winning (the same mapping as POST /v1/traces): ${GEN_AI_MAPPING}`,
        '(a quantity under a GenAI name and a Steward name is refused). Input tokens include the cached ones, output tokens the reasoning ones.',
        'All or nothing: one invalid event refuses the request with a 400 problem naming each bad field (`body.3.data.gen_ai.usage.input_tokens`).',
        '204 once the events are durably queued. A user token names the workspace of each event in `subject` and needs a role there that may record usage',
        '(a member, an admin, an owner; a person of several organizations records in the organization of each workspace). 429 / 503 with Retry-After as for the HTTP batch.',
      ].join(' '),
      tags: ['usage'],
      permission: 'usage.write',
      scope: 'none',
      headers: CE_BINARY_HEADERS,
      rawBody: {
        fingerprintHeaders: binaryAttributesOf,
        content: {
          // one structured event, the main form; the binary mode's body (the data alone) is described with the ce-* header parameters
          [JSON_MEDIA]: LlmUsageCloudEventSchema,
          [CLOUDEVENT_MEDIA]: LlmUsageCloudEventSchema,
          [CLOUDEVENTS_BATCH_MEDIA]: LlmUsageCloudEventBatchSchema,
        },
      },
      bodyLimitBytes: USAGE_INGEST_BODY_LIMIT_BYTES,
      responses: { 204: null },
      handler: async ({ body, principal, headers, idempotencyKey }) => {
        const receivedAt = now().toISOString();
        const media = mediaTypeOf(headers['content-type']);
        const verdict = isBinaryMode(headers, media) ? mapBinaryCloudEvent(headers, body, receivedAt) : mapCloudEvents(body, media, receivedAt, MAX_USAGE_BATCH);
        if (verdict.errors.length > 0) {
          throw invalid(`${verdict.errors.length} invalid field${verdict.errors.length === 1 ? '' : 's'}: ${verdict.errors.map((error) => error.field).join(', ')}`, verdict.errors);
        }
        const ownWorkspace = apiKeyWorkspace(principal);
        const byWorkspace = new Map<string, MappedCloudEvent['event'][]>();
        const missing: FieldError[] = [];
        for (const { subject, subjectField, event } of verdict.events) {
          const workspaceId = subject ?? ownWorkspace;
          if (workspaceId === undefined) {
            missing.push({ field: subjectField, message: 'required with a user token: the workspace id' });
            continue;
          }
          const list = byWorkspace.get(workspaceId) ?? [];
          list.push(event);
          byWorkspace.set(workspaceId, list);
        }
        if (missing.length > 0) throw new GatewayError(GatewayErrorCode.Validation, 'subject names the workspace', { errors: missing });
        // each subject is checked like a {wsId}; a person of several organizations records in the one of each workspace
        const actingIn = new Map<string, Principal>();
        for (const workspaceId of byWorkspace.keys()) {
          if (!principal) throw new GatewayError(GatewayErrorCode.NotFound, 'no such workspace');
          const check = { permission: 'usage.write', scope: 'workspace' as const, workspaceId };
          const acting = deps.authorizer.actingPrincipal ? await deps.authorizer.actingPrincipal(principal, check) : principal;
          const decision = await deps.authorizer.authorize(acting, check);
          if (decision === 'not-found') throw new GatewayError(GatewayErrorCode.NotFound, 'no such workspace');
          if (decision === 'forbidden') throw new GatewayError(GatewayErrorCode.Forbidden, 'you may not record usage in this workspace');
          actingIn.set(workspaceId, acting);
        }
        for (const acting of new Set(actingIn.values())) await deps.mayIngest?.(callerOf(acting).organizationId);
        const baseId = batchIdFor(principalKeyOf(principal), 'cloudevents', idempotencyKey);
        const several = byWorkspace.size > 1;
        await Promise.all(
          [...byWorkspace].map(([workspaceId, events]) =>
            publishFor(actingIn.get(workspaceId), workspaceId, events, 'cloudevents', several ? `${baseId}@${workspaceId}` : baseId, receivedAt),
          ),
        );
        return { status: 204 };
      },
    }),
  ];
}

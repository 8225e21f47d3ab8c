/**
 * The operators' view (GET /v1/ops/queues, retry and remove, GET /v1/ops/events) and the live stream's tickets
 * (POST /v1/organizations/{orgId}/stream-tickets), typed here until schema.generated.ts is regenerated from the
 * gateway's OpenAPI document (then these types come from it and this client goes). The shapes are the
 * gateway's (services/gateway/src/routes/ops/ops.routes.ts, services/gateway/src/live/live.routes.ts).
 */
import createClient from 'openapi-fetch';
import { authenticate } from './client';

export interface FailedJob {
  queue: string;
  id: string;
  name: string;
  error: string;
  attempts: number;
  failedAt: string | null;
  organizationId: string | null;
  workspaceId: string | null;
}

export interface OpsQueue {
  name: string;
  context: string;
  description: string;
  counts: { waiting: number; active: number; delayed: number; failed: number; completed: number };
  failedJobs: FailedJob[];
}

export interface OpsConsumer {
  stream: string;
  name: string;
  pending: number;
  ackPending: number;
  redelivered: number;
  deadLetters: number;
}

export interface DeadLetter {
  seq: number;
  consumer: string;
  reason: string;
  deadLetteredAt: string;
  originalSubject: string | null;
  deliveryCount: number | null;
}

export interface QuarantinedEvent {
  eventId: string;
  eventType: string;
  streamId: string;
  error: string;
  quarantinedAt: string;
}

export interface OpsProjection {
  name: string;
  state: 'running' | 'no runner';
  health: 'ok' | 'degraded';
  lagEvents: number;
  lagSeconds: number;
  eventsApplied: string;
  quarantined: number;
  /** A platform administrator's view only. */
  quarantine?: QuarantinedEvent[];
}

export interface OpsView {
  scope: 'platform' | 'organization';
  queues: OpsQueue[];
  consumers: OpsConsumer[];
  /** `items`: a platform administrator's view only. */
  deadLetters: { total: number; items?: DeadLetter[] };
  projections: OpsProjection[];
}

export interface OpsEvent {
  kind: 'job' | 'runtime-test';
  workspaceId: string;
  /** The job id, or the runtime id of a failed connection test. */
  id: string;
  /** The agent of a job, the name of a runtime. */
  name: string;
  error: string | null;
  failedAt: string;
}

export interface OpsEventPage {
  items: OpsEvent[];
  total: number;
  page: number;
  pageSize: number;
  pageCount: number;
}

export interface StreamTicket {
  ticket: string;
  expiresAt: string;
}

interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: Array<{ field: string; message: string }>;
}

type Json<T> = { content: { 'application/json': T } };
type QueueJob = { queue: string; jobId: string };

/** openapi-typescript's shape for the routes above. */
export interface OpsPaths {
  '/v1/ops/queues': { get: { responses: { 200: Json<OpsView>; default: Json<Problem> } } };
  '/v1/ops/jobs/retry': {
    post: { requestBody: Json<QueueJob>; responses: { 202: Json<{ queue: string; id: string; status: 'waiting' }>; default: Json<Problem> } };
  };
  '/v1/ops/jobs/remove': { post: { requestBody: Json<QueueJob>; responses: { 204: { content?: never }; default: Json<Problem> } } };
  '/v1/ops/events': {
    get: { parameters: { query?: { page?: number; pageSize?: number } }; responses: { 200: Json<OpsEventPage>; default: Json<Problem> } };
  };
  '/v1/organizations/{orgId}/stream-tickets': {
    post: { parameters: { path: { orgId: string } }; responses: { 201: Json<StreamTicket>; default: Json<Problem> } };
  };
}

export const opsApi = createClient<OpsPaths>({ baseUrl: window.location.origin });
opsApi.use(authenticate);

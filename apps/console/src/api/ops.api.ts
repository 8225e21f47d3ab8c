/**
 * The operators' view (GET /v1/ops/queues, /v1/ops/events, retry and remove) and the stream tickets of the
 * live Dashboard, typed by the generated schema and reached through the console's one client.
 */
import { api } from './client';
import type { AnswerOf } from './generated-types';

export type OpsView = AnswerOf<'getOpsQueues', 200>;
export type OpsQueue = OpsView['queues'][number];
export type FailedJob = OpsQueue['failedJobs'][number];
export type OpsConsumer = OpsView['consumers'][number];
export type DeadLetter = NonNullable<OpsView['deadLetters']['items']>[number];
export type OpsProjection = OpsView['projections'][number];
export type QuarantinedEvent = NonNullable<OpsProjection['quarantine']>[number];
export type OpsEventPage = AnswerOf<'listOpsEvents', 200>;
export type OpsEvent = OpsEventPage['items'][number];
export type StreamTicket = AnswerOf<'createStreamTicket', 201>;

export const opsApi = api;

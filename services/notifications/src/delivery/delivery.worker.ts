import { Queue, UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { metrics, type Counter } from '@opentelemetry/api';
import { notificationSecretOwner, type CommandEnvelope, type NotificationEventOf } from '@steward/contracts';
import type { Logger } from '@steward/observability';
import type { SecretStore } from '@steward/secrets';
import type { ChannelState } from '../channels/channel.decider';
import type { DeliveryJob, NotificationCommandRunner } from '../channels/notification-command.runner';
import { slackBody } from '../dispatch/message-renderer';
import type { EmailSender } from './email-sender';
import { postJson, type PostOutcome } from './http-post';
import type { MessageLog } from './message-log';
import { retryDelayMs } from './retry-schedule';
import type { TargetGuard } from './target-guard';
import { webhookHeaders } from './webhook-signature';

/** Queue and job names are constants: renaming a class must not strand queued messages. */
export const NotificationQueues = { Deliveries: 'notification-deliveries' } as const;
export const NotificationQueueJobs = { Deliver: 'deliver-notification' } as const;
const BACKOFF_TYPE = 'notification-schedule';

export interface DeliveryWorkerOptions {
  readonly connection: ConnectionOptions;
  /** BullMQ key prefix (`steward:bull`; tests use their Redis prefix). */
  readonly prefix: string;
  readonly runner: NotificationCommandRunner;
  readonly log: MessageLog;
  readonly secrets: SecretStore;
  readonly guard: TargetGuard;
  readonly logger: Logger;
  /** Delays between attempts (retry-schedule.ts); attempts in all: its length + 1. */
  readonly schedule: readonly number[];
  /** Null when no SMTP is configured: email channels then fail their attempts, saying so. */
  readonly email: EmailSender | null;
  readonly timeoutMs?: number;
  readonly concurrency?: number;
  readonly now?: () => Date;
}

type Queued = NotificationEventOf<'NotificationMessageQueued'>['data'];

/**
 * Delivery: one BullMQ job per message and round (job id = message id, `.r<n>` for the n-th resend),
 * so a replayed event or a resent command never queues a message twice. Each attempt is recorded
 * (NotificationDeliveryAttempted: status, latency, error) and retried on the schedule with jitter; a
 * 410 Gone from a webhook or Slack disables the channel (NotificationChannelDisabled) and ends the
 * message; after the last attempt the message is a dead letter (NotificationDeadLettered), counted
 * in `steward.notifications.dead_letters` and listed by the API.
 */
export class DeliveryWorker {
  private readonly queue: Queue;
  private worker: Worker | undefined;
  private readonly deadLetters: Counter;
  private readonly now: () => Date;

  constructor(private readonly options: DeliveryWorkerOptions) {
    this.queue = new Queue(NotificationQueues.Deliveries, { connection: options.connection, prefix: options.prefix });
    this.deadLetters = metrics.getMeter('steward-notifications').createCounter('steward.notifications.dead_letters', { description: 'Notification messages that will not be delivered (dead letters)' });
    this.now = options.now ?? (() => new Date());
  }

  get attempts(): number {
    return this.options.schedule.length + 1;
  }

  static jobIdOf(messageId: string, round: number): string {
    return round === 0 ? messageId : `${messageId}.r${round}`;
  }

  async enqueue(job: DeliveryJob): Promise<void> {
    await this.queue.add(NotificationQueueJobs.Deliver, job, {
      jobId: DeliveryWorker.jobIdOf(job.messageId, job.round),
      attempts: this.attempts,
      backoff: { type: BACKOFF_TYPE },
      // kept a week: a replay within it finds the job and adds nothing (the message's stream is the record after that)
      removeOnComplete: { age: 7 * 86_400 },
      removeOnFail: { age: 30 * 86_400 },
    });
  }

  async ping(): Promise<void> {
    await this.queue.isPaused();
  }

  start(): void {
    this.worker = new Worker(NotificationQueues.Deliveries, (job: Job<DeliveryJob>) => this.run(job), {
      connection: this.options.connection,
      prefix: this.options.prefix,
      concurrency: this.options.concurrency ?? 8,
      settings: { backoffStrategy: (attemptsMade: number) => retryDelayMs(this.options.schedule, attemptsMade) },
    });
    this.worker.on('error', (error) => this.options.logger.warn({ err: error }, 'notification worker error'));
  }

  /** One attempt of one round of one message. */
  async run(job: Job<DeliveryJob>): Promise<void> {
    const { messageId, round, channelId, organizationId } = job.data;
    const attempt = job.attemptsMade + 1;
    const message = (await this.options.runner.loadMessage(messageId)).state;
    if (!message.queued || message.round !== round || message.delivered || message.dead) return;
    const channel = (await this.options.runner.loadChannel(channelId)).state;
    if (channel.status !== 'enabled') {
      await this.dead(message.queued, round, channel.status === 'disabled' ? 'channel_disabled' : 'channel_deleted', attempt - 1, null);
      return;
    }
    const outcome = await this.deliver(channel, message.queued);
    const at = this.now().toISOString();
    const delivered = outcome.error === null;
    await this.options.log.record(
      {
        type: 'NotificationDeliveryAttempted',
        data: { organizationId, channelId, messageId, round, attempt, outcome: delivered ? 'delivered' : 'failed', statusCode: outcome.statusCode, latencyMs: outcome.latencyMs, error: outcome.error?.slice(0, 1000) ?? null, attemptedAt: at },
      },
      `attempt:${messageId}:${round}:${attempt}`,
      at,
    );
    this.options.logger.info({ messageId, channelId, kind: channel.kind, round, attempt, statusCode: outcome.statusCode, latencyMs: outcome.latencyMs, delivered }, 'notification attempt');
    if (delivered) return;
    if (outcome.statusCode === 410 && channel.kind !== 'email') {
      await this.disable(organizationId, channelId, messageId, at);
      await this.dead(message.queued, round, 'endpoint_gone', attempt, outcome.error);
      throw new UnrecoverableError(`the endpoint answered 410 Gone: channel ${channelId} disabled`);
    }
    if (attempt >= this.attempts) {
      await this.dead(message.queued, round, 'attempts_exhausted', attempt, outcome.error);
      throw new UnrecoverableError(`not delivered after ${attempt} attempts`);
    }
    throw new Error(outcome.error ?? 'not delivered');
  }

  private async deliver(channel: ChannelState, queued: Queued): Promise<PostOutcome> {
    const timeoutMs = this.options.timeoutMs ?? 15_000;
    const owner = notificationSecretOwner(channel.organizationId, channel.channelId);
    switch (channel.kind) {
      case 'webhook': {
        const now = this.now();
        const refs = [channel.secret?.ref, channel.previous && Date.parse(channel.previous.validUntil) > now.getTime() ? channel.previous.ref : undefined].filter((ref): ref is string => ref !== undefined);
        const values = await this.options.secrets.getMany(refs, owner);
        const secrets = refs.map((ref) => values.get(ref)).filter((value): value is string => value !== undefined);
        if (secrets.length === 0 || channel.url === null) return { statusCode: null, latencyMs: 0, error: 'the channel has no signing secret' };
        const body = JSON.stringify(queued.payload);
        return postJson(this.options.guard, channel.url, body, webhookHeaders(secrets, queued.messageId, now, body), timeoutMs);
      }
      case 'slack': {
        const url = channel.secret ? await this.options.secrets.get(channel.secret.ref, owner) : undefined;
        if (!url) return { statusCode: null, latencyMs: 0, error: 'the channel has no Slack webhook URL' };
        return postJson(this.options.guard, url, JSON.stringify(slackBody(queued.payload)), {}, timeoutMs);
      }
      case 'email':
        if (!this.options.email) return { statusCode: null, latencyMs: 0, error: 'no SMTP server is configured (SMTP_URL)' };
        return this.options.email.send(channel.recipients, queued.payload, queued.messageId);
      default: {
        const _exhaustive: never = channel.kind;
        return { statusCode: null, latencyMs: 0, error: `unknown channel kind ${String(_exhaustive)}` };
      }
    }
  }

  private async disable(organizationId: string, channelId: string, messageId: string, at: string): Promise<void> {
    const envelope: CommandEnvelope = {
      commandId: `notification-disable:${channelId}:${messageId}`,
      type: 'DisableNotificationChannel',
      actor: { type: 'system', id: 'notifications' },
      organizationId,
      correlationId: messageId,
      causationId: messageId,
      issuedAt: at,
      payload: { organizationId, channelId, statusCode: 410, messageId },
    };
    await this.options.runner.execute('DisableNotificationChannel', envelope);
    this.options.logger.warn({ channelId, messageId }, 'notification channel disabled: the endpoint answered 410 Gone');
  }

  private async dead(queued: Queued, round: number, reason: 'attempts_exhausted' | 'endpoint_gone' | 'channel_disabled' | 'channel_deleted', attempts: number, lastError: string | null): Promise<void> {
    const at = this.now().toISOString();
    const written = await this.options.log.record(
      {
        type: 'NotificationDeadLettered',
        data: { organizationId: queued.organizationId, channelId: queued.channelId, messageId: queued.messageId, round, reason, attempts, lastError: lastError?.slice(0, 1000) ?? null, deadAt: at },
      },
      `dead:${queued.messageId}:${round}`,
      at,
    );
    if (written) this.deadLetters.add(1, { reason });
    this.options.logger.warn({ messageId: queued.messageId, channelId: queued.channelId, round, reason, attempts }, 'notification dead-lettered');
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
  }
}

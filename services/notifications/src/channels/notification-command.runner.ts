import { CommandRunner, type LoadedStream } from '@steward/commands';
import {
  NOTIFICATION_TEST_TYPE,
  NotificationCommandPayloads,
  NotificationStreams,
  eventIdFor,
  notificationEventRegistry,
  notificationSecretOwner,
  type CommandEnvelope,
  type NotificationChannelEvent,
  type NotificationCommandAnswer,
  type NotificationCommandPayload,
  type NotificationCommandType,
  type NotificationMessageEvent,
  type SecretReference,
} from '@steward/contracts';
import type { EventStore } from '@steward/event-store';
import { SecretsError, maskSecret, secretRefFor, type SecretStore } from '@steward/secrets';
import { TargetRefusedError, type TargetGuard } from '../delivery/target-guard';
import { newWebhookSecret } from '../delivery/webhook-signature';
import { channelDecider, type ChannelDecisionContext, type ChannelRequest, type ChannelState } from './channel.decider';
import { messageFold, type MessageState } from './message.fold';
import type { NotificationAuthorizer } from './notification-access';
import { NotificationError, NotificationErrorCode } from './notification.error';

/** What the delivery queue is given for one round of one message (the worker reads the rest from the store). */
export interface DeliveryJob {
  readonly organizationId: string;
  readonly channelId: string;
  readonly messageId: string;
  readonly round: number;
}

/** The commands the runner carries out: the NATS ones, and the worker's in-process one. */
export type NotificationRunnerCommand = NotificationCommandType | 'DisableNotificationChannel';

export interface NotificationCommandRunnerOptions {
  readonly store: EventStore;
  readonly secrets: SecretStore;
  readonly authorize: NotificationAuthorizer;
  readonly guard: TargetGuard;
  /** Whether a workspace belongs to the organization (a channel scoped to another's workspace is refused). */
  readonly workspaceIn: (organizationId: string, workspaceId: string) => Promise<boolean>;
  /** Puts a round of a message on the delivery queue (idempotent per message and round). */
  readonly enqueue: (job: DeliveryJob) => Promise<void>;
  /** How long a rotated-out signing secret still signs. Default 24 h. */
  readonly secretOverlapMs?: number;
  readonly maxAttempts?: number;
}

type LoadedChannel = LoadedStream<ChannelState>;
type LoadedMessage = LoadedStream<MessageState>;

const DAY_MS = 86_400_000;

/**
 * Carries out the notifications context's commands with @steward/commands'
 * runner: parse, authorize (the team's own facts), check targets against the
 * SSRF guard, write secrets before the events that refer to them, decide,
 * append at the expected revision with event ids derived from the command id.
 * A webhook's signing secret is made here (random, never in an event) and
 * answered once; a resent command answers the same secret again.
 */
export class NotificationCommandRunner {
  private readonly commands: CommandRunner<NotificationErrorCode>;

  constructor(private readonly options: NotificationCommandRunnerOptions) {
    this.commands = new CommandRunner({
      store: options.store,
      registry: notificationEventRegistry,
      errors: NotificationError,
      codes: NotificationErrorCode,
      maxAttempts: options.maxAttempts ?? 8,
      refusalOf: (error) => (error instanceof SecretsError ? new NotificationError(NotificationErrorCode.Unavailable, `secret store: ${error.code}`) : undefined),
    });
  }

  /** For NATS handlers: refusals become RpcExceptions carrying the error body. */
  run(type: NotificationCommandType, raw: unknown): Promise<NotificationCommandAnswer> {
    return this.commands.handle(type, raw, (envelope) => this.execute(type, envelope));
  }

  loadChannel(channelId: string): Promise<LoadedChannel> {
    return this.commands.load(NotificationStreams.channel(channelId), channelDecider as never) as Promise<LoadedChannel>;
  }

  loadMessage(messageId: string): Promise<LoadedMessage> {
    return this.commands.load(NotificationStreams.message(messageId), messageFold as never) as Promise<LoadedMessage>;
  }

  /** In-process callers (the delivery worker) and the handlers. */
  async execute(type: NotificationRunnerCommand, envelope: CommandEnvelope): Promise<NotificationCommandAnswer> {
    if (type === 'DisableNotificationChannel') {
      const payload = envelope.payload as { organizationId: string; channelId: string; statusCode: number; messageId: string };
      await this.options.authorize(envelope, payload.organizationId, { action: 'notifications.write', systemOnly: true });
      return this.commitChannel(envelope, this.context(envelope, payload.organizationId), { type, channelId: payload.channelId, statusCode: payload.statusCode, messageId: payload.messageId });
    }
    // never echoed on a refusal: a Slack URL is a secret
    const payload = this.commands.parsePayload(type, NotificationCommandPayloads[type], envelope) as NotificationCommandPayload<NotificationCommandType>;
    await this.options.authorize(envelope, payload.organizationId, { action: 'notifications.write' });
    const context = this.context(envelope, payload.organizationId);
    switch (type) {
      case 'CreateNotificationChannel':
        return this.create(envelope, context, payload as NotificationCommandPayload<'CreateNotificationChannel'>);
      case 'UpdateNotificationChannel':
        return this.update(envelope, context, payload as NotificationCommandPayload<'UpdateNotificationChannel'>);
      case 'RotateNotificationSecret':
        return this.rotate(envelope, context, (payload as NotificationCommandPayload<'RotateNotificationSecret'>).channelId);
      case 'DeleteNotificationChannel': {
        const { channelId } = payload as NotificationCommandPayload<'DeleteNotificationChannel'>;
        const answer = await this.commitChannel(envelope, context, { type, channelId });
        // deleting the owner deletes its secrets (again on a resent command: finishes a crashed first attempt)
        await this.options.secrets.deleteOwner(notificationSecretOwner(context.organizationId, channelId));
        return answer;
      }
      case 'SendTestNotification':
        return this.sendTest(envelope, context, payload as NotificationCommandPayload<'SendTestNotification'>);
      case 'ResendNotification':
        return this.resend(envelope, context, (payload as NotificationCommandPayload<'ResendNotification'>).messageId);
      default:
        throw new NotificationError(NotificationErrorCode.InvalidCommand, `unknown command ${String(type)}`);
    }
  }

  private context(envelope: CommandEnvelope, organizationId: string): ChannelDecisionContext {
    return { organizationId, actorId: envelope.actor.id, at: envelope.issuedAt };
  }

  private async checkTarget(url: string): Promise<void> {
    try {
      await this.options.guard.addressesFor(url);
    } catch (error) {
      if (error instanceof TargetRefusedError) throw new NotificationError(NotificationErrorCode.TargetRefused, `url refused: ${error.message}`, 'url');
      throw error;
    }
  }

  private async checkWorkspace(organizationId: string, workspaceId: string | null | undefined): Promise<void> {
    if (workspaceId && !(await this.options.workspaceIn(organizationId, workspaceId))) {
      throw new NotificationError(NotificationErrorCode.InvalidCommand, `no workspace ${workspaceId} in this organization`, 'workspaceId');
    }
  }

  /**
   * Stores `value` at the ref derived from the command (a resent command finds the value it stored the
   * first time and keeps it: a webhook secret answered twice is the same secret).
   */
  private async putSecret(owner: string, ref: string, value: () => string): Promise<{ reference: SecretReference; value: string }> {
    const stored = await this.options.secrets.get(ref, owner);
    const secret = stored ?? value();
    if (stored === undefined) await this.options.secrets.put({ ref, owner, value: secret });
    return { reference: { ref, hint: maskSecret(secret) }, value: secret };
  }

  private async create(envelope: CommandEnvelope, context: ChannelDecisionContext, p: NotificationCommandPayload<'CreateNotificationChannel'>): Promise<NotificationCommandAnswer> {
    await this.checkWorkspace(context.organizationId, p.workspaceId);
    if (p.url !== undefined) await this.checkTarget(p.url);
    const owner = notificationSecretOwner(context.organizationId, p.channelId);
    const ref = secretRefFor('notification-channel', context.organizationId, p.channelId, 'secret', envelope.commandId);
    let secret: { reference: SecretReference; value: string } | undefined;
    if (p.kind === 'webhook') secret = await this.putSecret(owner, ref, newWebhookSecret);
    if (p.kind === 'slack') secret = await this.putSecret(owner, ref, () => p.url!);
    const request: ChannelRequest = {
      type: 'CreateNotificationChannel',
      channelId: p.channelId,
      workspaceId: p.workspaceId ?? null,
      name: p.name,
      kind: p.kind,
      url: p.kind === 'webhook' ? p.url! : null,
      recipients: p.recipients ?? [],
      events: p.events,
      secret: secret?.reference ?? null,
    };
    try {
      const answer = await this.commitChannel(envelope, context, request);
      return { ...answer, ...(secret ? { secretHint: secret.reference.hint } : {}), ...(p.kind === 'webhook' && secret ? { secret: secret.value } : {}) };
    } catch (error) {
      if (secret) await this.options.secrets.delete(ref, owner).catch(() => undefined);
      throw error;
    }
  }

  private async update(envelope: CommandEnvelope, context: ChannelDecisionContext, p: NotificationCommandPayload<'UpdateNotificationChannel'>): Promise<NotificationCommandAnswer> {
    await this.checkWorkspace(context.organizationId, p.workspaceId);
    if (p.url !== undefined) await this.checkTarget(p.url);
    const current = (await this.loadChannel(p.channelId)).state;
    const owner = notificationSecretOwner(context.organizationId, p.channelId);
    let slackSecret: SecretReference | undefined;
    // a Slack channel's URL is its secret: a new URL is a new secret, the old one goes once the event is stored
    if (p.url !== undefined && current.kind === 'slack' && current.organizationId === context.organizationId) {
      const ref = secretRefFor('notification-channel', context.organizationId, p.channelId, 'secret', envelope.commandId);
      slackSecret = (await this.putSecret(owner, ref, () => p.url!)).reference;
    }
    const { organizationId: _org, url, ...changes } = p;
    const request: ChannelRequest = {
      ...changes,
      type: 'UpdateNotificationChannel',
      // an email channel's url is refused by the decider; a Slack one's became the secret above
      ...(current.kind !== 'slack' && url !== undefined ? { url } : {}),
      ...(slackSecret ? { secret: slackSecret } : {}),
    };
    const answer = await this.commitChannel(envelope, context, request);
    const replaced = current.secret?.ref;
    if (slackSecret && answer.changed && replaced && replaced !== slackSecret.ref) await this.options.secrets.delete(replaced, owner);
    return { ...answer, ...(slackSecret ? { secretHint: slackSecret.hint } : {}) };
  }

  private async rotate(envelope: CommandEnvelope, context: ChannelDecisionContext, channelId: string): Promise<NotificationCommandAnswer> {
    const current = (await this.loadChannel(channelId)).state;
    if (current.organizationId !== context.organizationId || (current.status !== 'enabled' && current.status !== 'disabled')) {
      throw new NotificationError(NotificationErrorCode.NotFound, `no notification channel ${channelId}`);
    }
    if (current.kind !== 'webhook') throw new NotificationError(NotificationErrorCode.InvalidState, `a ${current.kind} channel has no signing secret to rotate`);
    const owner = notificationSecretOwner(context.organizationId, channelId);
    const ref = secretRefFor('notification-channel', context.organizationId, channelId, 'secret', envelope.commandId);
    const secret = await this.putSecret(owner, ref, newWebhookSecret);
    const validUntil = new Date(Date.parse(context.at) + (this.options.secretOverlapMs ?? DAY_MS)).toISOString();
    // the secret two rotations back stops signing now
    const retired = current.previous?.ref;
    const answer = await this.commitChannel(envelope, context, { type: 'RotateNotificationSecret', channelId, secret: secret.reference, previousValidUntil: validUntil });
    if (retired && retired !== secret.reference.ref && !answer.replayed) await this.options.secrets.delete(retired, owner);
    return { ...answer, secret: secret.value, secretHint: secret.reference.hint };
  }

  private async sendTest(envelope: CommandEnvelope, context: ChannelDecisionContext, p: NotificationCommandPayload<'SendTestNotification'>): Promise<NotificationCommandAnswer> {
    const channel = await this.enabledChannel(context, p.channelId);
    const answer = await this.commands.commit<LoadedMessage, NotificationMessageEvent>(envelope, {
      load: () => this.loadMessage(p.messageId),
      streams: (loaded) => [loaded],
      decide: (loaded) =>
        loaded.state.queued
          ? []
          : [
              {
                type: 'NotificationMessageQueued',
                data: {
                  organizationId: context.organizationId,
                  channelId: p.channelId,
                  messageId: p.messageId,
                  workspaceId: channel.workspaceId,
                  kind: channel.kind,
                  sourceEventId: null,
                  payload: { type: NOTIFICATION_TEST_TYPE, timestamp: context.at, data: { channelId: p.channelId, channelName: channel.name, message: 'A test notification from Steward.' } },
                  queuedAt: context.at,
                },
              },
            ],
      scopeOf: () => ({ organizationId: context.organizationId }),
    });
    await this.options.enqueue({ organizationId: context.organizationId, channelId: p.channelId, messageId: p.messageId, round: 0 });
    return { ...answer, messageId: p.messageId };
  }

  private async resend(envelope: CommandEnvelope, context: ChannelDecisionContext, messageId: string): Promise<NotificationCommandAnswer> {
    let round = 0;
    let channelId = '';
    const answer = await this.commands.commit<LoadedMessage, NotificationMessageEvent>(envelope, {
      load: () => this.loadMessage(messageId),
      streams: (loaded) => [loaded],
      decide: async (loaded) => {
        const { queued } = loaded.state;
        if (!queued || queued.organizationId !== context.organizationId) throw new NotificationError(NotificationErrorCode.NotFound, `no notification message ${messageId}`);
        channelId = queued.channelId;
        await this.enabledChannel(context, queued.channelId);
        round = loaded.state.round + 1;
        return [{ type: 'NotificationResendRequested', data: { organizationId: context.organizationId, channelId, messageId, round, requestedBy: context.actorId, requestedAt: context.at } }];
      },
      scopeOf: () => ({ organizationId: context.organizationId }),
    });
    if (answer.replayed) {
      // the round this command asked for: the one its event recorded
      const history = await this.options.store.readStream(NotificationStreams.message(messageId));
      const mine = history.find((event) => event.eventId === eventIdFor(envelope.commandId, 0));
      const data = mine?.data as { round?: number; channelId?: string } | undefined;
      round = data?.round ?? round;
      channelId = data?.channelId ?? channelId;
    }
    await this.options.enqueue({ organizationId: context.organizationId, channelId, messageId, round });
    return { ...answer, messageId };
  }

  private async enabledChannel(context: ChannelDecisionContext, channelId: string): Promise<ChannelState> {
    const channel = (await this.loadChannel(channelId)).state;
    if (channel.organizationId !== context.organizationId || (channel.status !== 'enabled' && channel.status !== 'disabled')) {
      throw new NotificationError(NotificationErrorCode.NotFound, `no notification channel ${channelId}`);
    }
    if (channel.status === 'disabled') throw new NotificationError(NotificationErrorCode.InvalidState, 'the channel is disabled: enable it first (PATCH enabled: true)');
    return channel;
  }

  private commitChannel(envelope: CommandEnvelope, context: ChannelDecisionContext, request: ChannelRequest): Promise<NotificationCommandAnswer> {
    return this.commands.commit<LoadedChannel, NotificationChannelEvent>(envelope, {
      load: () => this.loadChannel(request.channelId),
      streams: (loaded) => [loaded],
      decide: (loaded) => channelDecider.decide({ ...request, context }, loaded.state),
      scopeOf: () => ({ organizationId: context.organizationId }),
    });
  }
}

import type { Kysely } from 'kysely';
import type { NotificationChannelKind, NotificationEventType } from '@steward/contracts';
import { NOTIFICATIONS_SCHEMA } from './notifications.projection';
import type { NotificationAttemptRow, NotificationChannelRow, NotificationMessageRow, NotificationMessageStatus, NotificationsDB } from './notifications.tables';

/** A channel as the API shows it: its secret only as a masked hint. */
export interface NotificationChannelView {
  readonly id: string;
  readonly organizationId: string;
  readonly workspaceId: string | null;
  readonly name: string;
  readonly kind: NotificationChannelKind;
  /** A webhook's endpoint; null for Slack (its URL is a secret) and email. */
  readonly url: string | null;
  readonly recipients: readonly string[];
  readonly events: readonly NotificationEventType[];
  /** `••••abcd`: a webhook's signing secret or a Slack URL; null for email. */
  readonly secretHint: string | null;
  /** After a rotation: until when the previous signing secret still signs (null when none does). */
  readonly previousSecretValidUntil: string | null;
  readonly enabled: boolean;
  readonly disabledReason: string | null;
  readonly disabledAt: string | null;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface NotificationAttemptView {
  readonly round: number;
  readonly attempt: number;
  readonly outcome: 'delivered' | 'failed';
  readonly statusCode: number | null;
  readonly latencyMs: number;
  readonly error: string | null;
  readonly attemptedAt: string;
}

/** One line of the delivery log: a logical message and its attempts. */
export interface NotificationMessageView {
  readonly id: string;
  readonly organizationId: string;
  readonly channelId: string;
  readonly workspaceId: string | null;
  readonly kind: NotificationChannelKind;
  readonly eventType: string;
  readonly sourceEventId: string | null;
  readonly status: NotificationMessageStatus;
  /** 0, or how many times it was resent. */
  readonly round: number;
  readonly attemptCount: number;
  readonly lastStatusCode: number | null;
  readonly lastLatencyMs: number | null;
  readonly lastError: string | null;
  readonly lastAttemptAt: string | null;
  readonly deliveredAt: string | null;
  readonly deadReason: string | null;
  readonly deadAt: string | null;
  readonly queuedAt: string;
  readonly attempts: readonly NotificationAttemptView[];
}

export interface Page<T> {
  readonly items: T[];
  readonly total: number;
  readonly page: number;
  readonly pageSize: number;
  readonly pageCount: number;
}

export interface PageQuery {
  readonly page: number;
  readonly pageSize: number;
}

const iso = (value: Date | string | null): string | null => (value === null ? null : new Date(value).toISOString());

function channelView(row: NotificationChannelRow): NotificationChannelView {
  const validUntil = iso(row.previous_secret_valid_until);
  return {
    id: row.channel_id,
    organizationId: row.organization_id,
    workspaceId: row.workspace_id,
    name: row.name,
    kind: row.kind,
    url: row.url,
    recipients: row.recipients,
    events: row.events,
    secretHint: row.secret_hint,
    previousSecretValidUntil: validUntil !== null && Date.parse(validUntil) > Date.now() ? validUntil : null,
    enabled: row.status === 'enabled',
    disabledReason: row.disabled_reason,
    disabledAt: iso(row.disabled_at),
    createdBy: row.created_by,
    createdAt: iso(row.created_at)!,
    updatedAt: iso(row.updated_at)!,
  };
}

function attemptView(row: NotificationAttemptRow): NotificationAttemptView {
  return { round: row.round, attempt: row.attempt, outcome: row.outcome, statusCode: row.status_code, latencyMs: row.latency_ms, error: row.error, attemptedAt: iso(row.attempted_at)! };
}

function messageView(row: NotificationMessageRow, attempts: NotificationAttemptView[]): NotificationMessageView {
  return {
    id: row.message_id,
    organizationId: row.organization_id,
    channelId: row.channel_id,
    workspaceId: row.workspace_id,
    kind: row.kind,
    eventType: row.event_type,
    sourceEventId: row.source_event_id,
    status: row.status,
    round: row.round,
    attemptCount: row.attempts,
    lastStatusCode: row.last_status_code,
    lastLatencyMs: row.last_latency_ms,
    lastError: row.last_error,
    lastAttemptAt: iso(row.last_attempt_at),
    deliveredAt: iso(row.delivered_at),
    deadReason: row.dead_reason,
    deadAt: iso(row.dead_at),
    queuedAt: iso(row.queued_at)!,
    attempts,
  };
}

function paged<T>(items: T[], total: number, query: PageQuery): Page<T> {
  return { items, total, page: query.page, pageSize: query.pageSize, pageCount: Math.ceil(total / query.pageSize) };
}

/** Reads of the notifications read model; every query takes the organization first (another's channel is not found). */
export class NotificationReadRepository {
  private readonly db: Kysely<NotificationsDB>;

  constructor(db: Kysely<unknown>) {
    this.db = (db as Kysely<NotificationsDB>).withSchema(NOTIFICATIONS_SCHEMA);
  }

  async listChannels(organizationId: string, query: PageQuery): Promise<Page<NotificationChannelView>> {
    const [rows, count] = await Promise.all([
      this.db
        .selectFrom('notification_channels')
        .selectAll()
        .where('organization_id', '=', organizationId)
        .orderBy('created_at')
        .orderBy('channel_id')
        .limit(query.pageSize)
        .offset((query.page - 1) * query.pageSize)
        .execute(),
      this.db.selectFrom('notification_channels').select((eb) => eb.fn.countAll<string>().as('n')).where('organization_id', '=', organizationId).executeTakeFirstOrThrow(),
    ]);
    return paged(rows.map(channelView), Number(count.n), query);
  }

  async channel(organizationId: string, channelId: string): Promise<NotificationChannelView | undefined> {
    const row = await this.db.selectFrom('notification_channels').selectAll().where('organization_id', '=', organizationId).where('channel_id', '=', channelId).executeTakeFirst();
    return row ? channelView(row) : undefined;
  }

  /** The delivery log, newest first: of one channel, or of the organization; optionally by status (`dead`: the dead letters). */
  async deliveries(organizationId: string, filter: { readonly channelId?: string; readonly status?: NotificationMessageStatus }, query: PageQuery): Promise<Page<NotificationMessageView>> {
    let rows = this.db.selectFrom('notification_messages').where('organization_id', '=', organizationId);
    if (filter.channelId !== undefined) rows = rows.where('channel_id', '=', filter.channelId);
    if (filter.status !== undefined) rows = rows.where('status', '=', filter.status);
    const [page, count] = await Promise.all([
      rows
        .selectAll()
        .orderBy('queued_at', 'desc')
        .orderBy('message_id', 'desc')
        .limit(query.pageSize)
        .offset((query.page - 1) * query.pageSize)
        .execute(),
      rows.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
    ]);
    const attempts = await this.attemptsOf(organizationId, page.map((row) => row.message_id));
    return paged(
      page.map((row) => messageView(row, attempts.get(row.message_id) ?? [])),
      Number(count.n),
      query,
    );
  }

  async message(organizationId: string, messageId: string): Promise<NotificationMessageView | undefined> {
    const row = await this.db.selectFrom('notification_messages').selectAll().where('organization_id', '=', organizationId).where('message_id', '=', messageId).executeTakeFirst();
    if (!row) return undefined;
    return messageView(row, (await this.attemptsOf(organizationId, [messageId])).get(messageId) ?? []);
  }

  /** Dead letters in every organization (ops), by reason. */
  async deadLetterCounts(): Promise<Record<string, number>> {
    const rows = await this.db.selectFrom('notification_messages').select(['dead_reason', (eb) => eb.fn.countAll<string>().as('n')]).where('status', '=', 'dead').groupBy('dead_reason').execute();
    return Object.fromEntries(rows.map((row) => [row.dead_reason ?? 'unknown', Number(row.n)]));
  }

  private async attemptsOf(organizationId: string, messageIds: string[]): Promise<Map<string, NotificationAttemptView[]>> {
    const byMessage = new Map<string, NotificationAttemptView[]>();
    if (messageIds.length === 0) return byMessage;
    const rows = await this.db
      .selectFrom('notification_attempts')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .where('message_id', 'in', messageIds)
      .orderBy('message_id')
      .orderBy('round')
      .orderBy('attempt')
      .execute();
    for (const row of rows) {
      const list = byMessage.get(row.message_id) ?? [];
      list.push(attemptView(row));
      byMessage.set(row.message_id, list);
    }
    return byMessage;
  }
}

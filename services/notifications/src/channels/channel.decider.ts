import type { NotificationChannelEvent, NotificationChannelKind, NotificationEventType, PreviousSecret, SecretReference } from '@steward/contracts';
import { NotificationError, NotificationErrorCode } from './notification.error';

/** Who decides, for which organization, when (no clock in the decider). */
export interface ChannelDecisionContext {
  readonly organizationId: string;
  readonly actorId: string;
  readonly at: string;
}

export interface ChannelConfiguration {
  readonly workspaceId: string | null;
  readonly name: string;
  readonly kind: NotificationChannelKind;
  readonly url: string | null;
  readonly recipients: readonly string[];
  readonly events: readonly NotificationEventType[];
  readonly secret: SecretReference | null;
}

export interface ChannelState extends ChannelConfiguration {
  readonly status: 'none' | 'enabled' | 'disabled' | 'deleted';
  readonly organizationId: string;
  readonly channelId: string;
  readonly previous: PreviousSecret | null;
}

export type ChannelRequest =
  | ({ readonly type: 'CreateNotificationChannel'; readonly channelId: string } & ChannelConfiguration)
  | {
      readonly type: 'UpdateNotificationChannel';
      readonly channelId: string;
      readonly workspaceId?: string | null;
      readonly name?: string;
      readonly url?: string;
      readonly recipients?: readonly string[];
      readonly events?: readonly NotificationEventType[];
      readonly enabled?: boolean;
      /** A Slack channel's new URL, already stored encrypted. */
      readonly secret?: SecretReference;
    }
  | { readonly type: 'RotateNotificationSecret'; readonly channelId: string; readonly secret: SecretReference; readonly previousValidUntil: string }
  | { readonly type: 'DisableNotificationChannel'; readonly channelId: string; readonly statusCode: number; readonly messageId: string }
  | { readonly type: 'DeleteNotificationChannel'; readonly channelId: string };

export type ChannelCommand = ChannelRequest & { readonly context: ChannelDecisionContext };

export const initialChannelState: ChannelState = {
  status: 'none',
  organizationId: '',
  channelId: '',
  workspaceId: null,
  name: '',
  kind: 'webhook',
  url: null,
  recipients: [],
  events: [],
  secret: null,
  previous: null,
};

function configurationOf(state: ChannelState): ChannelConfiguration {
  const { workspaceId, name, kind, url, recipients, events, secret } = state;
  return { workspaceId, name, kind, url, recipients, events, secret };
}

function sameList<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}

/** One channel (stream `notifications-channel-<id>`): its configuration, subscriptions, secrets and whether it sends. */
export const channelDecider = {
  initialState: initialChannelState,

  decide(command: ChannelCommand, state: ChannelState): NotificationChannelEvent[] {
    const { context } = command;
    const exists = state.status === 'enabled' || state.status === 'disabled';
    // another organization's channel is not there (the tenant wall)
    if (command.type !== 'CreateNotificationChannel' && (!exists || state.organizationId !== context.organizationId)) {
      if (command.type === 'DeleteNotificationChannel' && state.status === 'deleted' && state.organizationId === context.organizationId) return [];
      throw new NotificationError(NotificationErrorCode.NotFound, `no notification channel ${command.channelId}`);
    }
    const ids = { organizationId: context.organizationId, channelId: command.channelId };
    switch (command.type) {
      case 'CreateNotificationChannel': {
        if (state.status !== 'none') throw new NotificationError(NotificationErrorCode.Exists, `notification channel ${command.channelId} exists`);
        const { workspaceId, name, kind, url, recipients, events, secret } = command;
        return [
          {
            type: 'NotificationChannelCreated',
            data: { ...ids, workspaceId, name, kind, url, recipients: [...recipients], events: [...events], secret, createdBy: context.actorId, createdAt: context.at },
          },
        ];
      }
      case 'UpdateNotificationChannel': {
        if (command.url !== undefined && state.kind === 'email') throw new NotificationError(NotificationErrorCode.InvalidCommand, 'an email channel has no url', 'url');
        if (command.recipients !== undefined && state.kind !== 'email') throw new NotificationError(NotificationErrorCode.InvalidCommand, `a ${state.kind} channel has no recipients`, 'recipients');
        const next: ChannelConfiguration = {
          workspaceId: command.workspaceId !== undefined ? command.workspaceId : state.workspaceId,
          name: command.name ?? state.name,
          kind: state.kind,
          // a Slack URL is a secret: it changes through `secret`, never `url`
          url: state.kind === 'webhook' ? (command.url ?? state.url) : null,
          recipients: command.recipients ? [...command.recipients] : [...state.recipients],
          events: command.events ? [...command.events] : [...state.events],
          secret: command.secret ?? state.secret,
        };
        const enabled = command.enabled ?? state.status === 'enabled';
        const before = configurationOf(state);
        const unchanged =
          next.workspaceId === before.workspaceId &&
          next.name === before.name &&
          next.url === before.url &&
          sameList(next.recipients, before.recipients) &&
          sameList(next.events, before.events) &&
          next.secret?.ref === before.secret?.ref &&
          enabled === (state.status === 'enabled');
        if (unchanged) return [];
        return [
          {
            type: 'NotificationChannelChanged',
            data: { ...ids, ...next, recipients: [...next.recipients], events: [...next.events], enabled, changedBy: context.actorId, changedAt: context.at },
          },
        ];
      }
      case 'RotateNotificationSecret': {
        if (state.kind !== 'webhook' || state.secret === null) {
          throw new NotificationError(NotificationErrorCode.InvalidState, `a ${state.kind} channel has no signing secret to rotate`);
        }
        return [
          {
            type: 'NotificationChannelSecretRotated',
            data: { ...ids, secret: command.secret, previous: { ...state.secret, validUntil: command.previousValidUntil }, rotatedBy: context.actorId, rotatedAt: context.at },
          },
        ];
      }
      case 'DisableNotificationChannel': {
        if (state.status === 'disabled') return [];
        return [
          { type: 'NotificationChannelDisabled', data: { ...ids, reason: 'endpoint_gone', statusCode: command.statusCode, messageId: command.messageId, disabledAt: context.at } },
        ];
      }
      case 'DeleteNotificationChannel':
        return [{ type: 'NotificationChannelDeleted', data: { ...ids, name: state.name, deletedBy: context.actorId, deletedAt: context.at } }];
      default: {
        const _exhaustive: never = command;
        throw new NotificationError(NotificationErrorCode.InvalidCommand, `unknown command ${String(_exhaustive)}`);
      }
    }
  },

  evolve(state: ChannelState, event: NotificationChannelEvent): ChannelState {
    switch (event.type) {
      case 'NotificationChannelCreated': {
        const { createdBy: _by, createdAt: _at, ...data } = event.data;
        return { ...state, ...data, status: 'enabled', previous: null };
      }
      case 'NotificationChannelChanged': {
        const { changedBy: _by, changedAt: _at, enabled, ...data } = event.data;
        return { ...state, ...data, status: enabled ? 'enabled' : 'disabled' };
      }
      case 'NotificationChannelSecretRotated':
        return { ...state, secret: event.data.secret, previous: event.data.previous };
      case 'NotificationChannelDisabled':
        return { ...state, status: 'disabled' };
      case 'NotificationChannelDeleted':
        return { ...state, status: 'deleted' };
      default:
        return state;
    }
  },
};

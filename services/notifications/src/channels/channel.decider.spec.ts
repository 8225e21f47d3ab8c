import type { NotificationChannelEvent } from '@steward/contracts';
import { deciderSpec } from '@steward/testing';
import { channelDecider, type ChannelCommand, type ChannelDecisionContext, type ChannelRequest } from './channel.decider';
import { NotificationError, NotificationErrorCode } from './notification.error';

const context: ChannelDecisionContext = { organizationId: 'org_1', actorId: 'usr_owner', at: '2026-12-01T10:00:00.000Z' };
const on = (request: ChannelRequest, ctx: ChannelDecisionContext = context): ChannelCommand => ({ ...request, context: ctx });
const { given } = deciderSpec(channelDecider);

const secret = { ref: 'sec_a', hint: '••••abcd' };
const created: NotificationChannelEvent = {
  type: 'NotificationChannelCreated',
  data: {
    organizationId: 'org_1',
    channelId: 'nch_1',
    workspaceId: null,
    name: 'Ops hook',
    kind: 'webhook',
    url: 'https://hooks.example.com/steward',
    recipients: [],
    events: ['InvoiceIssued'],
    secret,
    createdBy: 'usr_owner',
    createdAt: context.at,
  },
};
const create = on({
  type: 'CreateNotificationChannel',
  channelId: 'nch_1',
  workspaceId: null,
  name: 'Ops hook',
  kind: 'webhook',
  url: 'https://hooks.example.com/steward',
  recipients: [],
  events: ['InvoiceIssued'],
  secret,
});

describe('notification channel decider', () => {
  it('creates a channel with its secret as a reference only', () => {
    given([]).when(create).then([created]);
  });

  it('refuses a second channel of the same id', () => {
    given([created]).when(create).thenThrows(NotificationError, { code: NotificationErrorCode.Exists });
  });

  it("answers another organization's channel as not found", () => {
    given([created])
      .when(on({ type: 'UpdateNotificationChannel', channelId: 'nch_1', name: 'Mine now' }, { ...context, organizationId: 'org_2' }))
      .thenThrows(NotificationError, { code: NotificationErrorCode.NotFound });
  });

  it('changes subscriptions and scope, stating the whole configuration', () => {
    const { createdBy: _by, createdAt: _at, ...configuration } = created.data as Extract<NotificationChannelEvent, { type: 'NotificationChannelCreated' }>['data'];
    given([created])
      .when(on({ type: 'UpdateNotificationChannel', channelId: 'nch_1', events: ['InvoiceIssued', 'RuntimeTestFailed'], workspaceId: 'ws_1' }))
      .then([
        {
          type: 'NotificationChannelChanged',
          data: { ...configuration, workspaceId: 'ws_1', events: ['InvoiceIssued', 'RuntimeTestFailed'], enabled: true, changedBy: 'usr_owner', changedAt: context.at },
        },
      ]);
  });

  it('changes nothing when the update says what is stored', () => {
    given([created]).when(on({ type: 'UpdateNotificationChannel', channelId: 'nch_1', name: 'Ops hook', enabled: true })).thenNothingHappened();
  });

  it('refuses recipients on a webhook', () => {
    given([created]).when(on({ type: 'UpdateNotificationChannel', channelId: 'nch_1', recipients: ['a@example.com'] })).thenThrows(NotificationError, { code: NotificationErrorCode.InvalidCommand, field: 'recipients' });
  });

  it('rotates: the new secret signs, the previous one stays valid until the overlap ends', () => {
    given([created])
      .when(on({ type: 'RotateNotificationSecret', channelId: 'nch_1', secret: { ref: 'sec_b', hint: '••••wxyz' }, previousValidUntil: '2026-12-02T10:00:00.000Z' }))
      .then([
        {
          type: 'NotificationChannelSecretRotated',
          data: {
            organizationId: 'org_1',
            channelId: 'nch_1',
            secret: { ref: 'sec_b', hint: '••••wxyz' },
            previous: { ref: 'sec_a', hint: '••••abcd', validUntil: '2026-12-02T10:00:00.000Z' },
            rotatedBy: 'usr_owner',
            rotatedAt: context.at,
          },
        },
      ]);
  });

  it('has no secret to rotate on an email channel', () => {
    const email: NotificationChannelEvent = { type: 'NotificationChannelCreated', data: { ...created.data, kind: 'email', url: null, recipients: ['ops@example.com'], secret: null } };
    given([email])
      .when(on({ type: 'RotateNotificationSecret', channelId: 'nch_1', secret: { ref: 'sec_b', hint: '••••wxyz' }, previousValidUntil: context.at }))
      .thenThrows(NotificationError, { code: NotificationErrorCode.InvalidState });
  });

  it('is disabled once by a 410, and enabled again by an update', () => {
    const disabled: NotificationChannelEvent = {
      type: 'NotificationChannelDisabled',
      data: { organizationId: 'org_1', channelId: 'nch_1', reason: 'endpoint_gone', statusCode: 410, messageId: 'msg_1', disabledAt: context.at },
    };
    given([created]).when(on({ type: 'DisableNotificationChannel', channelId: 'nch_1', statusCode: 410, messageId: 'msg_1' })).then([disabled]);
    given([created, disabled]).when(on({ type: 'DisableNotificationChannel', channelId: 'nch_1', statusCode: 410, messageId: 'msg_2' })).thenNothingHappened();
    given([created, disabled])
      .when(on({ type: 'UpdateNotificationChannel', channelId: 'nch_1', enabled: true }))
      .then((events) => expect(events).toEqual([expect.objectContaining({ type: 'NotificationChannelChanged', data: expect.objectContaining({ enabled: true }) })]));
  });

  it('deletes once; deleting again changes nothing; a deleted channel is not found', () => {
    const deleted: NotificationChannelEvent = { type: 'NotificationChannelDeleted', data: { organizationId: 'org_1', channelId: 'nch_1', name: 'Ops hook', deletedBy: 'usr_owner', deletedAt: context.at } };
    given([created]).when(on({ type: 'DeleteNotificationChannel', channelId: 'nch_1' })).then([deleted]);
    given([created, deleted]).when(on({ type: 'DeleteNotificationChannel', channelId: 'nch_1' })).thenNothingHappened();
    given([created, deleted]).when(on({ type: 'UpdateNotificationChannel', channelId: 'nch_1', name: 'x' })).thenThrows(NotificationError, { code: NotificationErrorCode.NotFound });
  });
});

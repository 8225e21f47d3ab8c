import type { GatewayClient } from '../../gateway/support/gateway-client';

/** An email channel of the organization (no network target: no allow-list needed); its id. */
export async function createChannelFixture(client: GatewayClient, token: string, organizationId: string, name: string): Promise<string> {
  const channel = await client.expect<{ id: string }>(201, 'POST', `/v1/organizations/${organizationId}/notification-channels`, {
    token,
    body: { name, kind: 'email', recipients: ['fixtures@example.test'], events: ['InvoiceIssued'] },
  });
  return channel.id;
}

/** A test message through a channel (in the delivery log at once); its id. */
export async function testMessageFixture(client: GatewayClient, token: string, organizationId: string, channelId: string): Promise<string> {
  const queued = await client.expect<{ messageId: string }>(202, 'POST', `/v1/organizations/${organizationId}/notification-channels/${channelId}/test`, { token, body: {} });
  return queued.messageId;
}

/** A valid body of the channel routes for the generated suites (the generator makes no URL). */
export const NOTIFICATION_BODY_OVERRIDES = {
  createNotificationChannel: { kind: 'email', recipients: ['suite@example.test'] },
  updateNotificationChannel: { name: 'Renamed channel' },
} as const;

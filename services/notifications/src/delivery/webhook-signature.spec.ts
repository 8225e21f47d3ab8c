import { Webhook } from 'standardwebhooks';
import { newWebhookSecret, webhookHeaders } from './webhook-signature';

describe('Standard Webhooks signatures', () => {
  const body = JSON.stringify({ type: 'InvoiceIssued', timestamp: '2026-12-01T00:00:00.000Z', data: { number: 'INV-1' } });

  it('verify with the standardwebhooks package (an independent verifier)', () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{42}[A-Za-z0-9+/=]{2}$/);
    const headers = webhookHeaders([secret], 'msg_1', new Date(), body);
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it('after a rotation, carry one signature per valid secret: either verifies', () => {
    const [current, previous] = [newWebhookSecret(), newWebhookSecret()];
    const headers = webhookHeaders([current, previous], 'msg_2', new Date(), body);
    expect(headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(() => new Webhook(current).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(previous).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow();
  });

  it('do not verify a changed body', () => {
    const secret = newWebhookSecret();
    const headers = webhookHeaders([secret], 'msg_3', new Date(), body);
    expect(() => new Webhook(secret).verify(body.replace('INV-1', 'INV-2'), headers)).toThrow();
  });
});

import { randomBytes } from 'node:crypto';
import { waitFor } from '@steward/testing';
import type { GatewayClient } from '../../gateway/support/gateway-client';

/**
 * A runtime created through the public API (a Docker runtime: no secret, nothing
 * to reach), once the read model shows it. For the table-driven gateway suites.
 */
export async function createRuntimeFixture(client: GatewayClient, token: string, workspaceId: string, label = 'fixture'): Promise<string> {
  const runtime = await client.expect<{ id: string }>(201, 'POST', `/v1/workspaces/${workspaceId}/runtimes`, {
    token,
    body: { name: `${label} ${randomBytes(4).toString('hex')}`, provider: 'docker', config: { host: 'tcp://127.0.0.1:2375' } },
  });
  await waitFor(`runtime ${runtime.id} in the read model`, async () => {
    const answer = await client.call('GET', `/v1/workspaces/${workspaceId}/runtimes/${runtime.id}`, { token });
    return answer.status === 200 ? true : undefined;
  });
  return runtime.id;
}

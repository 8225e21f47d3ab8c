import type { GatewayClient, Json } from '../../gateway/support/gateway-client';

/**
 * Budgets and reservations through the public API, for the table-driven gateway suites: a budget of the
 * workspace (POST answers once the read model holds it: read-your-writes), a live hold.
 */
export async function budgetFixture(client: GatewayClient, token: string, workspaceId: string, name: string, body: Record<string, Json> = {}): Promise<string> {
  const budget = await client.expect<{ id: string }>(201, 'POST', `/v1/workspaces/${workspaceId}/budgets`, {
    token,
    body: { name, period: 'daily', limitUsd: '100', ...body },
  });
  return budget.id;
}

/** A live hold of `estimatedCostUsd` (an hour long): its reservation id. */
export async function reservationFixture(client: GatewayClient, token: string, workspaceId: string, estimatedCostUsd = '0.01'): Promise<string> {
  const reservation = await client.expect<{ reservationId: string }>(201, 'POST', `/v1/workspaces/${workspaceId}/budget-reservations`, {
    token,
    body: { estimatedCostUsd, ttlSeconds: 3600 },
  });
  return reservation.reservationId;
}

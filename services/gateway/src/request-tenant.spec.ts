import { z } from 'zod';
import { GatewayError } from './gateway.error';
import { requestTenant } from './request-tenant';
import { defineRoute, RouteRegistry, type AnyRoute } from './route';

const route = (overrides: Partial<AnyRoute>): AnyRoute =>
  defineRoute({ operationId: 'op', method: 'GET', path: '/v1/things', summary: 's', tags: [], permission: 'usage.read', scope: 'none', responses: { 200: null }, handler: () => ({ status: 200 }), ...overrides }) as AnyRoute;

const usageRead = route({ tenantFrom: { workspace: { query: 'workspaceId' }, allWorkspaces: 'all', organization: { query: 'organizationId' } } });
const traces = route({ method: 'POST', tenantFrom: { workspace: { header: 'X-Steward-Workspace' }, workspaceRequired: true } });
const person = { kind: 'user', id: 'u-1' };
const apiKey = { kind: 'api_key', id: 'k-1', workspaceId: 'ws-key' };

function refusal(run: () => unknown): { field?: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof GatewayError) return { field: error.errors?.[0]?.field };
    throw error;
  }
  throw new Error('no refusal');
}

describe('the tenant of a request', () => {
  it('is the path’s {orgId} or {wsId} on scoped routes', () => {
    const scoped = route({ path: '/v1/workspaces/{wsId}/x', scope: 'workspace', params: z.strictObject({ wsId: z.string() }) });
    expect(requestTenant(scoped, { wsId: 'ws-1' }, {}, {}, person)).toEqual({ scope: 'workspace', workspaceId: 'ws-1' });
    const organization = route({ path: '/v1/organizations/{orgId}', scope: 'organization', params: z.strictObject({ orgId: z.string() }) });
    expect(requestTenant(organization, { orgId: 'org-1' }, {}, {}, person)).toEqual({ scope: 'organization', organizationId: 'org-1' });
    expect(requestTenant(route({}), {}, { workspaceId: 'ws-1' }, {}, person)).toEqual({ scope: 'none' });
  });

  it('else the workspace a query or header names, `all` naming none, then an organization, then an API key’s own workspace', () => {
    expect(requestTenant(usageRead, {}, { workspaceId: 'ws-2' }, {}, person)).toEqual({ scope: 'workspace', workspaceId: 'ws-2' });
    expect(requestTenant(usageRead, {}, { workspaceId: 'all', organizationId: 'org-2' }, {}, person)).toEqual({ scope: 'organization', organizationId: 'org-2' });
    expect(requestTenant(usageRead, {}, { workspaceId: 'all' }, {}, person)).toEqual({ scope: 'none' });
    expect(requestTenant(usageRead, {}, {}, {}, apiKey)).toEqual({ scope: 'workspace', workspaceId: 'ws-key' });
    expect(requestTenant(traces, {}, {}, { 'x-steward-workspace': 'ws-3' }, apiKey)).toEqual({ scope: 'workspace', workspaceId: 'ws-3' });
    expect(requestTenant(traces, {}, {}, {}, apiKey)).toEqual({ scope: 'workspace', workspaceId: 'ws-key' });
  });

  it('refuses a malformed or repeated id, and a person naming no workspace where one is required, naming the field', () => {
    expect(refusal(() => requestTenant(traces, {}, {}, { 'x-steward-workspace': 'ws\u0000x' }, person))).toEqual({ field: 'header.X-Steward-Workspace' });
    expect(refusal(() => requestTenant(traces, {}, {}, {}, person))).toEqual({ field: 'header.X-Steward-Workspace' });
    expect(refusal(() => requestTenant(usageRead, {}, { workspaceId: ['ws-1', 'ws-2'] }, {}, person))).toEqual({ field: 'query.workspaceId' });
    expect(refusal(() => requestTenant(usageRead, {}, { workspaceId: 'all', organizationId: '../x' }, {}, person))).toEqual({ field: 'query.organizationId' });
  });

  it('is declared on routes whose path names no tenant only', () => {
    const scoped = route({ path: '/v1/workspaces/{wsId}', scope: 'workspace', params: z.strictObject({ wsId: z.string() }), tenantFrom: { workspace: { query: 'w' } } });
    expect(() => new RouteRegistry([scoped])).toThrow(/tenantFrom/);
  });
});

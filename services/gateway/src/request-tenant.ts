import type { IncomingHttpHeaders } from 'node:http';
import { GatewayError, GatewayErrorCode } from './gateway.error';
import { scopeParam, type AnyRoute, type AuthorizationCheck, type Principal, type TenantSource } from './route';

/** What a tenant id can look like (TeamIdSchema): anything else names nothing that exists. */
const TENANT_ID = /^[A-Za-z0-9_-]{1,100}$/;

/** The tenant a request acts on, as its authorization check sees it. */
export type RequestTenant = Omit<AuthorizationCheck, 'permission'>;

function fieldOf(source: TenantSource): string {
  return 'query' in source ? `query.${source.query}` : `header.${source.header}`;
}

/** The single value a source holds in the request; several values (a repeated parameter) are refused. */
function valueOf(source: TenantSource, query: Record<string, unknown> | undefined, headers: IncomingHttpHeaders): string | undefined {
  const raw = 'query' in source ? query?.[source.query] : headers[source.header.toLowerCase()];
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string') {
    throw new GatewayError(GatewayErrorCode.Validation, `${fieldOf(source)} is given more than once`, { errors: [{ field: fieldOf(source), message: 'give it once' }] });
  }
  return raw;
}

function checkedId(source: TenantSource, value: string): string {
  if (!TENANT_ID.test(value)) {
    throw new GatewayError(GatewayErrorCode.Validation, `${fieldOf(source)} is not an id`, {
      errors: [{ field: fieldOf(source), message: 'ids use 1 to 100 letters, digits, "_" and "-"' }],
    });
  }
  return value;
}

/**
 * The tenant of a request: the path's `{orgId}` or `{wsId}`, else what the route's `tenantFrom` finds in the
 * query or headers (a malformed id there is a 400 naming the field, before anything is looked up), else the
 * workspace an API key is bound to, else none.
 */
export function requestTenant(
  route: AnyRoute,
  params: Readonly<Record<string, string>>,
  query: Record<string, unknown> | undefined,
  headers: IncomingHttpHeaders,
  principal: Principal | undefined,
): RequestTenant {
  const name = scopeParam(route.scope);
  if (route.scope === 'organization') return { scope: 'organization', ...(name && params[name] !== undefined ? { organizationId: params[name] } : {}) };
  if (route.scope === 'workspace') return { scope: 'workspace', ...(name && params[name] !== undefined ? { workspaceId: params[name] } : {}) };
  const from = route.tenantFrom;
  if (!from) return { scope: 'none' };
  const workspace = from.workspace ? valueOf(from.workspace, query, headers) : undefined;
  if (workspace !== undefined && workspace !== from.allWorkspaces) return { scope: 'workspace', workspaceId: checkedId(from.workspace as TenantSource, workspace) };
  if (workspace === undefined && principal?.workspaceId !== undefined) return { scope: 'workspace', workspaceId: principal.workspaceId };
  const organization = from.organization ? valueOf(from.organization, query, headers) : undefined;
  if (organization !== undefined) return { scope: 'organization', organizationId: checkedId(from.organization as TenantSource, organization) };
  if (workspace === undefined && from.workspaceRequired && from.workspace) {
    throw new GatewayError(GatewayErrorCode.Validation, `name the workspace with ${fieldOf(from.workspace)}`, {
      errors: [{ field: fieldOf(from.workspace), message: 'required for a person (an API key acts in its own workspace)' }],
    });
  }
  return { scope: 'none' };
}

/**
 * The demo's organization, workspaces, people and API keys, found or created through the public API.
 * Writes carry deterministic Idempotency-Keys; what exists already (by name or email) is left alone.
 */
import { DEMO_INGEST_KEY_NAME, DEMO_ORGANIZATION_NAME, DEMO_PENDING_INVITATION, DEMO_PEOPLE, DEMO_READ_KEY_NAME, DEMO_WORKSPACES, type DemoRole, type DemoWorkspaceKey } from './demo-data';
import { DemoApi } from './demo-http';
import type { DemoSecrets } from './demo-state';

export interface DemoOrganization {
  readonly organizationId: string;
  readonly createdAt: string;
  readonly workspaces: Readonly<Record<DemoWorkspaceKey, string>>;
}

interface Member {
  readonly userId: string;
  readonly email?: string;
  readonly role: DemoRole;
}

interface Invitation {
  readonly id: string;
  readonly email: string;
  readonly role: DemoRole;
  readonly status: string;
}

export class DemoTeam {
  constructor(
    private readonly api: DemoApi,
    private readonly secrets: DemoSecrets,
    private readonly log: (line: string) => void,
  ) {}

  /** The demo organization (the caller's one of that name) with its three workspaces. */
  async organization(): Promise<DemoOrganization> {
    const mine = await this.api.get<{ items: Array<{ id: string; name: string }> }>('/v1/me/organizations');
    let organizationId = mine.items.find((item) => item.name === DEMO_ORGANIZATION_NAME)?.id;
    if (organizationId === undefined) {
      const created = await this.api.post<{ id: string }>('/v1/organizations', { name: DEMO_ORGANIZATION_NAME, workspaceName: DEMO_WORKSPACES[0]!.name }, 'steward-demo:organization');
      organizationId = created.id;
      this.log(`created the organization ${DEMO_ORGANIZATION_NAME} (${organizationId})`);
    }
    const organization = await this.api.get<{ createdAt: string }>(`/v1/organizations/${organizationId}`);
    const existing = await this.api.all<{ id: string; name: string }>(`/v1/organizations/${organizationId}/workspaces`);
    const workspaces: Partial<Record<DemoWorkspaceKey, string>> = {};
    for (const workspace of DEMO_WORKSPACES) {
      let id = existing.find((candidate) => candidate.name === workspace.name)?.id;
      if (id === undefined) {
        id = (await this.api.post<{ id: string }>(`/v1/organizations/${organizationId}/workspaces`, { name: workspace.name }, `steward-demo:workspace:${workspace.key}`)).id;
        this.log(`created the workspace ${workspace.name} (${id})`);
      }
      workspaces[workspace.key] = id;
    }
    return { organizationId, createdAt: organization.createdAt, workspaces: workspaces as Record<DemoWorkspaceKey, string> };
  }

  /** One person per role, each in their workspaces; invitations accepted through the API (their tokens kept in the state). */
  async people(organization: DemoOrganization): Promise<void> {
    const members = new Map<DemoWorkspaceKey, Member[]>();
    for (const [key, id] of Object.entries(organization.workspaces) as Array<[DemoWorkspaceKey, string]>) members.set(key, await this.api.all<Member>(`/v1/workspaces/${id}/members`));
    // every person's first seat (production) makes them a person with a token; later seats are accepted signed in as them
    for (const person of DEMO_PEOPLE) {
      for (const [key, role] of Object.entries(person.seats) as Array<[DemoWorkspaceKey, DemoRole]>) {
        const workspaceId = organization.workspaces[key];
        if (members.get(key)!.some((member) => member.email?.toLowerCase() === person.email)) continue;
        const signedIn = this.secrets.tokens[person.role];
        if (key !== 'production' && signedIn === undefined) {
          this.log(`skipped ${person.email} in ${key}: their token is not in the state file (a new one: npm run user-token -- --email ${person.email})`);
          continue;
        }
        const invitation = await this.invite(workspaceId, person.email, role, `${person.role}:${key}`);
        const accepted = await this.api.call<{ token?: string }>('POST', '/v1/invitations/accept', {
          ...(signedIn !== undefined && key !== 'production' ? { token: signedIn } : { token: '' }),
          body: { token: invitation.token, ...(key === 'production' ? { name: person.name } : {}) },
          idempotencyKey: `steward-demo:accept:${invitation.id}`,
        });
        if (accepted.body.token) this.secrets.tokens[person.role] = accepted.body.token;
        this.log(`${person.email} joined ${key} as ${role}`);
      }
    }
    const production = organization.workspaces.production;
    const pending = await this.api.all<Invitation>(`/v1/workspaces/${production}/invitations`);
    const hasPending = pending.some((invitation) => invitation.email.toLowerCase() === DEMO_PENDING_INVITATION.email && invitation.status === 'pending');
    if (!hasPending && !members.get('production')!.some((member) => member.email?.toLowerCase() === DEMO_PENDING_INVITATION.email)) {
      await this.api.post(`/v1/workspaces/${production}/invitations`, { email: DEMO_PENDING_INVITATION.email, role: DEMO_PENDING_INVITATION.role }, 'steward-demo:invite:pending');
      this.log(`invited ${DEMO_PENDING_INVITATION.email} (left pending)`);
    }
  }

  /**
   * An invitation whose token this run holds: a pending one of an earlier run that stopped before accepting
   * cannot be accepted (its token was shown once), so it is revoked and a new one sent.
   */
  private async invite(workspaceId: string, email: string, role: DemoRole, label: string): Promise<{ id: string; token: string }> {
    const invitations = await this.api.all<Invitation>(`/v1/workspaces/${workspaceId}/invitations`);
    const stale = invitations.filter((invitation) => invitation.email.toLowerCase() === email && invitation.status === 'pending');
    for (const invitation of stale) await this.api.call('DELETE', `/v1/workspaces/${workspaceId}/invitations/${invitation.id}`);
    const issued = await this.api.post<{ id: string; token: string }>(`/v1/workspaces/${workspaceId}/invitations`, { email, role }, `steward-demo:invite:${label}:${stale.length}`);
    return issued;
  }

  /** The agents' ingest key of every workspace (kept in the state) and a read-only key in production. */
  async apiKeys(organization: DemoOrganization): Promise<void> {
    for (const [key, workspaceId] of Object.entries(organization.workspaces) as Array<[DemoWorkspaceKey, string]>) {
      const keys = await this.api.all<{ name: string; revokedAt: string | null }>(`/v1/workspaces/${workspaceId}/api-keys`);
      const wanted = [{ name: DEMO_INGEST_KEY_NAME, scopes: ['usage:write', 'jobs:write'] }, ...(key === 'production' ? [{ name: DEMO_READ_KEY_NAME, scopes: ['read'] }] : [])];
      for (const want of wanted) {
        if (keys.some((existing) => existing.name === want.name && existing.revokedAt === null)) continue;
        const issued = await this.api.post<{ key: string }>(`/v1/workspaces/${workspaceId}/api-keys`, want, `steward-demo:api-key:${key}:${want.name}`);
        if (want.name === DEMO_INGEST_KEY_NAME) this.secrets.ingestKeys[key] = issued.key;
        this.log(`issued the API key "${want.name}" in ${key}`);
      }
    }
  }
}

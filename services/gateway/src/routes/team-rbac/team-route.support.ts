import {
  ActivityRepository,
  AnnouncementReadRepository,
  ApiKeyReadRepository,
  InvitationReadRepository,
  MemberReadRepository,
  OrganizationReadRepository,
  ProfileReadRepository,
  ReadModelError,
  WorkspaceOrganizations,
  publishActivityRead,
} from '@steward/team-rbac';
import type { ResourceReadInput } from '@steward/team-rbac';
import { workspacesAllowed, type Action } from '@steward/auth';
import { isAuthPrincipal } from '../../auth/steward.authorizer';
import { GatewayError, GatewayErrorCode } from '../../gateway.error';
import type { Principal } from '../../route';
import { callerOf as defaultCallerOf, type Caller } from '../caller';
import { TeamCommandSender } from './team-command.sender';
import type { TeamRoutesDeps } from './team-routes.deps';

/** Everything the route modules share, built once per gateway. */
export class TeamRouteKit {
  readonly organizations: OrganizationReadRepository;
  readonly members: MemberReadRepository;
  readonly invitations: InvitationReadRepository;
  readonly apiKeys: ApiKeyReadRepository;
  readonly profiles: ProfileReadRepository;
  readonly workspaces: WorkspaceOrganizations;
  readonly activity: ActivityRepository;
  readonly announcements: AnnouncementReadRepository;
  readonly sender: TeamCommandSender;

  constructor(readonly deps: TeamRoutesDeps) {
    this.organizations = new OrganizationReadRepository({ db: deps.db });
    this.members = new MemberReadRepository({ db: deps.db, pool: deps.pool });
    this.invitations = new InvitationReadRepository({ db: deps.db });
    this.apiKeys = new ApiKeyReadRepository({ db: deps.db });
    this.profiles = new ProfileReadRepository({ db: deps.db });
    this.workspaces = new WorkspaceOrganizations({ db: deps.db });
    this.activity = new ActivityRepository({ db: deps.db });
    this.announcements = new AnnouncementReadRepository({ db: deps.db });
    this.sender = new TeamCommandSender({
      commands: deps.commands,
      natsPrefix: deps.natsPrefix,
      readYourWrites: deps.readYourWrites,
      ...(deps.commandTimeoutMs !== undefined ? { timeoutMs: deps.commandTimeoutMs } : {}),
    });
  }

  caller(principal: Principal | undefined): Caller {
    if (!principal) throw new GatewayError(GatewayErrorCode.Unauthenticated, 'this route needs a user token or an API key');
    return (this.deps.callerOf ?? defaultCallerOf)(principal);
  }

  /** A person's caller; API keys and services are refused (they have no profile, no organization to create). */
  person(principal: Principal | undefined): Caller & { readonly userId: string } {
    const caller = this.caller(principal);
    if (caller.userId === undefined) throw new GatewayError(GatewayErrorCode.Forbidden, 'only a person may do this, not an API key');
    return caller as Caller & { readonly userId: string };
  }

  /**
   * The workspaces whose data the principal may see for a per-workspace organization action (the activity
   * log, by the matrix: `workspacesAllowed`): 'all' for an organization-wide role (organization-level
   * entries included), else the workspaces where their role allows it.
   */
  visibleWorkspaces(principal: Principal | undefined, action: Action): 'all' | readonly string[] {
    return principal !== undefined && isAuthPrincipal(principal) ? workspacesAllowed(principal, action) : [];
  }

  issuedAt(): string {
    return (this.deps.now?.() ?? new Date()).toISOString();
  }

  /** The organization of a workspace, from the read model (undefined while it is not projected yet). */
  organizationOfWorkspace(workspaceId: string): Promise<string | undefined> {
    return this.workspaces.organizationOf(workspaceId);
  }

  /**
   * Records a Fetch / Fetch All in the activity log. Fire-and-forget: the
   * request never waits for it nor fails with it; a failure is logged.
   */
  recordRead(principal: Principal | undefined, organizationId: string | undefined, read: Omit<ResourceReadInput, 'organizationId' | 'actor' | 'outcome'>): void {
    if (!principal || organizationId === undefined) return;
    const caller = this.caller(principal);
    if (this.deps.activityReads) {
      this.deps.activityReads.record({ ...read, organizationId, actor: caller.actor, outcome: 'success' });
      return;
    }
    publishActivityRead(this.deps.js, this.deps.natsPrefix, { ...read, organizationId, actor: caller.actor, outcome: 'success' }).catch((error: unknown) => {
      this.deps.logger.warn({ err: error, resourceType: read.resourceType, action: read.action, organizationId }, 'activity read not published');
    });
  }

  /** A team read-model answer through the gateway's cache when it has one (see ReadModelCache). */
  cachedTeamRead<T>(key: string, load: () => Promise<T>): Promise<T> {
    return this.deps.teamReadCache ? this.deps.teamReadCache.get(key, load) : load();
  }

  /** Runs a read-model query; its refusals (bad page, filter, cursor) answer 400. */
  async query<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof ReadModelError) {
        // Name the query parameter at fault, as every other 400 does (`search` is `q` on the wire).
        const field = error.field === undefined ? 'query' : `query.${error.field === 'search' ? 'q' : error.field}`;
        throw new GatewayError(GatewayErrorCode.Validation, error.message, { errors: [{ field, message: error.message }], cause: error });
      }
      throw error;
    }
  }
}

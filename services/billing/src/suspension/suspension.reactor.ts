import type { Kysely } from 'kysely';
import { BILLING_ACCOUNT_STREAM_PREFIX, TeamErrorCode, type CommandAnswer, type CommandEnvelope } from '@steward/contracts';
import { MessagingError, MessagingErrorCode, type CommandClient, type NatsNames } from '@steward/messaging';
import { ProjectionError, ProjectionErrorCode, defineProjection, projectionSchema, type ProjectionDefinition } from '@steward/projections';
import { teamDb } from '@steward/team-rbac';

export const SUSPENSION_REACTOR = 'billing-reactions';
export const SUSPENSION_SCHEMA = projectionSchema(SUSPENSION_REACTOR);
/** The reason team-rbac records with the workspace's status change. */
export const CREDITS_EXHAUSTED_REASON = 'credits_exhausted';
export const CREDITS_RESTORED_REASON = 'credits_restored';

/** The workspaces this reactor suspended: only those are restored (an admin's own suspension stays). */
export interface SuspendedWorkspacesTable {
  organization_id: string;
  workspace_id: string;
  suspended_at: Date | string;
}

interface SuspensionDB {
  suspended_workspaces: SuspendedWorkspacesTable;
}

/**
 * Sends one team command: `changed` (this command changed the status, now or when first sent), `unchanged` (the
 * status already was so: someone else's doing), `refused` (final: the workspace is gone, or cannot go there).
 */
export type TeamCommandSender = (envelope: CommandEnvelope) => Promise<'changed' | 'unchanged' | 'refused'>;

/**
 * Team commands over NATS request/reply (`<prefix>cmd.team.ChangeWorkspaceStatus`). A refusal that is final
 * (the workspace is gone, or in a status it cannot leave for this one) is false; anything else (no
 * responder, a timeout, unavailable) throws, and the batch is tried again.
 */
export function natsTeamCommandSender(client: CommandClient, names: NatsNames): TeamCommandSender {
  return async (envelope) => {
    try {
      const answer = await client.send<CommandAnswer>(names.commandSubject('team', envelope.type), envelope, { timeoutMs: 10_000 });
      return answer.changed ? 'changed' : 'unchanged';
    } catch (error) {
      if (error instanceof MessagingError && error.code === MessagingErrorCode.CommandFailed) {
        const code = (error.details as { error?: { code?: unknown } }).error?.code;
        if (code === TeamErrorCode.NotFound || code === TeamErrorCode.InvalidStatusTransition) return 'refused';
      }
      throw error;
    }
  };
}

/**
 * The billing service's reactions to other events than usage, one reactor (one subscription: each reader
 * of the store polls on every append, so fewer readers is cheaper at ingest rates).
 *
 * Opening: on OrganizationCreated, `open` opens the organization's billing account.
 *
 * Suspension as a reaction to the ledger: on CreditsExhausted every active
 * workspace of the organization is suspended through team-rbac
 * (ChangeWorkspaceStatus, reason credits_exhausted) and remembered here; on
 * CreditsRestored those workspaces are made active again. Command ids derive
 * from the billing event and the workspace: a batch applied again (a crash
 * before its checkpoint) resends the same commands, which team-rbac answers
 * as it did the first time. Run by a ProjectionHost in the billing process.
 */
export function suspensionReactor(deps: {
  readonly send: TeamCommandSender;
  /** Opens the account of an organization created (the OrganizationCreated event's id names the command). */
  readonly open?: (organizationId: string, eventId: string) => Promise<void>;
}): ProjectionDefinition<SuspensionDB> {
  const envelope = (commandId: string, organizationId: string, workspaceId: string, status: 'suspended' | 'active', reason: string, at: string): CommandEnvelope => ({
    commandId,
    type: 'ChangeWorkspaceStatus',
    actor: { type: 'system', id: 'billing' },
    organizationId,
    workspaceId,
    issuedAt: at,
    payload: { workspaceId, status, reason },
  });
  const guarded = async (work: () => Promise<void>): Promise<void> => {
    try {
      await work();
    } catch (error) {
      if (error instanceof ProjectionError) throw error;
      throw new ProjectionError(ProjectionErrorCode.NothingApplies, `billing reaction failed, retrying: ${(error as Error).message}`, {}, { cause: error });
    }
  };
  return defineProjection<SuspensionDB>({
    name: SUSPENSION_REACTOR,
    version: 1,
    streamPrefixes: [BILLING_ACCOUNT_STREAM_PREFIX, 'team-organization-'],
    awaitedByWrites: false,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async migrate(db: Kysely<any>) {
      await db.schema
        .createTable('suspended_workspaces')
        .addColumn('organization_id', 'text', (column) => column.notNull())
        .addColumn('workspace_id', 'text', (column) => column.notNull())
        .addColumn('suspended_at', 'timestamptz', (column) => column.notNull())
        .addPrimaryKeyConstraint('suspended_workspaces_pk', ['organization_id', 'workspace_id'])
        .execute();
    },
    handlers: {
      async OrganizationCreated(_trx, event) {
        const { organizationId } = event.data as { organizationId: string };
        await guarded(async () => deps.open?.(organizationId, event.eventId));
      },
      async CreditsExhausted(trx, event) {
        const data = event.data as { organizationId: string; exhaustedAt: string };
        await guarded(async () => {
          const active = await teamDb(trx as unknown as Kysely<unknown>)
            .selectFrom('workspaces')
            .select('id')
            .where('organization_id', '=', data.organizationId)
            .where('status', '=', 'active')
            .execute();
          const already = await trx.selectFrom('suspended_workspaces').select('workspace_id').where('organization_id', '=', data.organizationId).execute();
          const targets = [...new Set([...active.map((row) => row.id), ...already.map((row) => row.workspace_id)])].sort();
          for (const workspaceId of targets) {
            const outcome = await deps.send(envelope(`billing-suspend:${event.eventId}:${workspaceId}`, data.organizationId, workspaceId, 'suspended', CREDITS_EXHAUSTED_REASON, data.exhaustedAt));
            // a workspace suspended by someone else stays theirs: the top-up does not reactivate it
            if (outcome !== 'changed') continue;
            await trx
              .insertInto('suspended_workspaces')
              .values({ organization_id: data.organizationId, workspace_id: workspaceId, suspended_at: data.exhaustedAt })
              .onConflict((conflict) => conflict.columns(['organization_id', 'workspace_id']).doNothing())
              .execute();
          }
        });
      },
      async CreditsRestored(trx, event) {
        const data = event.data as { organizationId: string; restoredAt: string };
        await guarded(async () => {
          const suspended = await trx.selectFrom('suspended_workspaces').select('workspace_id').where('organization_id', '=', data.organizationId).orderBy('workspace_id').execute();
          for (const { workspace_id: workspaceId } of suspended) {
            await deps.send(envelope(`billing-restore:${event.eventId}:${workspaceId}`, data.organizationId, workspaceId, 'active', CREDITS_RESTORED_REASON, data.restoredAt));
          }
          await trx.deleteFrom('suspended_workspaces').where('organization_id', '=', data.organizationId).execute();
        });
      },
    },
  });
}

/** For tests: the workspaces the reactor holds suspended. */
export async function suspendedWorkspaces(db: Kysely<unknown>, organizationId: string): Promise<string[]> {
  const rows = await (db as Kysely<SuspensionDB>)
    .withSchema(SUSPENSION_SCHEMA)
    .selectFrom('suspended_workspaces')
    .select('workspace_id')
    .where('organization_id', '=', organizationId)
    .orderBy('workspace_id')
    .execute();
  return rows.map((row) => row.workspace_id);
}


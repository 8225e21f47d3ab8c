import { CommandRunner, type Fold, type LoadedStream } from '@steward/commands';
import {
  TeamCommandPayloads,
  teamEventRegistry,
  type Role,
  type TeamCommandAnswer,
  type TeamCommandPayload,
  type TeamCommandType,
  type TeamEvent,
} from '@steward/contracts';
import type { EventStore } from '@steward/event-store';
import type { EnvelopedCommand } from './command';
import type { TeamAuthorizer } from './team-authorizer';
import { TeamError, TeamErrorCode } from './team.error';
import { streamOf } from './team-streams';

/** A stream as loaded for one decision: its state and the revision to append at. */
export type Loaded<S> = LoadedStream<S>;

/** One attempt at a command: load what it needs, then decide on it (authorization included). */
export interface CommandPlan<T extends TeamCommandType, L, A extends TeamCommandAnswer = TeamCommandAnswer> {
  load(command: EnvelopedCommand<T>): Promise<L>;
  streams(loaded: L): ReadonlyArray<Loaded<unknown>>;
  decide(command: EnvelopedCommand<T>, loaded: L): TeamEvent[];
  /**
   * What the command answers beyond its events, from what the last attempt loaded and the events it
   * decided (undefined for a resent command: `loaded` then holds its events). Runs for both.
   */
  answer?(command: EnvelopedCommand<T>, loaded: L, answer: TeamCommandAnswer, decided: readonly TeamEvent[] | undefined): Promise<A> | A;
}

export interface TeamCommandRunnerOptions {
  readonly store: EventStore;
  readonly authorize: TeamAuthorizer;
  /** Attempts on a concurrency conflict before answering CONFLICT. Default 4. */
  readonly maxAttempts?: number;
}

/**
 * The one way a team command is carried out (@steward/commands' runner):
 * parse the envelope and payload, load the streams, authorize, decide, append
 * every event to the stream of the aggregate it changes, in one atomic unit.
 * On a concurrency conflict the command is decided again on the fresh state
 * (safe: every rule is checked again; a caller who wants "only if nothing
 * changed" states its precondition, e.g. expectedRole), then CONFLICT.
 */
export class TeamCommandRunner {
  private readonly commands: CommandRunner<TeamErrorCode>;
  private readonly authorizer: TeamAuthorizer;

  constructor(options: TeamCommandRunnerOptions) {
    this.commands = new CommandRunner({ store: options.store, registry: teamEventRegistry, errors: TeamError, codes: TeamErrorCode, maxAttempts: options.maxAttempts ?? 4 });
    this.authorizer = options.authorize;
  }

  load<S>(streamId: string, fold: Fold<S, TeamEvent>): Promise<Loaded<S>> {
    return this.commands.load(streamId, fold);
  }

  /** Throws FORBIDDEN unless the authorizer allows the command for `role`. */
  authorize(command: EnvelopedCommand<TeamCommandType>, role: Role | undefined): void {
    if (!this.authorizer({ envelope: command.envelope, action: command.type, role })) {
      throw new TeamError(TeamErrorCode.Forbidden, `${command.actor.type} ${command.actor.id} may not ${command.type}`);
    }
  }

  /** Runs one command end to end; refusals become RpcExceptions carrying a TeamErrorBody. */
  run<T extends TeamCommandType, L, A extends TeamCommandAnswer = TeamCommandAnswer>(type: T, raw: unknown, plan: CommandPlan<T, L, A>): Promise<A> {
    return this.commands.handle(type, raw, async (envelope) => {
      const payload = this.commands.parsePayload(type, TeamCommandPayloads[type], envelope) as TeamCommandPayload<T>;
      const command: EnvelopedCommand<T> = { type, payload, actor: envelope.actor, at: envelope.issuedAt, envelope };
      let last: L | undefined;
      let decided: TeamEvent[] | undefined;
      const answer = await this.commands.commit(envelope, {
        load: async () => {
          decided = undefined;
          return (last = await plan.load(command));
        },
        streams: (loaded) => plan.streams(loaded),
        decide: (loaded) => (decided = plan.decide(command, loaded)),
        streamOf,
        scopeOf: (event) => event.data as { organizationId?: string; workspaceId?: string },
      });
      return plan.answer ? plan.answer(command, last as L, answer, decided) : (answer as A);
    });
  }
}

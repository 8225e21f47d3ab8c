import type { JetStreamClient } from '@nats-io/jetstream';
import type { CommandClient } from '@steward/messaging';
import type { Logger } from '@steward/observability';
import type { Kysely } from 'kysely';
import type pg from 'pg';
import type { ResourceReadInput } from '@steward/team-rbac';
import type { Principal } from '../../route';
import type { Caller } from '../caller';
import type { WriteSettler } from '../../read-your-writes';

export interface TeamRoutesDeps {
  /** Sends team commands (`<prefix>.cmd.team.<Type>`); connected by the caller. */
  readonly commands: CommandClient;
  /** NATS prefix of commands and of the activity stream ('' in production, env.natsPrefix in tests). */
  readonly natsPrefix: string;
  /** Every command's answer waits until the read models show it (services/gateway/src/read-your-writes). */
  readonly readYourWrites: WriteSettler;
  /** Over the database holding the team read models (team, activity, activity reads). */
  readonly db: Kysely<unknown>;
  /** The pool under `db`, if the caller has it: hot reads (the member list) then use prepared statements. */
  readonly pool?: pg.Pool;
  /**
   * When given, hot list answers of the team read model (the member list) are kept until the read
   * model changes (`ReadModelCache` over the `team` projection's notifications).
   */
  readonly teamReadCache?: { get<T>(key: string, load: () => Promise<T>): Promise<T> };
  /** Where Fetch / Fetch All reads are published (the activity stream must exist: `ensureActivityStream`). */
  readonly js: JetStreamClient;
  /**
   * When given, reads are handed to it instead of published one by one on `js` (the gateway's
   * ActivityReadBuffer: batched, never awaited by the response, retried until acknowledged).
   */
  readonly activityReads?: { record(input: ResourceReadInput): unknown };
  readonly logger: Logger;
  /**
   * Who the principal is for the team context. Default `callerOf`, which reads
   * `@steward/auth` principals (`userId`, `keyId`, `organizationId`, an optional `email`).
   */
  readonly callerOf?: (principal: Principal) => Caller;
  /** Per command. Default 10 s. */
  readonly commandTimeoutMs?: number;
  /** The time commands are issued at. Default now. */
  readonly now?: () => Date;
  /** The dashboard overview's billing cards, for callers with billing access (undefined otherwise: left out). */
  readonly billingCards?: (principal: Principal | undefined, organizationId: string) => Promise<unknown>;
}

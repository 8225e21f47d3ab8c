import { parsePosition, type GlobalPosition } from '@steward/event-store';
import type { CommandWrite } from '@steward/contracts';
import { GatewayError, GatewayErrorCode } from '../gateway.error';
import { ProgressTimeoutError, type ProjectionProgress } from './projection-progress';
import { ReplicaSyncError, type ReplicaSync } from './replica-sync';

/** Holds a write's answer until what it changed can be read (CommandSender calls it after every command). */
export interface WriteSettler {
  settle(write: CommandWrite): Promise<void>;
}

/** Default bound of the wait: past it the write answers 503 with Retry-After. */
export const READ_YOUR_WRITES_TIMEOUT_MS = 5_000;

export interface ReadYourWritesOptions {
  readonly progress: ProjectionProgress;
  /** Other gateway replicas; absent: this process is the only one. */
  readonly replicas?: ReplicaSync;
  /** Empties this replica's read-model-derived caches (run before a change of a followed projection answers). */
  readonly onSynced?: () => void;
  /** Default READ_YOUR_WRITES_TIMEOUT_MS. */
  readonly timeoutMs?: number;
  /** False only to measure the platform without it (benchmarks): writes then answer as soon as they are stored. */
  readonly enabled?: boolean;
}

/**
 * Read-your-writes for every command a gateway route sends: the answer leaves
 * only once every running projection that reads the command's events has
 * passed their position (the read models, and so every later read,
 * authorization and list, show the write), and, for a change of a projection
 * the gateway caches (the team: credentials, memberships, member lists), once
 * every gateway replica has caught up too. Past the bound: a 503 with
 * Retry-After — the write is stored, a resend with the same Idempotency-Key
 * appends nothing and waits again — never a 2xx that a read would contradict.
 */
export class ReadYourWrites implements WriteSettler {
  private readonly timeoutMs: number;
  private readonly enabled: boolean;

  constructor(private readonly options: ReadYourWritesOptions) {
    this.timeoutMs = options.timeoutMs ?? READ_YOUR_WRITES_TIMEOUT_MS;
    this.enabled = options.enabled ?? true;
  }

  async settle(write: CommandWrite): Promise<void> {
    if (!this.enabled || write.position === undefined || write.events.length === 0) return;
    const started = Date.now();
    const position: GlobalPosition = parsePosition(write.position);
    const { progress, replicas, onSynced } = this.options;
    try {
      await progress.waitFor(position, write.events, this.timeoutMs);
      if (!progress.concernsFollowed(write.events)) return;
      onSynced?.();
      await replicas?.syncOthers(position, write.events, this.timeoutMs - (Date.now() - started));
    } catch (error) {
      if (error instanceof ProgressTimeoutError || error instanceof ReplicaSyncError) {
        throw new GatewayError(
          GatewayErrorCode.Unavailable,
          `The change is stored, but ${error instanceof ReplicaSyncError ? 'not every gateway replica has confirmed it' : 'the read models do not show it'} yet; resend the request with the same Idempotency-Key to wait for it (it is not applied twice).`,
          { retryAfterSeconds: 1, cause: error },
        );
      }
      throw error;
    }
  }
}

/** GATEWAY_READ_YOUR_WRITES (`on` | `off`, default on: off only for benchmarks) and GATEWAY_READ_YOUR_WRITES_TIMEOUT_MS. */
export function readYourWritesSettingsFromEnv(env: NodeJS.ProcessEnv): { enabled: boolean; timeoutMs: number } {
  const switchText = (env.GATEWAY_READ_YOUR_WRITES ?? 'on').trim().toLowerCase();
  if (switchText !== 'on' && switchText !== 'off') throw new Error('GATEWAY_READ_YOUR_WRITES must be on or off');
  const timeoutText = env.GATEWAY_READ_YOUR_WRITES_TIMEOUT_MS;
  const timeoutMs = timeoutText === undefined || timeoutText === '' ? READ_YOUR_WRITES_TIMEOUT_MS : Number(timeoutText);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new Error('GATEWAY_READ_YOUR_WRITES_TIMEOUT_MS must be a positive whole number of milliseconds');
  return { enabled: switchText === 'on', timeoutMs };
}

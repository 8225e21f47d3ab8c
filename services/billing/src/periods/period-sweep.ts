import type { BillingReadRepository } from '@steward/billing';
import type { BillingCommandRunner } from '../accounts/billing-command.runner';

export interface PeriodSweepLogger {
  warn(fields: Record<string, unknown>, message: string): void;
}

/**
 * Brings due accounts up to date: a period that ended (the next one starts,
 * a scheduled downgrade applies, the allowance is granted) or a grant that
 * expired. Any replica may sweep: the command id names the account and the
 * minute, and the account's stream revision serialises the rest (a second
 * sweep of the same minute finds the first one's events).
 */
export class PeriodSweep {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly deps: {
      readonly read: BillingReadRepository;
      readonly runner: BillingCommandRunner;
      readonly logger: PeriodSweepLogger;
      readonly intervalMs: number;
      readonly now?: () => Date;
    },
  ) {}

  start(): void {
    this.timer ??= setInterval(() => {
      this.running ??= this.sweep()
        .then(() => undefined)
        .catch((error: unknown) => this.deps.logger.warn({ err: error }, 'billing period sweep failed; next round retries'))
        .finally(() => (this.running = undefined));
    }, this.deps.intervalMs);
    this.timer.unref();
  }

  /** One round; resolves with the accounts it brought up to date. */
  async sweep(): Promise<string[]> {
    const now = (this.deps.now ?? (() => new Date()))();
    const minute = now.toISOString().slice(0, 16);
    const due = await this.deps.read.dueAccounts(now);
    for (const organizationId of due) {
      await this.deps.runner.decideOn(
        organizationId,
        { commandId: `billing-tick:${organizationId}:${minute}`, type: 'Tick', actor: { type: 'system', id: 'billing' }, organizationId, issuedAt: now.toISOString(), payload: {} },
        { type: 'Tick' },
      );
    }
    return due;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}

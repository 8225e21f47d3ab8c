import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { natsNames } from '@steward/messaging';

/** What watchTeamEvents keeps fresh: the authenticator's cache. */
export interface Invalidatable {
  invalidate(): void;
}

export interface TeamEventsWatch {
  /** Stops watching (the connection stays open). */
  stop(): void;
}

/**
 * Calls `target.invalidate()` for every team event the relay publishes
 * (`<prefix>events.team.>`: keys issued or revoked, members added, changed or
 * removed, owners, workspaces) and whenever the NATS connection comes back or
 * drops (events may have been missed meanwhile). A plain subscription, not a
 * consumer: only what happens while the gateway runs matters, and the cache
 * starts empty.
 */
export function watchTeamEvents(nc: NatsConnection, prefix: string, target: Invalidatable): TeamEventsWatch {
  const subscription: Subscription = nc.subscribe(natsNames(prefix).contextSubjects('team'), {
    callback: () => target.invalidate(),
  });
  let stopped = false;
  void (async () => {
    for await (const status of nc.status()) {
      if (stopped) return;
      if (status.type === 'disconnect' || status.type === 'reconnect') target.invalidate();
    }
  })().catch(() => undefined);
  return {
    stop() {
      stopped = true;
      subscription.unsubscribe();
    },
  };
}

import type { Logger } from './logger';
import type { OpsServer } from './ops-server';
import { createLogger } from './logger';
import { initTelemetry, type Telemetry } from './telemetry';

/** What a service's start function is given: its logger and telemetry, made once per process. */
export interface ServiceContext {
  readonly logger: Logger;
  readonly telemetry: Telemetry;
}

/** What a started service hands back: its ops server, what its "started" line says, and how it stops. */
export interface StartedService {
  /** Marked ready once started, stopping at the first signal, closed after the steps. */
  readonly ops: OpsServer;
  /** Fields of the `<name> started` log line. */
  readonly details?: Readonly<Record<string, unknown>>;
  /** Run one after another, in this order, at SIGTERM / SIGINT (consumers first, pools last). */
  readonly stop: ReadonlyArray<() => unknown>;
}

export interface ServiceProcessOptions {
  /** Exits the process (the default); tests pass a recorder. */
  readonly exit?: (code: number) => void;
  readonly signals?: { once(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown };
  readonly logger?: Logger;
  readonly telemetry?: Telemetry;
}

/**
 * A service as a process: telemetry and a logger named after it, `start`, the
 * `<name> started` line and readiness; then, at the first SIGTERM or SIGINT,
 * not ready, each stop step in order, `<name> stopped`, telemetry flushed,
 * exit 0 (1 when a step failed). A start that throws prints why and exits 1.
 * Every Steward process but the gateway's HTTP server reads this way.
 */
export function runService(
  name: string,
  start: (context: ServiceContext) => Promise<StartedService>,
  options: ServiceProcessOptions = {},
): Promise<void> {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const signals = options.signals ?? process;
  const telemetry = options.telemetry ?? initTelemetry({ serviceName: `steward-${name}` });
  const logger = options.logger ?? createLogger({ name });
  return (async () => {
    const started = await start({ logger, telemetry });
    logger.info(started.details ?? {}, `${name} started`);
    started.ops.ready();
    let stopping: Promise<void> | undefined;
    const shutdown = (signal: NodeJS.Signals): void => {
      stopping ??= (async () => {
        logger.info({ signal }, `${name} stopping`);
        started.ops.stopping();
        for (const step of started.stop) await step();
        await started.ops.close();
        logger.info(`${name} stopped`);
        await telemetry.shutdown();
      })().then(
        () => exit(0),
        (error: unknown) => {
          logger.error({ err: error }, `${name} did not stop cleanly`);
          exit(1);
        },
      );
    };
    signals.once('SIGTERM', shutdown);
    signals.once('SIGINT', shutdown);
  })().catch((error: unknown) => {
    console.error(`${name} failed to start:`, error);
    exit(1);
  });
}

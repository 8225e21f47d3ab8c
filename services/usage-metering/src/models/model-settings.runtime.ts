import { NestFactory } from '@nestjs/core';
import type pg from 'pg';
import type { EventStore } from '@steward/event-store';
import { commandTransportOptions, natsNames } from '@steward/messaging';
import type { Logger } from '@steward/observability';
import { ProjectionHost } from '@steward/projections';
import { SecretStore, loadKeyring } from '@steward/secrets';
import { modelRerateReactor } from './model-rerate.reactor';
import { ModelSettingsModule } from './model-settings.module';

export const MODEL_SETTINGS_QUEUE = 'usage-metering-models';

export interface ModelSettingsRuntimeOptions {
  readonly pool: pg.Pool;
  readonly store: EventStore;
  readonly natsUrl: string;
  readonly natsPrefix: string;
  readonly logger: Logger;
}

export interface ModelSettingsRuntime {
  stop(): Promise<void>;
}

/**
 * The model-settings part of the usage-metering process: the command handlers
 * on `<p>cmd.usage.<Type>` (queue group `usage-metering-models`), model API
 * keys sealed in @steward/secrets (STEWARD_MASTER_KEY), and the re-rating
 * reactor (`usage-rerate`, one active instance across replicas, resumes from
 * its checkpoint after a crash).
 */
export async function startModelSettings(options: ModelSettingsRuntimeOptions): Promise<ModelSettingsRuntime> {
  const { pool, store, logger } = options;
  // Without a usable master key metering still runs (prices, re-rates); only model API keys answer MODELS_UNAVAILABLE.
  let secrets: SecretStore | undefined;
  try {
    secrets = new SecretStore({ pool, keyring: loadKeyring({ logger }) });
    await secrets.migrate();
  } catch (error) {
    secrets = undefined;
    logger.error({ err: error }, 'no secret store for model API keys (STEWARD_MASTER_KEY): setting or clearing one answers MODELS_UNAVAILABLE');
  }
  const app = await NestFactory.createMicroservice(
    ModelSettingsModule.register({ store, names: natsNames(options.natsPrefix), ...(secrets ? { vault: secrets } : {}) }),
    {
      ...commandTransportOptions({ servers: options.natsUrl, queue: MODEL_SETTINGS_QUEUE, name: `steward-usage-models-${process.pid}` }),
      logger: ['error', 'warn'],
    },
  );
  await app.listen();
  const reactors = new ProjectionHost({ pool, store, projections: [modelRerateReactor(store)], logger });
  await reactors.start();
  logger.info({ queue: MODEL_SETTINGS_QUEUE, reactor: 'usage-rerate' }, 'model settings started');
  return {
    async stop() {
      await app.close();
      await reactors.stop();
    },
  };
}

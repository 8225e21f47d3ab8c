import { Module, type DynamicModule } from '@nestjs/common';
import type { EventStore } from '@steward/event-store';
import type { NatsNames } from '@steward/messaging';
import { ModelSettingsCommandService, type ModelKeyVault } from './model-settings.command-service';
import { modelSettingsHandler } from './model-settings.handler';

export interface ModelSettingsModuleOptions {
  readonly store: EventStore;
  /** Subjects: `names.commandSubject('usage', <CommandType>)`. */
  readonly names: NatsNames;
  /** @steward/secrets' SecretStore: model API keys are sealed there. */
  readonly vault?: ModelKeyVault;
  readonly maxAttempts?: number;
}

/** The model-settings command handlers (SetModelPricing, SetModelApiKey, ClearModelApiKey) of usage-metering. */
@Module({})
export class ModelSettingsModule {
  static register(options: ModelSettingsModuleOptions): DynamicModule {
    const service = new ModelSettingsCommandService({
      store: options.store,
      ...(options.vault ? { vault: options.vault } : {}),
      ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
    });
    return {
      module: ModelSettingsModule,
      controllers: [modelSettingsHandler(options.names)],
      providers: [{ provide: ModelSettingsCommandService, useValue: service }],
      exports: [ModelSettingsCommandService],
    };
  }
}

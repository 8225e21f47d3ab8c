import { Module, type DynamicModule } from '@nestjs/common';
import type { NatsNames } from '@steward/messaging';
import { RuntimeCommandRunner } from './runtimes/runtime-command.runner';
import { runtimeHandler } from './runtimes/runtime.handler';

export interface RuntimeRegistryModuleOptions {
  /** Subjects: `names.commandSubject('runtime', <CommandType>)`. */
  readonly names: NatsNames;
  readonly runner: RuntimeCommandRunner;
}

@Module({})
export class RuntimeRegistryModule {
  static register(options: RuntimeRegistryModuleOptions): DynamicModule {
    return {
      module: RuntimeRegistryModule,
      controllers: [runtimeHandler(options.names)],
      providers: [{ provide: RuntimeCommandRunner, useValue: options.runner }],
    };
  }
}
